/**
 * The connector's side of block lists: InteropClient.setBlocklist against the real gateway
 * (the list stored, Signal messages from a blocked sim dropped, delivery back after the
 * unblock), and InteropSession's reading of the answers: a gateway without block lists
 * (`unknown_type`) is "unsupported", not a failure; a refusal is RemoteRefusedError; a lost
 * connection stays a plain (transient) error so core retries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InteropClient } from '../../../src/interop-client/client';
import { InteropRequestError } from '../../../src/interop-client/errors';
import { InteropSession } from '../../../src/network/interop/interop-session';
import { RemoteRefusedError } from '../../../src/network/remote-network';
import type { E164 } from '../../../src/network/phone';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway } from './harness';

const ALICE = '+4915100000201';
const BOB = '+4915100000202';

function sessionAnswering(error: Error | undefined): InteropSession {
  const client = { setBlocklist: async () => { if (error) throw error; return []; } } as unknown as InteropClient;
  return new InteropSession(ALICE as E164, client, async () => {}, async () => new Uint8Array(), async () => []);
}

describe('block lists through the interop client', () => {
  let gw: TestGateway;
  let alice: SimUser;
  let bob: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim(ALICE);
    bob = await gw.sim(BOB);
  });
  after(() => gw.close());

  it('stores the list at the gateway and drops a blocked sender until the unblock', async () => {
    assert.deepEqual(await alice.client.setBlocklist([BOB]), [BOB]);
    assert.deepEqual(await alice.client.getBlocklist(), [BOB]);
    const dropped = await bob.client.sendContent(ALICE, { kind: 'message', messageId: 'b-1', timestamp: Date.now(), parts: [{ type: 'text', body: 'blocked', format: 'plain' }] });
    assert.equal(dropped.duplicate, false);
    assert.deepEqual(await alice.client.setBlocklist([]), []);
    await bob.client.sendContent(ALICE, { kind: 'message', messageId: 'b-2', timestamp: Date.now(), parts: [{ type: 'text', body: 'after', format: 'plain' }] });
    const got = await alice.waitFor('message', (m) => m.content.messageId === 'b-2');
    assert.equal(got.sender.phone, BOB, 'decrypts after the dropped message (Signal skips the gap)');
    assert.equal(alice.received.some((m) => m.content.messageId === 'b-1'), false);
  });

  it('an invalid list is refused by the gateway with invalid_params', async () => {
    await assert.rejects(alice.client.setBlocklist(['not-a-number']), (e: unknown) => e instanceof InteropRequestError && e.code === 'invalid_params');
  });
});

describe('InteropSession.setBlockList', () => {
  it('a gateway that blocks answers "network"', async () => {
    assert.equal(await sessionAnswering(undefined).setBlockList([BOB as E164]), 'network');
  });

  it('a gateway without block lists (unknown_type) answers "unsupported"', async () => {
    const old = new InteropRequestError('unknown_type', 'blocklist.set: unknown_type: unknown request type "blocklist.set"');
    assert.equal(await sessionAnswering(old).setBlockList([BOB as E164]), 'unsupported');
  });

  it('a refusal is RemoteRefusedError; a lost connection stays transient', async () => {
    const refused = new InteropRequestError('invalid_params', 'blocklist.set: invalid_params: too many');
    await assert.rejects(sessionAnswering(refused).setBlockList([]), (e: unknown) => e instanceof RemoteRefusedError && e.code === 'invalid_params');
    const lost = new InteropRequestError('disconnected', 'connection lost');
    await assert.rejects(sessionAnswering(lost).setBlockList([]), (e: unknown) => e === lost);
  });
});
