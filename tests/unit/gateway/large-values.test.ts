/**
 * Values of many megabytes through the validators: base64 is checked in linear time (a
 * backtracking pattern overflowed V8's regexp stack on 5 MB of media and killed the process),
 * and the check agrees with what base64 decoding accepts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isBase64 } from '../../../src/protocol/schemas/common';
import { parseGatewayFrame, parseRequestFrame, validateResult } from '../../../src/protocol/validate';

test('isBase64 accepts exactly padded standard base64', () => {
  for (const n of [0, 1, 2, 3, 4, 5, 31, 32, 33]) assert.ok(isBase64(randomBytes(n).toString('base64')), `length ${n}`);
  for (const bad of ['A', 'AB', 'ABC', 'A===', '====', 'AB=C', '=ABC', 'AB==AB==', 'ab-_', 'AB\nC', 'ABC\u00e9', 'AB C', 'ABCD=']) {
    assert.equal(isBase64(bad), false, JSON.stringify(bad));
  }
});

test('a 12 MB media upload validates without throwing, and a bad character at its end is refused', () => {
  const data = randomBytes(9 * 1024 * 1024).toString('base64');
  const good = parseRequestFrame(JSON.stringify({ v: 1, id: 'u', type: 'media.upload', params: { data } }));
  assert.equal(good.ok, true);
  const bad = parseRequestFrame(JSON.stringify({ v: 1, id: 'u', type: 'media.upload', params: { data: `${data.slice(0, -4)}AB*=` } }));
  assert.ok(!bad.ok && bad.error.code === 'invalid_params' && bad.error.field === '/params/data');
});

test('a client validates an envelope and a media download of many megabytes', () => {
  const body = randomBytes(11 * 1024 * 1024).toString('base64');
  const envelope = parseGatewayFrame(JSON.stringify({
    v: 1, type: 'event', event: 'envelope',
    data: {
      recipient: { phone: '+33612345678', deviceId: 1 }, envelopeId: '1',
      sender: { phone: '+4915112345678', deviceId: 1, provider: 'native', bridged: false, e2ee: true },
      serverTimestamp: 1, payload: { kind: 'message', clientMessageId: 'm-1', type: 'whisper', body },
    },
  }));
  assert.equal(envelope.ok, true);
  const download = validateResult('media.download', { mediaId: 'Vw3nJ1f8T0q9zP2kLr5xYg', size: 1, data: body });
  assert.equal(download.ok, true);
});
