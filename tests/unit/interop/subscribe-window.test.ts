/**
 * The client asks for its receive window in device.subscribe. A gateway from before the window
 * refuses the unknown field (its schema allows no other properties): the client then subscribes
 * without it, says so once (a protocolError the bridge logs), and keeps the plain form for the
 * subscriptions it renews after a reconnect. Against the real gateway the window is taken.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { InteropConnection } from '../../../src/interop-client/connection';

let server: WebSocketServer;
const subscribes: unknown[] = [];

before(async () => {
  // the answers of a gateway from before device.subscribe's window
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { v: number; id: string; type: string; params: Record<string, unknown> };
      const answer = (body: Record<string, unknown>) => ws.send(JSON.stringify({ v: f.v, id: f.id, ...body }));
      if (f.type === 'hello') {
        return answer({ type: 'result', result: {
          provider: 'native', e2ee: true, protocolVersion: f.v, serverTime: 1, devMode: true,
          limits: { maxFrameBytes: 1000000, maxMediaBytes: 1000, preKeyLowWater: 10, maxOneTimePreKeysPerUpload: 100, deliveryWindow: 1000 },
        } });
      }
      if (f.type === 'device.subscribe') {
        subscribes.push(f.params);
        if ('window' in f.params) return answer({ type: 'error', error: { code: 'invalid_params', message: '"/params/window" is not allowed here', field: '/params/window' } });
        return answer({ type: 'result', result: { queued: 0 } });
      }
      return answer({ type: 'result', result: {} });
    });
  });
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a gateway that refuses the window gets a plain subscribe, and the client says so once', async () => {
  const conn = new InteropConnection({
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, provider: 'native', secret: 's', reconnect: false,
  });
  const said: string[] = [];
  conn.on('protocolError', (m: string) => said.push(m));
  await conn.connect();
  const result = await conn.subscribe('+4915200000031', 1, 64);
  assert.deepEqual(result, { queued: 0 });
  assert.deepEqual(subscribes, [{ phone: '+4915200000031', deviceId: 1, window: 64 }, { phone: '+4915200000031', deviceId: 1 }]);
  assert.equal(said.filter((m) => m.includes('window')).length, 1);
  await conn.close();
});
