// (g) `kill -9` of the bridge twice during a 100-message stream in an encrypted portal
// (security.encryption: default; issue 12), each direction. Remote → Matrix: every message
// must reach the Matrix user and decrypt on their own crypto-wasm device under
// CrossSignedOrLegacy, none twice, in order, none in plaintext. Matrix → remote: every
// encrypted message of the user must be decrypted by the bridge and reach the contact.
// What must survive the crashes: the ghost's device (its Olm account, its Olm sessions, its
// outbound and inbound Megolm sessions) in the durable crypto store (src/matrix/crypto/),
// and room keys that came as to-device events in a transaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoTestClient } from '../helpers/crypto-test-client';
import { reader } from '../helpers/encrypted-room-reader';
import { acceptMessageRequest, acceptPortalInvite, ghostId, loginMatrixUser, newSim } from '../helpers/interop-env';
import { clientFor } from '../helpers/matrix-client';
import { registerUser } from '../helpers/synapse';
import { ALICE_PHONE, SAM_PHONE, assertDelivered, killPoints, startFaultWorld } from './fault-world';
import type { SimUser } from '../../src/sim/sim-user';
import { collectFromSim, runId, seqOf, sleep, stream, tally } from './streams';

const COUNT = 100;
const RATE = 5; // 20 s of stream, several seconds between kills
const KILLS = 2;

type World = Awaited<ReturnType<typeof startFaultWorld>>;
interface EncryptedChat { world: World; aliceCrypto: CryptoTestClient; sim: SimUser; ghost: string; portal: string }

/** A fault world with end-to-bridge encryption, Alice's crypto device, and an encrypted portal with Sam. */
async function withEncryptedChat(name: string, body: (chat: EncryptedChat) => Promise<void>): Promise<void> {
  const world = await startFaultWorld(name, { adjust: (c) => void (c.security.encryption = 'default') });
  try {
    const alice = clientFor(world.hs.url, await registerUser(world.hs, 'alice', 'alice-password'));
    // Alice's encrypting device, there before the portal, so the ghost shares every key with it
    const aliceCrypto = await CryptoTestClient.login(world.hs.url, 'alice', 'alice-password');
    try {
      await aliceCrypto.crossSign();
      // Sam writes first, Alice accepts; the portal is created encrypted, so its first message
      // is ciphertext too (startChatFromRemote waits for a plaintext one)
      const { managementRoom } = await loginMatrixUser(world, alice, ALICE_PHONE);
      const sim = await newSim(world, SAM_PHONE);
      const ghost = ghostId(world, SAM_PHONE);
      const mark = await alice.catchUp();
      await sim.sendText(ALICE_PHONE, 'hello, encrypted');
      await acceptMessageRequest(world, alice, managementRoom, SAM_PHONE, mark);
      const portal = await acceptPortalInvite(alice, ghost, { after: mark, timeoutMs: 30_000 });
      await aliceCrypto.track([ghost, world.botUserId]);
      await body({ world, aliceCrypto, sim, ghost, portal });
    } finally {
      await aliceCrypto.close();
    }
  } catch (error) {
    console.log(`${name}: FAILED; bridge log ends with:\n${world.bridgeLogTail(60)}`);
    throw error;
  } finally {
    await world.stop();
  }
}

test('(g) bridge kill -9 ×2 during a 100-message remote → Matrix stream into an encrypted portal', { timeout: 300_000 }, async () => {
  await withEncryptedChat('g-kill-encrypted-r2m', async ({ world, aliceCrypto, sim, ghost, portal }) => {
    const room = reader(aliceCrypto, portal);
    const run = runId('g-r2m');
    const result = await stream(run, (body) => sim.sendText(ALICE_PHONE, body), {
      count: COUNT, rate: RATE, faults: killPoints(world, 'R→M encrypted', KILLS, COUNT),
    });
    let arrived: number[] = [];
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      // in the order the homeserver stores them, which is the order Alice sees
      arrived = (await room.decryptedBodies(ghost)).map((b) => seqOf(run, b)).filter((n): n is number => n !== undefined);
      if (new Set(arrived).size >= result.sent.length) break;
      await sleep(1000);
    }
    assertDelivered(world, 'remote → Matrix (encrypted)', tally(run, result.sent, arrived), { unsent: result.unsent });
    const fromBridge = (await room.stored()).filter((e) => (e.sender === ghost || e.sender === world.botUserId) && e.state_key === undefined);
    assert.deepEqual([...new Set(fromBridge.map((e) => e.type))], ['m.room.encrypted'], 'nothing in plaintext into the encrypted portal, across the crashes');
  });
});

test('(g) bridge kill -9 ×2 during a 100-message Matrix → remote stream from an encrypted portal', { timeout: 300_000 }, async () => {
  await withEncryptedChat('g-kill-encrypted-m2r', async ({ world, aliceCrypto, sim, ghost, portal }) => {
    const run = runId('g-m2r');
    // the room key goes to Alice's devices and the bridge's users in the room
    const members = [aliceCrypto.userId, ghost, world.botUserId];
    const result = await stream(run, (body) => aliceCrypto.sendEncrypted(portal, members, { msgtype: 'm.text', body }), {
      count: COUNT, rate: RATE, faults: killPoints(world, 'M→R encrypted', KILLS, COUNT),
    });
    const arrived = await collectFromSim(sim, ALICE_PHONE, run, result.sent, { deadline: Date.now() + 120_000 });
    assertDelivered(world, 'Matrix → remote (encrypted)', tally(run, result.sent, arrived), { unsent: result.unsent });
  });
});
