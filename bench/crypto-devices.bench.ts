/**
 * What a device per speaking ghost costs (issue 12): memory per open OlmMachine, time to the
 * first encrypted message of a new ghost device (device creation, key upload, cross-signing,
 * key claim, room key share, encrypt, send) and of a ghost whose closed machine is reopened
 * from its journal, all against the pinned Synapse with a crypto-wasm test client as the
 * recipient (each message is checked to decrypt on it). Run: npm run bench:crypto.
 * GHOSTS (default 20) sets how many ghost devices are made.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { parseConfig } from '../src/config/load';
import { generateRegistration, writeRegistration } from '../src/registration/generate';
import { SodiumSecretBox } from '../src/interop-client/signal/secret-box';
import { CryptoStoreFile } from '../src/matrix/crypto/journal-file';
import { DeviceManager } from '../src/matrix/crypto/device-manager';
import { FetchAppserviceHttp } from '../src/matrix/crypto/appservice-http';
import { startAppserviceRecorder } from '../tests/helpers/appservice-recorder';
import { withCryptoExtensions } from '../tests/helpers/crypto-registration';
import { CryptoTestClient } from '../tests/helpers/crypto-test-client';
import { registerAppserviceUser, type MatrixClient } from '../tests/helpers/matrix-client';
import { repoRoot, startSynapse } from '../tests/helpers/synapse';
import { percentile } from './stats';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function settledMemory(): { rss: number; heap: number } {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external };
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
const ms = (sorted: number[]) => `p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms`;

async function main(): Promise<void> {
  const ghostCount = Number(process.env.GHOSTS ?? 20);
  const dir = mkdtempSync(join(tmpdir(), 'crypto-bench-'));
  const config = parseConfig(readFileSync(join(repoRoot, 'config.sample.yaml'), 'utf8'));
  config.homeserver.domain = 'localhost';
  const base = generateRegistration(config, 'http://127.0.0.1:1');
  const recorder = await startAppserviceRecorder(base.hs_token);
  const registration = withCryptoExtensions({ ...base, url: recorder.url });
  writeRegistration(join(dir, 'registration.yaml'), registration);
  const hs = await startSynapse({ registrationFiles: [join(dir, 'registration.yaml')], dir: join(dir, 'hs') });
  const store = new CryptoStoreFile(join(dir, 'crypto.db'), await SodiumSecretBox.fromSecret('bench-key-at-rest-secret-0123456789'));
  const devices = new DeviceManager({ store, http: new FetchAppserviceHttp(hs.url, registration.as_token), maxOpen: ghostCount + 1 });
  const alice = await CryptoTestClient.register(hs, 'alice');
  try {
    const ghosts: { client: MatrixClient; roomId: string }[] = [];
    for (let i = 0; i < ghostCount; i++) {
      const client = await registerAppserviceUser(hs.url, registration.as_token, `wa_+4915100000${String(i).padStart(3, '0')}`);
      const roomId = await alice.matrix.createRoom({ invite: [client.userId], initialState: [{ type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } }] });
      await client.join(roomId);
      ghosts.push({ client, roomId });
    }
    const send = (g: { client: MatrixClient; roomId: string }, body: string) => devices.withDevice(g.client.userId, async (d) =>
      g.client.sendEvent(g.roomId, 'm.room.encrypted', await d.encryptForRoom(g.roomId, [alice.userId, g.client.userId], 'm.room.message', { msgtype: 'm.text', body })));

    // warm-up outside the figures: the wasm module, the first HTTP connections
    await devices.withDevice(`@${registration.sender_localpart}:localhost`, async () => undefined);
    const before = settledMemory();
    const firstMessage: number[] = [];
    const sent: { roomId: string; eventId: string; body: string }[] = [];
    for (const [i, g] of ghosts.entries()) {
      const t0 = performance.now();
      sent.push({ roomId: g.roomId, eventId: await send(g, `first ${i}`), body: `first ${i}` });
      firstMessage.push(performance.now() - t0);
    }
    const after = settledMemory();

    // close every ghost machine, then time the first message of a reopened one
    await devices.closeIdle();
    const closed = settledMemory();
    const reopened: number[] = [];
    for (const [i, g] of ghosts.entries()) {
      const t0 = performance.now();
      sent.push({ roomId: g.roomId, eventId: await send(g, `again ${i}`), body: `again ${i}` });
      reopened.push(performance.now() - t0);
    }
    const reopenedMemory = settledMemory();
    const steady: number[] = [];
    for (const [i, g] of ghosts.entries()) {
      const t0 = performance.now();
      await send(g, `steady ${i}`);
      steady.push(performance.now() - t0);
    }

    // as a client does for the members of an encrypted room: learn their devices and identities
    await alice.track(ghosts.map((g) => g.client.userId));
    for (const s of sent) {
      const event = await alice.waitForEvent(s.roomId, (e) => e.event_id === s.eventId, 60_000);
      const clear = await alice.decrypt(s.roomId, event, wasm.TrustRequirement.CrossSignedOrLegacy).catch((e: { description?: string }) => {
        throw new Error(`bench: ${s.body} did not decrypt: ${e.description ?? String(e)}`);
      });
      if (clear.event.content.body !== s.body) throw new Error(`bench: ${s.eventId} decrypted to something else`);
    }

    const sort = (a: number[]) => [...a].sort((x, y) => x - y);
    console.log(`crypto devices: ${ghostCount} ghosts, each message decrypted by the test client under CrossSignedOrLegacy`);
    console.log(`  memory per open machine    rss ${mb((after.rss - before.rss) / ghostCount)} MB, js heap+external ${mb((after.heap - before.heap) / ghostCount)} MB`);
    console.log(`  freed by closing them all  rss ${mb(after.rss - closed.rss)} MB, js heap+external ${mb(after.heap - closed.heap)} MB`);
    console.log(`  all reopened vs first open rss ${mb(reopenedMemory.rss - after.rss)} MB (wasm memory freed by a close is reused, not returned)`);
    console.log(`  first message, new device  ${ms(sort(firstMessage))}`);
    console.log(`  first message, reopened    ${ms(sort(reopened))}`);
    console.log(`  next message, open device  ${ms(sort(steady))}`);
    console.log(`  crypto store file          ${mb(store.db.prepare('SELECT sum(length(sealed)) AS n FROM idb_journal').pluck().get() as number)} MB of journal rows`);
  } finally {
    alice.close();
    await devices.closeAll();
    store.close();
    await hs.stop();
    await recorder.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
