/**
 * The interop connector's login steps through core's `login`, `code` and `cancel`, against a
 * real gateway (dev mode: the code it "texts" is read from its printDevCode line, never from
 * the bot): a number the phone parser refuses is asked again and reaches nothing; a wrong
 * code is refused and the right one still logs in; `cancel` between the steps leaves nothing
 * linked; a restart of core between the number and the code loses nothing; the gateway going
 * down during the code step is said, the step stays, and the same code works once it is back.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { BridgeKeyStore } from '../../../src/network/interop/signal-keys';
import { SodiumSecretBox } from '../../../src/interop-client/signal/secret-box';
import { InteropNetwork } from '../../../src/network/interop/interop-network';
import { startCoreHarness, type CoreHarness } from '../../helpers/core-harness';
import { SECRETS, TestGateway, devCodeInto } from './harness';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('interop connector: login steps through core', () => {
  let gw: TestGateway;
  let db: Database.Database;
  let network: InteropNetwork;
  let h: CoreHarness;
  const codes = new Map<string, string>();

  before(async () => {
    gw = await TestGateway.start({ printDevCode: (line) => devCodeInto(codes, line) });
    db = new Database(join(gw.dir, 'bridge-keys.db'));
    const keys = new BridgeKeyStore(db, await SodiumSecretBox.fromSecret('a-test-key-store-secret-of-length'));
    network = new InteropNetwork({ url: gw.url, provider: 'bridge', secret: SECRETS.bridge, keys, log: quiet, readyTimeoutMs: 300 });
    await network.start();
    h = await startCoreHarness({ remote: network });
  });
  after(async () => {
    await h.stop();
    await network.stop();
    db.close();
    await gw.close();
  });

  /** a wrong code: the right one with its last digit changed */
  const wrong = (code: string) => code.replace(/.$/, (d) => String((Number(d) + 1) % 10));

  it('a number the parser refuses is asked again and reaches nothing; a wrong code is refused, the right one logs in', async () => {
    const owner = '@wrong:example.org';
    const phone = '+4915100000801';
    const asked = await h.command(owner, 'login');
    assert.equal(asked.length, 1);
    assert.match(asked[0], /^Link your phone number: the interop network sends it a one-time code/);
    const refused = await h.command(owner, 'login 12345');
    assert.equal(refused.length, 1, JSON.stringify(refused));
    assert.match(refused[0], /"12345" is not a valid phone number.*Your phone number, with country code\?/);
    assert.equal(codes.size, 0, 'nothing was requested at the network');

    const sent = await h.command(owner, `login ${phone}`);
    assert.equal(sent.length, 2, JSON.stringify(sent));
    assert.match(sent[0], /^Before \+49 1510 0000801 is linked: what this means/, 'the opt-in comes before the code is sent');
    assert.match(sent[1], /^The network is sending a one-time code to \+49 1510 0000801\.\nThe one-time code\. Send the code here/);
    const code = codes.get(phone);
    assert.ok(code, 'the gateway sent a code');
    assert.doesNotMatch(sent.join('\n'), new RegExp(code), 'the bot never shows the code');
    assert.equal(await h.core.expectsCode(owner), true, 'bare digits now answer the code step');

    const no = await h.command(owner, `code ${wrong(code)}`);
    assert.deepEqual(no, ['That code is wrong: the network did not accept it. The one-time code? Send the code here (just the characters).']);
    assert.equal(await h.core.expectsCode(owner), true, 'the code is still asked');
    const done = await h.command(owner, `code ${code}`);
    assert.match(done[0], /^Logged in as \+49 1510 0000801\. Messages now reach you here/);
    assert.equal(typeof (await h.store.logins.get(owner))?.state.deviceId, 'number', 'the device is stored');
    assert.equal(h.core.sessions.state(owner)?.state, 'connected');
  });

  it('cancel between the number and the code leaves nothing linked; the code then answers nothing', async () => {
    const owner = '@cancel:example.org';
    const phone = '+4915100000802';
    await h.command(owner, `login ${phone}`);
    const code = codes.get(phone)!;
    assert.deepEqual(await h.command(owner, 'cancel'), ['The login in progress was given up; nothing was linked.']);
    assert.equal(await h.core.expectsCode(owner), false, 'digits are no answer any more');
    assert.deepEqual(await h.command(owner, `code ${code}`), ['No login is in progress. Start with: login']);
    assert.equal(await h.store.logins.get(owner), undefined);
  });

  it('core restarted between the number and the code: the code typed after it logs in (a fresh client confirms it)', async () => {
    const owner = '@restart:example.org';
    const phone = '+4915100000804';
    const dir = mkdtempSync(join(tmpdir(), 'interop-login-restart-'));
    try {
      const before = await startCoreHarness({ remote: network, dir });
      await before.command(owner, `login ${phone}`);
      const code = codes.get(phone)!;
      await before.stop();
      const after = await startCoreHarness({ remote: network, dir });
      try {
        assert.equal(await after.core.expectsCode(owner), true, 'bare digits answer the login after the restart');
        const done = await after.command(owner, `code ${code}`);
        assert.match(done[0], /^Logged in as \+49 1510 0000804\. Messages now reach you here/);
        assert.equal(typeof (await after.store.logins.get(owner))?.state.deviceId, 'number', 'the device is stored');
      } finally {
        await after.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the gateway down during the code step: said, the step stays, and the same code works once it is back', async () => {
    const owner = '@down:example.org';
    const phone = '+4915100000803';
    await h.command(owner, `login ${phone}`);
    const code = codes.get(phone)!;
    await gw.stopGateway();
    await until('the connection seen down', () => !network.connected);
    const down = await h.command(owner, `code ${code}`);
    assert.deepEqual(down, [
      'The interop network is not reachable right now; nothing was lost. Send your answer again in a moment, or wait if a code is shown.',
    ]);
    assert.equal(await h.core.expectsCode(owner), true, 'the code is still asked');
    await gw.startGatewayAgain();
    await until('the connection restored', () => network.connected);
    const done = await h.command(owner, `code ${code}`);
    assert.match(done[0], /^Logged in as \+49 1510 0000803/);
  });
});
