/**
 * A client asking for protocol version 2 (groups) connects to a gateway that speaks only
 * version 1: it is refused with unsupported_version, says hello again in version 1, and sends
 * every later frame in version 1; group calls then fail with a clear error before any frame.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { InteropConnection } from '../../../src/interop-client/connection';

let server: WebSocketServer;
const seen: Array<{ v: unknown; type: unknown }> = [];

before(async () => {
  // the answers a version-1 gateway gives (src/protocol/validate.ts before version 2)
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => {
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { v: unknown; id: string; type: string };
      seen.push({ v: f.v, type: f.type });
      if (f.v !== 1) {
        ws.send(JSON.stringify({ v: 1, id: f.id, type: 'error', error: { code: 'unsupported_version', message: '"v" must be 1', field: '/v' } }));
      } else if (f.type === 'hello') {
        ws.send(JSON.stringify({ v: 1, id: f.id, type: 'result', result: {
          provider: 'native', e2ee: true, protocolVersion: 1, serverTime: 1, devMode: true,
          limits: { maxFrameBytes: 1000000, maxMediaBytes: 1000, preKeyLowWater: 10, maxOneTimePreKeysPerUpload: 100, deliveryWindow: 10 },
        } }));
      } else {
        ws.send(JSON.stringify({ v: 1, id: f.id, type: 'result', result: { serverTime: 2 } }));
      }
    });
  });
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('falls back to version 1 when the gateway does not speak version 2', async () => {
  const conn = new InteropConnection({
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, provider: 'native', secret: 's', reconnect: false,
  });
  const hello = await conn.connect();
  assert.equal(hello.protocolVersion, 1);
  assert.equal(conn.protocolVersion, 1);
  await conn.request('ping', {});
  assert.deepEqual(seen, [{ v: 2, type: 'hello' }, { v: 1, type: 'hello' }, { v: 1, type: 'ping' }]);
  await conn.close();
});
