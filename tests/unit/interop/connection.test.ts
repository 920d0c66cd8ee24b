/** The client connection on its own: backoff, timeouts, waiting for a reconnect, resubscription. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { backoffDelay } from '../../../src/lib/backoff';
import { InteropConnection } from '../../../src/interop-client/connection';
import { InteropRequestError } from '../../../src/interop-client/errors';
import { SECRETS, TestGateway } from './harness';

describe('backoff', () => {
  const o = { initialDelayMs: 100, maxDelayMs: 5000, factor: 2, jitter: 0.5 };
  it('grows exponentially, is capped, and spreads by the jitter', () => {
    assert.equal(backoffDelay(0, o, () => 0.5), 100);
    assert.equal(backoffDelay(3, o, () => 0.5), 800);
    assert.equal(backoffDelay(20, o, () => 0.5), 5000);
    assert.equal(backoffDelay(3, o, () => 0), 400);
    assert.equal(backoffDelay(3, o, () => 1), 1200);
  });
});

describe('InteropConnection', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await TestGateway.start();
  });
  after(() => gw.close());

  it('refuses a wrong provider secret on the first connection', async () => {
    const conn = new InteropConnection({ url: gw.url, provider: 'native', secret: 'wrong-secret-123' });
    await assert.rejects(conn.connect(), (e: Error) => e instanceof InteropRequestError && e.code === 'auth_failed');
    await conn.close();
  });

  it('times out a request the gateway never answers', async () => {
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => silent.once('listening', resolve));
    silent.on('connection', (ws) =>
      ws.on('message', (data) => {
        const req = JSON.parse(data.toString()) as { id: string; type: string };
        if (req.type !== 'hello') return; // answer hello only
        ws.send(JSON.stringify({ v: 1, id: req.id, type: 'result', result: {
          provider: 'native', e2ee: true, protocolVersion: 1, serverTime: 1, devMode: true,
          limits: { maxFrameBytes: 1 << 20, maxMediaBytes: 1 << 19, preKeyLowWater: 10, maxOneTimePreKeysPerUpload: 100, deliveryWindow: 10 },
        } }));
      }),
    );
    const conn = new InteropConnection({ url: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`, provider: 'native', secret: 'x', reconnect: false });
    try {
      await conn.connect();
      await assert.rejects(conn.request('ping', {}, { timeoutMs: 50 }), (e: Error) => e instanceof InteropRequestError && e.code === 'timeout');
    } finally {
      await conn.close();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('waits through a gateway outage, reconnects, resubscribes and then answers', async () => {
    const sim = await gw.sim('+4915100000801');
    const conn = sim.connection;
    const events: string[] = [];
    conn.on('disconnected', () => events.push('down'));
    conn.on('connected', (_h, again) => events.push(again ? 'again' : 'first'));
    await gw.stopGateway();
    // sent into the dying socket or while the gateway is down: ping has no side effects,
    // so it is resent after the reconnect instead of failing
    const pending = conn.request('ping', {}, { timeoutMs: 10_000 });
    pending.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await gw.startGatewayAgain();
    const pong = await pending;
    assert.ok(pong.serverTime > 0);
    assert.deepEqual(events.slice(0, 1), ['down']);
    assert.ok(events.includes('again'));
    // the device's queue was subscribed again: a message sent now arrives
    const other = await gw.sim('+4915100000802');
    const id = await other.sendText(sim.phone, 'after the outage');
    await sim.waitFor('message', (m) => m.content.messageId === id);
  });

  it('drops a connection whose peer stops answering pings', async () => {
    const frozen = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => frozen.once('listening', resolve));
    frozen.on('connection', (ws) =>
      ws.on('message', (data) => {
        const req = JSON.parse(data.toString()) as { id: string };
        ws.send(JSON.stringify({ v: 1, id: req.id, type: 'result', result: {
          provider: 'native', e2ee: true, protocolVersion: 1, serverTime: 1, devMode: true,
          limits: { maxFrameBytes: 1 << 20, maxMediaBytes: 1 << 19, preKeyLowWater: 10, maxOneTimePreKeysPerUpload: 100, deliveryWindow: 10 },
        } }));
        // the host "freezes": it no longer reads its socket, so pings go unanswered
        (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      }),
    );
    const conn = new InteropConnection({
      url: `ws://127.0.0.1:${(frozen.address() as AddressInfo).port}/`, provider: 'native', secret: 'x', reconnect: false, keepaliveMs: 30,
    });
    try {
      const dropped = new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the frozen connection was never dropped')), 5000);
        conn.once('disconnected', (reason) => {
          clearTimeout(timer);
          resolve(reason);
        });
      });
      await conn.connect();
      assert.match(await dropped, /closed/);
      assert.equal(conn.isReady, false);
    } finally {
      await conn.close();
      for (const c of frozen.clients) c.terminate();
      await new Promise((resolve) => frozen.close(resolve));
    }
  });

  it('fails pending requests with "closed" when closed on purpose', async () => {
    const conn = new InteropConnection({ url: gw.url, provider: 'native', secret: SECRETS.native });
    await conn.connect();
    await conn.close();
    await assert.rejects(conn.request('ping', {}), (e: Error) => e instanceof InteropRequestError && e.code === 'closed');
  });
});
