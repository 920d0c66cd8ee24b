/**
 * Bad input on both sides of the socket: the gateway answers malformed frames with error
 * frames and keeps the connection usable; the client survives a gateway that sends garbage,
 * and reports undecryptable or invalid content instead of dropping it or crashing.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { InteropConnection } from '../../../src/interop-client/connection';
import { InteropRequestError } from '../../../src/interop-client/errors';
import type { SimUser } from '../../../src/sim/sim-user';
import { SECRETS, TestGateway } from './harness';

type Frame = { id: string | null; type: string; error?: { code: string; field?: string }; result?: unknown };

/** A bare WebSocket that returns the next frame the gateway sends. */
async function rawSocket(url: string): Promise<{ ws: WebSocket; next: () => Promise<Frame> }> {
  const ws = new WebSocket(url);
  const inbox: Frame[] = [];
  const waiters: Array<(f: Frame) => void> = [];
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as Frame;
    const w = waiters.shift();
    if (w) w(f);
    else inbox.push(f);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, next: () => new Promise((resolve) => (inbox.length ? resolve(inbox.shift() as Frame) : waiters.push(resolve))) };
}

describe('malformed frames', () => {
  let gw: TestGateway;
  let alice: SimUser;
  let bob: SimUser;
  let plain: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim('+4915100000501');
    bob = await gw.sim('+4915100000502');
    plain = await gw.sim('+447700900501', { provider: 'plainchat' });
  });
  after(() => gw.close());

  it('answers each kind of malformed frame with an error and stays usable', async () => {
    const { ws, next } = await rawSocket(gw.url);
    try {
      ws.send('this is not json');
      const notJson = await next();
      assert.deepEqual([notJson.id, notJson.error?.code], [null, 'bad_frame']);
      ws.send('[1,2,3]');
      assert.equal((await next()).error?.code, 'bad_frame');
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
      assert.equal((await next()).error?.code, 'bad_frame');
      ws.send(JSON.stringify({ v: 3, id: 'a', type: 'ping', params: {} }));
      assert.equal((await next()).error?.code, 'unsupported_version');
      ws.send(JSON.stringify({ v: 1, id: 'b', type: 'no.such.thing', params: {} }));
      const unknown = await next();
      assert.deepEqual([unknown.id, unknown.error?.code], ['b', 'unknown_type']);
      ws.send(JSON.stringify({ v: 1, id: 'c', type: 'account.register_request', params: { phone: '+4915100000599' } }));
      assert.equal((await next()).error?.code, 'unauthenticated');
      ws.send(JSON.stringify({ v: 1, id: 'd', type: 'hello', params: { provider: 'native', secret: SECRETS.native } }));
      assert.equal((await next()).type, 'result');
      ws.send(JSON.stringify({ v: 1, id: 'e', type: 'account.register_request', params: { phone: '0049 151 not e164' } }));
      const invalid = await next();
      assert.equal(invalid.error?.code, 'invalid_params');
      assert.equal(invalid.error?.field, '/params/phone');
      ws.send(JSON.stringify({ v: 1, id: 'f', type: 'ping', params: {} }));
      const pong = await next();
      assert.deepEqual([pong.id, pong.type], ['f', 'result']);
    } finally {
      ws.close();
    }
  });

  it('reports an undecryptable envelope as unreadable, acks it, and keeps receiving', async () => {
    await alice.sendText(bob.phone, 'establish');
    await bob.waitFor('message', (m) => m.sender.phone === alice.phone);
    const garbage = Buffer.from('certainly not a signal message').toString('base64');
    await alice.connection.request('message.submit', {
      from: { phone: alice.phone, deviceId: alice.deviceId as number },
      to: bob.phone,
      clientMessageId: 'garbage-1',
      messages: [{ deviceId: bob.deviceId as number, type: 'whisper', body: garbage }],
    });
    const bad = await bob.waitFor('unreadable', (u) => u.clientMessageId === 'garbage-1');
    assert.equal(bad.reason, 'decrypt_failed');
    const id = await alice.sendText(bob.phone, 'after the garbage');
    await bob.waitFor('message', (m) => m.content.messageId === id);
  });

  it('reports content that is not valid MIMI content as unreadable', async () => {
    await plain.connection.request('message.submit', {
      from: { phone: plain.phone, deviceId: plain.deviceId as number },
      to: bob.phone,
      clientMessageId: 'bad-content-1',
      messages: [{ deviceId: bob.deviceId as number, type: 'plaintext', body: Buffer.from('{"kind":"message"}').toString('base64') }],
    });
    const bad = await bob.waitFor('unreadable', (u) => u.clientMessageId === 'bad-content-1');
    assert.equal(bad.reason, 'invalid_content');
    assert.match(bad.error, /content/);
  });

  it('refuses to send invalid content instead of putting it on the wire', async () => {
    await assert.rejects(
      alice.client.sendContent(bob.phone, { kind: 'message', messageId: 'x', timestamp: 1, parts: [] }),
      /invalid content/,
    );
  });

  it('survives a gateway that answers with garbage', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (ws) =>
      ws.on('message', (data) => {
        const req = JSON.parse(data.toString()) as { id: string; type: string };
        ws.send('}{ not json');
        ws.send(JSON.stringify({ v: 1, type: 'event', event: 'envelope', data: { nonsense: true } }));
        if (req.type === 'hello') {
          ws.send(JSON.stringify({ v: 1, id: req.id, type: 'result', result: {
            provider: 'native', e2ee: true, protocolVersion: 1, serverTime: 1, devMode: true,
            limits: { maxFrameBytes: 1 << 20, maxMediaBytes: 1 << 19, preKeyLowWater: 10, maxOneTimePreKeysPerUpload: 100, deliveryWindow: 10 },
          } }));
        } else {
          ws.send(JSON.stringify({ v: 1, id: req.id, type: 'result', result: { serverTime: 'yesterday' } }));
        }
      }),
    );
    const conn = new InteropConnection({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, provider: 'native', secret: 'x', reconnect: false,
    });
    const problems: string[] = [];
    conn.on('protocolError', (m) => problems.push(m));
    try {
      await conn.connect();
      await assert.rejects(conn.request('ping', {}), (e: Error) => e instanceof InteropRequestError && e.code === 'invalid_response');
      assert.ok(problems.some((p) => /not valid JSON/.test(p)));
      assert.ok(problems.some((p) => /data/.test(p)));
    } finally {
      await conn.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('quotes what a hostile gateway says before it can reach a log line', async () => {
    const hostile = 'no media <script>alert(1)</script>\nlevel=error forged';
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (ws) =>
      ws.on('message', (data) => {
        const req = JSON.parse(data.toString()) as { id: string; type: string };
        if (req.type === 'hello') {
          ws.send(JSON.stringify({ v: 1, id: req.id, type: 'result', result: {
            provider: 'native', e2ee: true, protocolVersion: 1, serverTime: 1, devMode: true,
            limits: { maxFrameBytes: 1 << 20, maxMediaBytes: 1 << 19, preKeyLowWater: 10, maxOneTimePreKeysPerUpload: 100, deliveryWindow: 10 },
          } }));
          return;
        }
        ws.send(JSON.stringify({ v: 1, id: null, type: 'error', error: { code: 'media_not_found', message: hostile } }));
        ws.send(JSON.stringify({ v: 1, id: req.id, type: 'error', error: { code: 'media_not_found', message: hostile } }));
      }),
    );
    const conn = new InteropConnection({
      url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, provider: 'native', secret: 'x', reconnect: false,
    });
    const problems: string[] = [];
    conn.on('protocolError', (m) => problems.push(m));
    try {
      await conn.connect();
      const err = await conn.request('media.download', { mediaId: 'abc' }).catch((e: Error) => e);
      assert.ok(err instanceof InteropRequestError && err.code === 'media_not_found');
      assert.equal(problems.length, 1);
      for (const text of [err.message, ...problems]) {
        assert.match(text, /^[\x20-\x7e]*$/, JSON.stringify(text));
        assert.ok(!text.includes('<script>'), text);
      }
    } finally {
      await conn.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
