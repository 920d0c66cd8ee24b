// The "delivered" tick: the sender hears that a message arrived once its Matrix event exists,
// once per message, never for an edit or a reaction, and for a message request only when the
// user accepts it (before that nothing goes back to the sender).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness, FakeSession, type CoreHarness } from '../../helpers/core-harness';
import type { Content } from '../../../src/protocol/content';
import type { RemoteMessage } from '../../../src/network/remote-network';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

const delivered = (session: FakeSession) => session.calls.filter(([m]) => m === 'sendDeliveredStatus').map(([, args]) => args);
const withContent = (message: RemoteMessage, content: Partial<Content>): RemoteMessage => ({ ...message, content: { ...message.content, ...content } as Content });
/** the tick is sent without being awaited: let it go out */
const settle = () => sleep(20);

async function harness(t: { after(fn: () => Promise<void>): void }, requests = false): Promise<CoreHarness> {
  const h = await startCoreHarness({ adjust: (c) => void (c.bridge.message_requests.enabled = requests) });
  t.after(() => h.stop());
  await h.store.users.ensure(ALICE);
  await h.store.users.setManagementRoom(ALICE, '!management:example.org');
  return h;
}

test('delivered once the Matrix event exists, once per message; not for edits and reactions', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  h.matrix.fail('sendEvent', 2);
  const first = FakeSession.text(SAM, 'm-1', 'hello');
  await session.deliver(first);
  await settle();
  const eventAt = h.matrix.calls.findLastIndex(([m]) => m === 'sendEvent');
  assert.ok(eventAt >= 0);
  assert.deepEqual(delivered(session), [[SAM, ['m-1']]]);
  await session.deliver(first);
  await session.deliver(withContent(FakeSession.text(SAM, 'm-2', 'hello!'), { replaces: 'm-1' } as Partial<Content>));
  await session.deliver({ ...first, content: { kind: 'reaction', messageId: 'r-1', timestamp: Date.now(), target: 'm-1', emoji: '👍' } as Content });
  await settle();
  assert.deepEqual(delivered(session), [[SAM, ['m-1']]], 'a redelivery, an edit and a reaction add no tick');
});

test('a tick the network refuses is logged, and the message stays delivered and acked', async (t) => {
  const h = await harness(t);
  const session = await h.login(ALICE, ALICE_PHONE);
  session.fail('sendDeliveredStatus', 1);
  const result = await session.deliver(FakeSession.text(SAM, 'm-1', 'hello'));
  await settle();
  assert.equal(result.acked(), 1);
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && /delivered status not sent/.test(l.text)));
  assert.equal(h.log.lines.some((l) => l.text.includes(SAM)), false, 'no phone number in the log');
});

test('a message request: no tick while it waits; each held message gets one when accepted', async (t) => {
  const h = await harness(t, true);
  const session = await h.login(ALICE, ALICE_PHONE);
  await session.deliver(FakeSession.text(SAM, 'm-1', 'one'));
  await session.deliver(FakeSession.text(SAM, 'm-2', 'two'));
  await settle();
  assert.deepEqual(delivered(session), []);
  await h.command(ALICE, `accept ${SAM}`);
  await settle();
  assert.deepEqual(delivered(session), [[SAM, ['m-1']], [SAM, ['m-2']]]);
});
