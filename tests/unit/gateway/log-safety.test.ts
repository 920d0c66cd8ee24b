/**
 * Attacker-chosen strings never reach a log line or an error message verbatim: identifier
 * fields have a safe charset, and what is echoed anyway is quoted, escaped and truncated.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Logger } from '../../../src/gateway/context';
import { quote } from '../../../src/protocol/quote';
import { parseContent, parseRequestFrame } from '../../../src/protocol/validate';
import { RawClient, startTestGateway } from './gateway-harness';

const HOSTILE = ['<script>alert(1)</script>', 'a\nlevel=error forged line', 'x\r\ny', 'tab\there', 'caf\u00e9', '\u202eevil', '\ud800', 'sp ace', '"quoted"'];

test('quote escapes, quotes and truncates', () => {
  assert.equal(quote('plain-id_1'), '"plain-id_1"');
  assert.equal(quote('<script>alert(1)</script>'), '"\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"');
  assert.equal(quote('a\nb'), '"a\\nb"');
  assert.equal(quote('\u202e\ud800'), '"\\u202e\\ud800"');
  assert.equal(quote('x'.repeat(100), 10), `"${'x'.repeat(10)}\\u2026"`);
  for (const s of HOSTILE) assert.match(quote(s), /^"[\x20-\x7e]*"$/, s);
  assert.equal(quote(42), '"42"');
});

test('identifier fields refuse anything outside the safe charset', () => {
  for (const bad of HOSTILE) {
    const r = parseRequestFrame({ v: 1, id: 'r1', type: 'media.download', params: { mediaId: bad } });
    assert.ok(!r.ok && r.error.code === 'invalid_params' && r.error.field === '/params/mediaId', JSON.stringify(bad));
    const ack = parseRequestFrame({ v: 1, id: 'r2', type: 'envelope.ack', params: { phone: '+4915112345678', deviceId: 1, envelopeId: bad } });
    assert.ok(!ack.ok && ack.error.field === '/params/envelopeId', JSON.stringify(bad));
    const c = parseContent({ kind: 'message', messageId: bad, timestamp: 1, parts: [{ type: 'text', body: 'hi', format: 'plain' }] });
    assert.ok(!c.ok, JSON.stringify(bad));
    const frameId = parseRequestFrame({ v: 1, id: bad, type: 'ping', params: {} });
    assert.ok(!frameId.ok && frameId.id === null, 'a hostile request id is not echoed');
  }
  for (const good of ['01JDQ7Y3M7ZK2V9T1QW8B4N6XR', '3f1c1a52-7d1e-4f4e-9a1b-2c3d4e5f6a7b', 'Vw3nJ1f8T0q9zP2kLr5xYg', '$abc+/=:example.org', '$Yx_-9:[::1]:8448', 'm-2']) {
    assert.ok(parseRequestFrame({ v: 1, id: 'g', type: 'media.download', params: { mediaId: good } }).ok, good);
  }
});

test('hostile strings sent to a real gateway appear in no log line and no error message verbatim', async () => {
  const lines: string[] = [];
  const capture = (message: string, fields?: Record<string, unknown>): void => {
    lines.push(message, ...Object.values(fields ?? {}).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))));
  };
  const log: Logger = { info: capture, warn: capture, error: capture };
  const t = await startTestGateway({ log });
  const c = await RawClient.as(t.gateway.url, 'native');
  try {
    const messages: string[] = [];
    for (const s of HOSTILE) {
      for (const frame of [
        { v: 1, id: 'h1', type: 'media.download', params: { mediaId: s } },
        { v: 1, id: 'h2', type: s, params: {} },
        { v: 1, id: 'h3', type: 'ping', params: {}, [s]: 1 },
        { v: 1, id: s, type: 'ping', params: {} },
      ]) {
        c.sendRaw(JSON.stringify(frame));
        const f = await c.nextOrphan();
        assert.equal(f.type, 'error');
        if (f.type === 'error') messages.push(f.error.message, f.error.field ?? '');
      }
    }
    const missing = await c.fails('media.download', { mediaId: 'no-such-media' });
    assert.equal(missing.message, 'no media "no-such-media"');
    // printable ASCII only: no forged lines, no markup, no bidi tricks
    for (const text of [...messages, ...lines]) assert.match(text, /^[\x20-\x7e]*$/, JSON.stringify(text));
    for (const text of [...messages, ...lines]) assert.ok(!text.includes('<script>'), text);
  } finally {
    await c.close();
    await t.cleanup();
  }
});
