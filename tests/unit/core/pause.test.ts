// `pause` stops all bridging for a user without logging out, and `resume` delivers what
// waited: the session is closed (the network keeps what contacts send), the outbox does not
// even try what the user writes meanwhile, a restart keeps it paused, and logging out ends it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness } from '../../helpers/core-harness';
import { fromMatrix, sentTexts, text, waitFor } from '../../helpers/outbox-driver';
import type { E164 } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const ALICE_PHONE = '+4915112345678' as E164;
const SAM = '+14155552671' as E164;

test('pause closes the session and holds what the user writes, untried; resume sends it, in order', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, ALICE_PHONE);
  const portal = await h.core.portals.ensure(ALICE, SAM);
  const [paused] = await h.command(ALICE, 'pause');
  assert.match(paused, /^Paused: nothing is bridged for \+49 1511 2345678, either way, until you send "resume"\. .*for up to 24 h, then it is given up with a notice/);
  assert.equal(session.disconnected, true, 'the session is closed: the network keeps what contacts send');
  assert.equal(h.core.sessions.state(ALICE), undefined);
  assert.match((await h.command(ALICE, 'status')).join('\n'), /paused by you; nothing is bridged until you send "resume"/);
  assert.match((await h.command(ALICE, 'settings')).join('\n'), /• paused: nothing is bridged/);
  assert.match((await h.command(ALICE, 'pause')).join('\n'), /paused already/);

  for (const body of ['one', 'two']) await fromMatrix(h, portal.roomId, ALICE, 'm.room.message', text(body));
  // retry_max_ms is 20 ms in the harness: a retrying outbox would count many attempts by now
  await sleep(200);
  assert.equal((await h.store.outbox.nextFor(ALICE, SAM))?.attempts, 0, 'not even tried while paused');

  const [resumed] = await h.command(ALICE, 'resume');
  assert.match(resumed, /^Resumed: your chats are bridged again/);
  const again = h.network.sessions.get(ALICE)!;
  assert.notEqual(again, session, 'a new session');
  await waitFor('what waited is sent', () => again.sent.length >= 2);
  assert.deepEqual(sentTexts(again.sent), ['one', 'two']);
  assert.match((await h.command(ALICE, 'resume')).join('\n'), /^Bridging is not paused\.$/);
});

test('a paused login stays unconnected across a restart; logout ends the pause; pause without a login says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pause-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await startCoreHarness({ dir });
  await first.login(ALICE, ALICE_PHONE);
  await first.command(ALICE, 'pause');
  await first.stop();

  const second = await startCoreHarness({ dir });
  t.after(() => second.stop());
  await sleep(100);
  assert.equal(second.network.sessions.get(ALICE), undefined, 'startAll left the paused login alone');
  assert.equal(second.core.sessions.state(ALICE), undefined);
  await second.command(ALICE, `block ${SAM}`);
  const [out] = await second.command(ALICE, 'logout');
  assert.match(out, /^Logged out of .* Deleted: .*the login record\. Kept: your 0 chat room\(s\) with their history .*, your 1 blocked number\(s\) and your settings\.$/, 'logout says what it deleted and what it kept');
  assert.match((await second.command(ALICE, 'settings')).join('\n'), /• not paused: /, 'a later login bridges at once');
  assert.match((await second.command(ALICE, 'pause')).join('\n'), /^You are not logged in, so there is nothing to pause/);
});
