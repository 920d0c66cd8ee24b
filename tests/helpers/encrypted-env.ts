// The start of every end-to-end test of encrypted rooms: the interop world with end-to-bridge
// encryption configured, Alice as a plain client plus a crypto-wasm device of hers
// (tests/helpers/crypto-test-client.ts, logged in and cross-signed before any portal exists,
// so the bridge's devices share keys with it), and a contact who writes first.
import type { TestContext } from 'node:test';
import type { BridgeConfig } from '../../src/config/types';
import type { SimUser } from '../../src/sim/sim-user';
import { CryptoTestClient } from './crypto-test-client';
import {
  acceptMessageRequest, acceptPortalInvite, ghostId, loginMatrixUser, matrixUser, newSim, startInteropEnv, type InteropEnv,
} from './interop-env';
import type { MatrixClient } from './matrix-client';

export const ALICE_PHONE = '+4915112345678';

export interface EncryptedWorld {
  env: InteropEnv;
  alice: MatrixClient;
  aliceCrypto: CryptoTestClient;
}

/** The world with `adjust` applied (set security.encryption there); stopped when the test ends. */
export async function startEncryptedWorld(t: TestContext, adjust: (c: BridgeConfig) => void): Promise<EncryptedWorld> {
  const env = await startInteropEnv({ adjust });
  t.after(() => env.stop());
  const alice = await matrixUser(env, 'alice');
  const aliceCrypto = await CryptoTestClient.login(env.bridgeEnv.hs.url, 'alice', 'alice-password');
  t.after(() => aliceCrypto.close());
  await aliceCrypto.crossSign();
  return { env, alice, aliceCrypto };
}

export interface ContactPortal {
  managementRoom: string;
  sam: SimUser;
  ghost: string;
  /** Alice's sync position before the contact's first message */
  mark: number;
  portal: string;
  /** the network's ID of the first message */
  firstMessageId: string;
}

/** Alice logs in; `phone` writes `first`; she accepts the request and joins the portal. */
export async function portalFromContact(w: EncryptedWorld, phone: string, first: string): Promise<ContactPortal> {
  const { env, alice } = w;
  const { managementRoom } = await loginMatrixUser(env, alice, ALICE_PHONE);
  const sam = await newSim(env, phone, 'native', { displayName: 'Sam' });
  const ghost = ghostId(env, phone);
  const mark = await alice.catchUp();
  const firstMessageId = await sam.sendText(ALICE_PHONE, first);
  await acceptMessageRequest(env, alice, managementRoom, phone, mark);
  const portal = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
  return { managementRoom, sam, ghost, mark, portal, firstMessageId };
}
