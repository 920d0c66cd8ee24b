// A login waiting for its code survives a restart of the bridge: core stores the step it
// asks and the answers given (never the code), and the code typed after the restart resumes
// the login through the connector's resumeLogin and completes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FakeNetwork, startCoreHarness } from '../../helpers/core-harness';
import { RemoteUnavailableError } from '../../../src/network/remote-network';

const ALICE = '@alice:example.org';
const PHONE = '+4915112345678';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'login-resume-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('restarted between the number and the code: the code completes the login, and no code was ever stored', async (t) => {
  const dir = tempDir(t);
  const first = await startCoreHarness({ dir });
  assert.match((await first.command(ALICE, `login ${PHONE}`)).at(-1)!, /sending a one-time code/);
  // a wrong code first: it must not be stored either
  assert.match((await first.command(ALICE, 'code 000000'))[0], /That code is wrong/);
  assert.doesNotMatch(JSON.stringify(await first.store.logins.getPending(ALICE)), /000000/);
  await first.stop();

  const network = new FakeNetwork();
  const second = await startCoreHarness({ dir, network });
  t.after(() => second.stop());
  assert.equal(await second.core.expectsCode(ALICE), true, 'a bare code after the restart answers the login');
  assert.deepEqual(await second.core.logins.view(ALICE), { kind: 'waiting_for_code', phone: PHONE });
  const done = await second.command(ALICE, 'code 123456');
  assert.match(done[0], /^Logged in as \+49 1511 2345678/);
  assert.deepEqual(network.resumed, [{ step: 'code', answers: { phone: PHONE } }]);
  assert.equal((await second.store.logins.get(ALICE))?.phone, PHONE);
  assert.ok(network.sessions.get(ALICE), 'the login is connected');
  assert.equal(await second.store.logins.getPending(ALICE), undefined, 'nothing is left in progress');
  assert.equal(await second.core.expectsCode(ALICE), false);
});

test('after a restart: the network down at resume keeps the login for the next try; cancel gives up a login not resumed yet', async (t) => {
  const dir = tempDir(t);
  const first = await startCoreHarness({ dir });
  await first.command(ALICE, `login ${PHONE}`);
  await first.stop();

  const network = new FakeNetwork();
  const second = await startCoreHarness({ dir, network });
  t.after(() => second.stop());
  network.refuseLogin = () => new RemoteUnavailableError();
  assert.match((await second.command(ALICE, 'code 123456'))[0], /not reachable right now; nothing was lost/);
  assert.equal(await second.core.expectsCode(ALICE), true, 'still waiting for the code');
  network.refuseLogin = undefined;
  await second.stop();

  const third = await startCoreHarness({ dir });
  t.after(() => third.stop());
  assert.deepEqual(await third.command(ALICE, 'cancel'), ['The login in progress was given up; nothing was linked.']);
  assert.deepEqual(await third.command(ALICE, 'code 123456'), ['No login is in progress. Start with: login']);
  assert.deepEqual(third.network.resumed, [], 'nothing was resumed');
});

test('a stored login older than the login timeout is not resumed', async (t) => {
  const dir = tempDir(t);
  const first = await startCoreHarness({ dir });
  await first.command(ALICE, `login ${PHONE}`);
  await first.stop();
  // the login was stored long ago (as if the bridge had been down for an hour)
  const db = new Database(join(dir, 'bridge.db'));
  db.prepare('UPDATE pending_logins SET requested_at = ?').run(Date.now() - 60 * 60 * 1000);
  db.close();
  const second = await startCoreHarness({ dir });
  t.after(() => second.stop());
  assert.deepEqual(await second.command(ALICE, 'code 123456'), ['No login is in progress. Start with: login']);
  assert.deepEqual(second.network.resumed, []);
  assert.equal(await second.store.logins.getPending(ALICE), undefined);
});
