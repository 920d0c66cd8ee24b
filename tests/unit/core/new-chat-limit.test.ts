// Each chat with a number a user has no chat with yet is a directory look-up at the network;
// bridge.new_chats limits them per user, so the bridge cannot be used to enumerate numbers.
// Chats the user has already, and other users, are not affected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';

test('start-chat with new numbers beyond bridge.new_chats is refused with when to retry; known chats and other users still work', async (t) => {
  const h = await startCoreHarness({ adjust: (config) => (config.bridge.new_chats = { burst: 2, per_hour: 1 }) });
  t.after(() => h.stop());
  await h.login(ALICE, '+4915112345678' as E164);
  await h.login(BOB, '+4915112345679' as E164);
  const lookups = () => [...h.network.sessions.values()].reduce((n, s) => n + s.count('fetchProfile'), 0);
  for (const n of ['+14155552671', '+14155552672']) assert.match((await h.command(ALICE, `start-chat ${n}`))[0], /^Chat with /);
  const before = lookups();
  const [refused] = await h.command(ALICE, 'start-chat +14155552673');
  assert.match(refused, /^Not opened: you started chats with many new numbers in a short time.*Try again in \d+ s\./);
  assert.equal(lookups(), before, 'no look-up at the network for the refused one');
  assert.equal(await h.store.portals.get(ALICE, '+14155552673'), undefined);
  assert.match((await h.command(ALICE, 'start-chat +14155552671'))[0], /^Chat with /, 'a chat Alice has already is not limited');
  assert.match((await h.command(BOB, 'start-chat +14155552673'))[0], /^Chat with /, 'Bob has his own allowance');
  assert.ok(h.log.lines.some((l) => l.level === 'warn' && l.text.includes(`start-chat of ${ALICE} refused`) && !l.text.includes('+1415')));
});
