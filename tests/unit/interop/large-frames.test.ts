/**
 * Frames near the size limit through the real gateway and client: an envelope just under
 * `maxFrameBytes` is accepted by the gateway, pushed, and read by the receiving client (which
 * reports it as unreadable, as it is no Signal message) without either process failing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS } from '../../../src/gateway/config';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway } from './harness';

describe('frames near the size limit', () => {
  let gw: TestGateway;
  let alice: SimUser;
  let bob: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim('+4915100000701');
    bob = await gw.sim('+4915100000702');
  });
  after(() => gw.close());

  it('delivers an envelope of almost maxFrameBytes to the receiving client', { timeout: 60_000 }, async () => {
    const params = (body: string) => ({
      from: { phone: alice.phone, deviceId: alice.deviceId as number },
      to: bob.phone,
      clientMessageId: 'near-limit-1',
      messages: [{ deviceId: bob.deviceId as number, type: 'whisper' as const, body }],
    });
    const overhead = JSON.stringify({ v: 1, id: '999999', type: 'message.submit', params: params('') }).length;
    const room = Math.floor((DEFAULTS.maxFrameBytes - overhead - 256) / 4) * 4;
    const body = randomBytes((room / 4) * 3).toString('base64');
    assert.ok(body.length > 16_000_000, `body of ${body.length} characters`);
    const res = await alice.connection.request('message.submit', params(body), { timeoutMs: 30_000 });
    assert.equal(res.duplicate, false);
    const unreadable = await bob.waitFor('unreadable', (u) => u.clientMessageId === 'near-limit-1');
    assert.equal(unreadable.reason, 'decrypt_failed');
    // both still serve normal traffic
    const id = await alice.sendText(bob.phone, 'after the big one');
    await bob.waitFor('message', (m) => m.content.messageId === id);
  });
});
