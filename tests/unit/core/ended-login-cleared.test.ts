// A `login` after the network ended the previous one clears what was left of it first. The
// connector failing to remove its part is not swallowed: it is logged at WARN with the reason,
// the person is told, and the rest is still deleted (the login record) and the new login goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCoreHarness } from '../../helpers/core-harness';
import type { E164 } from '../../../src/network/phone';

const ALICE = '@alice:example.org';
const PHONE = '+4915112345678' as E164;

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300 && !(await check()); i++) await sleep(10);
  assert.ok(await check(), `timed out waiting for ${what}`);
}

test('clearing an ended login whose network part cannot be removed: logged at WARN, said, and the new login goes on', async (t) => {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(ALICE, PHONE);
  session.handler.onSessionEnded?.('device_removed');
  await until('the ended state', () => h.core.sessions.state(ALICE)?.state === 'device_removed');
  h.network.logout = async () => {
    throw new Error('key store locked');
  };
  const replies = await h.command(ALICE, `login ${PHONE}`);
  assert.equal(replies.length, 3, JSON.stringify(replies));
  assert.equal(
    replies[0],
    'Your previous login of +49 1511 2345678 had been ended by the Fake network; what was left of it is cleared. Deleted: the login record.' +
      ' The Fake network could not be told (key store locked); the rest was deleted here.' +
      ' Kept: your 0 chat room(s) with their history, your blocked numbers and your settings.',
  );
  assert.match(replies[1], /^Before \+49 1511 2345678 is linked/);
  assert.match(replies[2], /^The network is sending a one-time code/);
  const warned = h.log.lines.filter((l) => l.level === 'warn' && l.text.includes('clearing the ended login'));
  assert.deepEqual(warned.map((l) => l.text), [`login of ${ALICE}: clearing the ended login at the Fake network failed: key store locked`]);
  assert.equal(await h.store.logins.get(ALICE), undefined, 'the ended login record is gone');
});
