/**
 * The interop connector's part of the login lifecycle, against a real gateway: a login step
 * with the gateway down answers "not reachable" within its wait instead of hanging, and works
 * once the gateway is back; a device removed at the network ends the subscription (reported
 * to core as onSessionEnded), also when it happened while the bridge was disconnected, and a
 * later connect is a terminal SessionEndedError; and a
 * contact's identity is every current device's key (a second device adds one, a removed
 * device's key is no longer theirs).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { InteropConnection } from '../../../src/interop-client/connection';
import { BridgeKeyStore } from '../../../src/network/interop/signal-keys';
import { SodiumSecretBox } from '../../../src/interop-client/signal/secret-box';
import { InteropNetwork } from '../../../src/network/interop/interop-network';
import {
  RemoteUnavailableError, SessionEndedError, type RemoteEventHandler, type RemoteMessage, type SessionEndReason,
} from '../../../src/network/remote-network';
import type { E164 } from '../../../src/network/phone';
import { DEV_PROVIDERS } from '../../../src/gateway/config';
import { silentLogger } from '../../../src/gateway/server';
import type { LoginStep } from '../../../src/network/login-steps';
import { SECRETS, TestGateway, devCodeInto } from './harness';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

class Recorder implements RemoteEventHandler {
  readonly messages: RemoteMessage[] = [];
  readonly ended: SessionEndReason[] = [];
  readonly identityChanges: string[] = [];
  async onMessage(m: RemoteMessage, ack: () => Promise<void>): Promise<void> {
    this.messages.push(m);
    await ack();
  }
  async onUnreadable(_m: unknown, ack: () => Promise<void>): Promise<void> {
    await ack();
  }
  async onStatus(_f: E164, _s: string, _ids: string[], ack: () => Promise<void>): Promise<void> {
    await ack();
  }
  async onTyping(): Promise<void> {}
  async onIdentityChanged(contact: E164): Promise<void> {
    this.identityChanges.push(contact);
  }
  onConnectionChange(): void {}
  onSessionEnded(reason: SessionEndReason): void {
    this.ended.push(reason);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('interop network: login lifecycle', () => {
  let gw: TestGateway;
  let db: Database.Database;
  let keys: BridgeKeyStore;
  const networks: InteropNetwork[] = [];
  const network = (readyTimeoutMs = 300) => {
    const n = new InteropNetwork({ url: gw.url, provider: 'bridge', secret: SECRETS.bridge, keys, log: quiet, readyTimeoutMs });
    networks.push(n);
    return n;
  };
  it('a refused provider secret is said once as such (ERROR naming the provider and the key), and not retried at the reachability rate', async () => {
    const lines: string[] = [];
    const wrongSecret = 'not-the-secret-of-provider-bridge';
    const n = new InteropNetwork({
      url: gw.url, provider: 'bridge', secret: wrongSecret, keys, readyTimeoutMs: 300,
      log: { info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) },
    });
    networks.push(n);
    void n.start();
    // the reachability backoff starts at 100 ms: in 2 s it would have tried (and logged) several times
    await sleep(2000);
    assert.deepEqual(lines, ['ERROR the gateway refused the provider secret for provider bridge; check network.provider_secret (retrying every few minutes)']);
    assert.equal(n.connected, false);
    await n.stop();
  });

  it('a secret refused on a reconnect (rotated at the gateway) is said once at ERROR and retried at the slow pace, then works again', async () => {
    const lines: string[] = [];
    const n = new InteropNetwork({
      url: gw.url, provider: 'bridge', secret: SECRETS.bridge, keys, readyTimeoutMs: 300,
      authRefusedBackoff: { initialDelayMs: 1500, maxDelayMs: 1500, factor: 1, jitter: 0 },
      log: { info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) },
    });
    networks.push(n);
    await n.start();
    let hellos = 0;
    await gw.stopGateway();
    await gw.startGatewayAgain({
      providers: DEV_PROVIDERS.map((p) => (p.id === 'bridge' ? { ...p, secret: 'rotated-bridge-secret-value' } : p)),
      log: { ...silentLogger, warn: (message: string) => void (message === 'provider authentication failed' && hellos++) },
    });
    // at the reconnect rate (100 ms growing to 10 s) 2 s would see about five refused hellos
    await sleep(2000);
    assert.ok(hellos >= 1 && hellos <= 2, `${hellos} refused hello(s) in 2 s`);
    assert.equal(lines.filter((l) => l.startsWith('ERROR')).length, 1, lines.join('\n'));
    assert.match(lines.find((l) => l.startsWith('ERROR')) ?? '', /refused the provider secret for provider bridge; check network\.provider_secret/);
    assert.equal(n.connected, false);
    await gw.stopGateway();
    await gw.startGatewayAgain();
    await until('the connection restored with the right secret', () => n.connected, 5000);
  });

  /** the codes the dev gateway "texts", by number */
  const codes = new Map<string, string>();
  const login = async (n: InteropNetwork, owner: string, phone: E164) => {
    const { process } = await n.beginLogin(owner);
    const asked = await process.submit({ phone });
    assert.equal(asked.kind === 'user_input' && asked.fields[0].type, 'code');
    const done = await process.submit({ code: codes.get(phone)! });
    assert.equal(done.kind, 'complete');
    return (done as Extract<LoginStep, { kind: 'complete' }>).login;
  };

  before(async () => {
    gw = await TestGateway.start({ printDevCode: (line) => devCodeInto(codes, line) });
    db = new Database(join(gw.dir, 'bridge.db'));
    keys = new BridgeKeyStore(db, await SodiumSecretBox.fromSecret('a-test-key-store-secret-of-length'));
  });
  after(async () => {
    for (const n of networks) await n.stop();
    db.close();
    await gw.close();
  });

  it('answers "not reachable" while the gateway is down, and works once it is back', async () => {
    await gw.stopGateway();
    const n = network();
    const { process } = await n.beginLogin('@a:x');
    await assert.rejects(process.submit({ phone: '+4915100000701' }), RemoteUnavailableError);
    await assert.rejects(n.connect('@a:x', { phone: '+4915100000701' as E164, data: {} }, new Recorder()), RemoteUnavailableError);
    await gw.startGatewayAgain();
    let next: LoginStep | undefined;
    const end = Date.now() + 20_000;
    while (!next && Date.now() < end) {
      next = await process.submit({ phone: '+4915100000701' }).catch((error: Error) => {
        assert.ok(error instanceof RemoteUnavailableError, error.message);
        return undefined;
      });
    }
    assert.equal(next?.kind === 'user_input' && next.id, 'code', 'the same step goes through once the gateway is back');
    assert.ok(codes.get('+4915100000701'), 'the code was sent');
  });

  it('a device removed at the network ends the subscription; connecting again is terminal', async () => {
    const n = network(5000);
    const phone = '+4915100000702' as E164;
    const state = await login(n, '@b:x', phone);
    const recorder = new Recorder();
    const session = await n.connect('@b:x', state, recorder);
    const admin = new InteropConnection({ url: gw.url, provider: 'bridge', secret: SECRETS.bridge, reconnect: false });
    await admin.connect();
    try {
      await admin.request('device.remove', { phone, deviceId: state.data.deviceId as number });
    } finally {
      await admin.close();
    }
    await until('subscription ended', () => recorder.ended.length > 0);
    assert.deepEqual(recorder.ended, ['device_removed']);
    await session.disconnect();
    await assert.rejects(
      n.connect('@b:x', state, new Recorder()),
      (error: Error) => error instanceof SessionEndedError && error.reason === 'device_removed',
    );
  });

  it('a device removed while the bridge was disconnected is found on reconnect', async () => {
    const n = network(5000);
    const phone = '+4915100000705' as E164;
    const state = await login(n, '@d:x', phone);
    const recorder = new Recorder();
    const session = await n.connect('@d:x', state, recorder);
    await gw.stopGateway();
    const gatewayDb = gw.openDatabase(false);
    try {
      gatewayDb.prepare('DELETE FROM devices WHERE phone = ? AND device_id = ?').run(phone, state.data.deviceId as number);
    } finally {
      gatewayDb.close();
    }
    await gw.startGatewayAgain();
    await until('the end found on reconnect', () => recorder.ended.length > 0, 20_000);
    assert.deepEqual(recorder.ended, ['device_removed']);
    await session.disconnect();
  });

  it('a contact\'s identity is every current device\'s key', async () => {
    const n = network(5000);
    const phone = '+4915100000703' as E164;
    const recorder = new Recorder();
    const session = await n.connect('@c:x', await login(n, '@c:x', phone), recorder);
    const first = await gw.sim('+4915100000704', { databaseFile: join(gw.dir, 'dana-1.db') });
    await first.sendText(phone, 'from my phone');
    await until('first message', () => recorder.messages.length === 1);
    const one = await session.identity('+4915100000704' as E164);
    assert.equal(one?.devices?.length, 1);
    assert.equal(one?.fingerprint, one?.devices?.[0].fingerprint);

    // a second real device of the same person, the first one stays
    const second = await gw.sim('+4915100000704', { databaseFile: join(gw.dir, 'dana-2.db') });
    assert.notEqual(second.deviceId, first.deviceId);
    await second.sendText(phone, 'from my tablet');
    await until('second message', () => recorder.messages.length === 2);
    const two = await session.identity('+4915100000704' as E164);
    assert.deepEqual(two?.devices?.map((d) => d.deviceId), [first.deviceId, second.deviceId]);
    assert.equal(two?.fingerprint, `${two?.devices?.[0].fingerprint}, ${two?.devices?.[1].fingerprint}`);

    // the first device goes away (a reinstall, say): its key is no longer the contact's
    await second.connection.request('device.remove', { phone: '+4915100000704', deviceId: first.deviceId as number });
    const now = await session.identity('+4915100000704' as E164);
    assert.deepEqual(now?.devices?.map((d) => d.deviceId), [second.deviceId]);
    assert.equal(now?.fingerprint, two?.devices?.[1].fingerprint);
    await session.disconnect();
  });
});
