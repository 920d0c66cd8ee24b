/**
 * The connector's side of providers.list: InteropClient.listProviders against the real gateway
 * (the development providers, sorted), and InteropSession's reading of the answers: a gateway
 * without the list (`unknown_type`) is "unsupported", not a failure; a lost connection stays a
 * plain (transient) error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InteropClient } from '../../../src/interop-client/client';
import { InteropRequestError } from '../../../src/interop-client/errors';
import { InteropSession } from '../../../src/network/interop/interop-session';
import type { E164 } from '../../../src/network/phone';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway } from './harness';

const ALICE = '+4915100000211';

function sessionAnswering(error: Error | undefined): InteropSession {
  const client = { listProviders: async () => { if (error) throw error; return [{ id: 'native', e2ee: true }]; } } as unknown as InteropClient;
  return new InteropSession(ALICE as E164, client, async () => {}, async () => new Uint8Array(), async () => []);
}

describe('providers.list through the interop client', () => {
  let gw: TestGateway;
  let alice: SimUser;

  before(async () => {
    gw = await TestGateway.start();
    alice = await gw.sim(ALICE);
  });
  after(() => gw.close());

  it('lists the gateway\'s providers sorted by id, with their encryption', async () => {
    const providers = await alice.client.listProviders();
    assert.deepEqual(providers.map((p) => p.id), [...providers.map((p) => p.id)].sort());
    assert.equal(providers.find((p) => p.id === 'native')?.e2ee, true);
    assert.equal(providers.find((p) => p.id === 'plainchat')?.e2ee, false);
  });
});

describe('InteropSession.listProviders', () => {
  it('a gateway with the list answers it', async () => {
    assert.deepEqual(await sessionAnswering(undefined).listProviders(), [{ id: 'native', e2ee: true }]);
  });

  it('a gateway without the list (unknown_type) answers "unsupported"; a lost connection stays transient', async () => {
    const old = new InteropRequestError('unknown_type', 'providers.list: unknown_type: unknown request type "providers.list"');
    assert.equal(await sessionAnswering(old).listProviders(), 'unsupported');
    const lost = new InteropRequestError('disconnected', 'connection lost');
    await assert.rejects(sessionAnswering(lost).listProviders(), (e: unknown) => e === lost);
  });
});
