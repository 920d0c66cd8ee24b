/** docs/security.md shows full example events; they must be what the code produces. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matrixToRemoteTrail, remoteToMatrixTrail, securitySummary, toContentHopTrail, HOP_TRAIL_KEY, SECURITY_STATE_TYPE, SECURITY_SUMMARY_KEY } from '../../../src/security';
import { parseContent } from '../../../src/protocol/validate';
import { readHopTrail } from '../../helpers/hop-trail-reader';

// compiled to dist/tests/unit/security: the repository root is four levels up
const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'security.md'), 'utf8');
const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]) as Record<string, unknown>);
const aliceFacts = { contactProvider: 'native', contactE2ee: true, matrixRoomEncrypted: false, identityVerified: true };

test('the doc has the four JSON examples', () => {
  assert.equal(examples.length, 4);
});

test('the remote → Matrix example carries exactly the trail the code builds', () => {
  const event = examples[0] as { type: string; content: Record<string, unknown> };
  assert.equal(event.type, 'm.room.message');
  assert.ok(HOP_TRAIL_KEY in event.content);
  assert.deepEqual(readHopTrail(event.content), remoteToMatrixTrail(aliceFacts));
});

test('the Matrix → remote example is valid content with the trail the code builds', () => {
  const parsed = parseContent(examples[1]);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  assert.deepEqual(examples[1].hopTrail, toContentHopTrail(matrixToRemoteTrail(aliceFacts)));
});

test('the room state examples hold the summary the code builds', () => {
  const summary = securitySummary(false, {
    phone: '+4915112345678', provider: 'native', e2ee: true, identityFingerprint: '3f2a 9c1e 77b0 4d21 0a9e 5c3b 1d8f 6e42', verified: true,
  });
  const bridge = examples[2] as { type: string; content: Record<string, unknown> };
  assert.equal(bridge.type, 'm.bridge');
  assert.deepEqual(bridge.content[SECURITY_SUMMARY_KEY], summary);
  const state = examples[3] as { type: string; state_key: string; content: unknown };
  assert.equal(state.type, SECURITY_STATE_TYPE);
  assert.equal(state.state_key, '');
  assert.deepEqual(state.content, summary);
});
