/** The validators never throw: garbage in, a clear error naming the field out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Content } from '../../../src/protocol/content';
import { parseContent, parseGatewayFrame, parseRequestFrame, validateResult } from '../../../src/protocol/validate';

const text: Content = { kind: 'message', messageId: 'm1', timestamp: 1, parts: [{ type: 'text', body: 'hi', format: 'plain' }] };

test('parseContent accepts every content kind from JSON, bytes or values', () => {
  assert.deepEqual(parseContent(JSON.stringify(text)), { ok: true, content: text });
  assert.deepEqual(parseContent(new TextEncoder().encode(JSON.stringify(text))), { ok: true, content: text });
  const del = { kind: 'message', messageId: 'm2', timestamp: 2, parts: [], replaces: 'm1' };
  assert.equal(parseContent(del).ok, true);
  assert.equal(parseContent({ kind: 'reaction', messageId: 'm3', timestamp: 3, target: 'm1', emoji: '' }).ok, true);
  assert.equal(parseContent({ kind: 'unsupported', messageId: 'm4', timestamp: 4, original: 'poll' }).ok, true);
  assert.equal(parseContent({ ...text, futureField: { anything: true } }).ok, true, 'unknown properties are ignored');
});

test('parseContent refuses garbage with an error naming the field, never a throw', () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /content must be object/],
    ['{"kind":', /not valid UTF-8 JSON/],
    [new Uint8Array([0xff, 0xfe, 0x00]), /not valid UTF-8 JSON/],
    [[1, 2], /must be object/],
    [{ kind: 'poll', messageId: 'x', timestamp: 1 }, /kind/],
    [{ ...text, messageId: 5 }, /messageId/],
    [{ ...text, parts: [{ type: 'text', body: 'x', format: 'html' }] }, /parts\/0\/format must be one of/],
    [{ ...text, parts: [{ type: 'hologram' }] }, /parts\/0 has an unknown or missing "type"/],
    [{ ...text, parts: [{ type: 'attachment', kind: 'image', mediaId: 'a', key: 'short', digest: 'x', size: 1, mimeType: 'image/png' }] }, /parts\/0\/key/],
    [{ ...text, parts: [{ type: 'location', latitude: 91, longitude: 0 }] }, /latitude/],
    [{ kind: 'message', messageId: 'm', timestamp: 1, parts: [] }, /must not be empty unless/],
    [{ kind: 'reaction', messageId: 'm', timestamp: 1, emoji: 'x' }, /target is required/],
    [{ ...text, timestamp: -1 }, /timestamp/],
  ];
  for (const [input, expected] of cases) {
    const r = parseContent(input);
    assert.equal(r.ok, false, `accepted ${JSON.stringify(input)}`);
    if (!r.ok) assert.match(r.error, expected);
  }
});

test('parseRequestFrame names the problem and keeps the id when it can', () => {
  const ok = parseRequestFrame({ v: 1, id: 'a', type: 'keys.fetch', params: { phone: '+4915112345678' } });
  assert.ok(ok.ok);
  const cases: [unknown, string, string | null, string | undefined][] = [
    ['nope', 'bad_frame', null, undefined],
    [{ v: 1, type: 'ping', params: {} }, 'bad_frame', null, '/id'],
    [{ v: 3, id: 'a', type: 'ping', params: {} }, 'unsupported_version', 'a', '/v'],
    [{ v: 1, id: 'a', type: 'nope', params: {} }, 'unknown_type', 'a', '/type'],
    [{ v: 1, id: 'a', type: 'ping', params: {}, extra: 1 }, 'bad_frame', 'a', '/extra'],
    [{ v: 1, id: 'a', type: 'ping' }, 'invalid_params', 'a', '/params'],
    [{ v: 1, id: 'a', type: 'keys.fetch', params: { phone: '0151' } }, 'invalid_params', 'a', '/params/phone'],
    [{ v: 1, id: 'a', type: 'keys.fetch', params: { phone: '+4915112345678', x: 1 } }, 'invalid_params', 'a', '/params/x'],
    [{ v: 1, id: 'a', type: 'media.upload', params: { data: 'not base64!' } }, 'invalid_params', 'a', '/params/data'],
    [{ v: 1, id: 'a', type: 'device.subscribe', params: { phone: '+4915112345678', deviceId: 128 } }, 'invalid_params', 'a', '/params/deviceId'],
  ];
  for (const [input, code, id, field] of cases) {
    const r = parseRequestFrame(typeof input === 'string' ? input : JSON.stringify(input));
    assert.ok(!r.ok, `accepted ${JSON.stringify(input)}`);
    assert.equal(r.error.code, code, JSON.stringify(input));
    assert.equal(r.id, id);
    assert.equal(r.error.field, field, JSON.stringify(input));
  }
});

test('parseGatewayFrame and validateResult refuse what a broken gateway might send', () => {
  assert.equal(parseGatewayFrame('{').ok, false);
  assert.equal(parseGatewayFrame({ v: 1, type: 'event', event: 'envelope', data: {} }).ok, false);
  assert.equal(parseGatewayFrame({ v: 1, type: 'event', event: 'bogus', data: {} }).ok, false);
  assert.equal(parseGatewayFrame({ v: 1, id: 'a', type: 'error', error: { code: 'nope', message: 'x' } }).ok, false);
  assert.equal(parseGatewayFrame({ v: 1, id: 'a', type: 'result', result: { serverTime: 1 } }).ok, true);
  assert.equal(validateResult('ping', { serverTime: 1 }).ok, true);
  const bad = validateResult('keys.fetch', { phone: '+4915112345678', provider: 'x', e2ee: 'yes', devices: [] });
  assert.ok(!bad.ok && bad.error.includes('/result/e2ee'));
});
