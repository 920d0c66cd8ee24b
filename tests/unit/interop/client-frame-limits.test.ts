// The client's own checks on what a gateway sends (a hostile or broken gateway is as much bad
// input as a hostile contact): a binary frame, a frame over maxFrameBytes and a frame nested
// deeper than MAX_JSON_DEPTH are each reported and dropped before they are parsed deeply, and
// the connection stays usable: the next answer still arrives.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { WebSocketServer } from 'ws';
import { InteropConnection } from '../../../src/interop-client/connection';
import { MAX_JSON_DEPTH } from '../../../src/protocol/validate';

const HELLO_RESULT = {
  provider: 'native', e2ee: true, protocolVersion: 1, serverTime: 1, devMode: true,
  limits: { maxFrameBytes: 1 << 20, maxMediaBytes: 1 << 19, preKeyLowWater: 10, maxOneTimePreKeysPerUpload: 100, deliveryWindow: 10 },
};

/** A gateway that answers every request, but first sends `hostile` (each frame in turn). */
async function hostileGateway(hostile: (string | Buffer)[]): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) =>
    ws.on('message', (data) => {
      const req = JSON.parse(data.toString()) as { id: string; type: string };
      if (req.type !== 'hello') for (const frame of hostile) ws.send(frame, { binary: Buffer.isBuffer(frame) });
      ws.send(JSON.stringify({ v: 1, id: req.id, type: 'result', result: req.type === 'hello' ? HELLO_RESULT : { serverTime: 2 } }));
    }),
  );
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function problemsWith(frames: (string | Buffer)[], maxFrameBytes?: number): Promise<string[]> {
  const gateway = await hostileGateway(frames);
  const conn = new InteropConnection({ url: gateway.url, provider: 'native', secret: 'x', reconnect: false, maxFrameBytes });
  const problems: string[] = [];
  conn.on('protocolError', (m) => problems.push(m));
  try {
    await conn.connect();
    // the answer after the hostile frames still arrives: they were dropped, nothing broke
    await conn.request('ping', {});
    return problems;
  } finally {
    await conn.close();
    await gateway.close();
  }
}

it('drops a binary frame from the gateway and keeps going', async () => {
  const problems = await problemsWith([Buffer.from('{"v":1,"type":"event","event":"envelope","data":{}}')]);
  assert.deepEqual(problems, ['binary frame from gateway ignored (the protocol is JSON text)']);
});

// (a frame over twice the limit is refused by the socket itself, which closes: see connection.ts)
it('drops a frame over maxFrameBytes before parsing it and keeps going', async () => {
  const big = JSON.stringify({ v: 1, type: 'event', event: 'envelope', data: { pad: 'x'.repeat(15_000) } });
  const problems = await problemsWith([big], 10_000);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^frame of \d+ bytes from gateway ignored \(limit 10000\)$/);
});

it(`drops a frame nested deeper than ${MAX_JSON_DEPTH} and keeps going`, async () => {
  const deep = `{"v":1,"type":"event","event":"envelope","data":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
  const problems = await problemsWith([deep]);
  assert.equal(problems.length, 1);
  assert.match(problems[0], /^unreadable frame from gateway: .*(deep|nest)/i);
});
