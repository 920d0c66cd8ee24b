// A child process holding one OlmMachine over the durable crypto store, driven by JSON lines
// on stdin (one command each) and answering one JSON line on stdout per command. A test can
// SIGKILL it the moment an answer arrives: the answer is written only after the machine's
// call resolved, so whatever it promised must already be on disk.
import { createInterface } from 'node:readline';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { loadCryptoWasm } from '../../src/matrix/crypto/wasm';
import { CryptoStoreFile } from '../../src/matrix/crypto/journal-file';
import { DurableIdb } from '../../src/matrix/crypto/durable-idb';
import { toWire } from '../../src/matrix/crypto/outgoing-requests';
import { SodiumSecretBox } from '../../src/interop-client/signal/secret-box';

type Args = Record<string, unknown>;
let machine: wasm.OlmMachine | undefined;

function need(): wasm.OlmMachine {
  if (!machine) throw new Error('open first');
  return machine;
}

const commands: Record<string, (a: Args) => Promise<unknown>> = {
  async open(a) {
    await loadCryptoWasm();
    const file = new CryptoStoreFile(String(a.path), await SodiumSecretBox.fromSecret(String(a.secret)));
    const idb = await DurableIdb.open(file.journal(String(a.userId)));
    machine = await idb.openWith(() =>
      wasm.OlmMachine.initialize(new wasm.UserId(String(a.userId)), new wasm.DeviceId(String(a.deviceId)), 'device'));
    return { ed25519: machine.identityKeys.ed25519.toBase64(), curve25519: machine.identityKeys.curve25519.toBase64() };
  },
  async outgoing() {
    return (await need().outgoingRequests()).map((r) => toWire(r as never));
  },
  async markSent(a) {
    return need().markRequestAsSent(String(a.id), a.type as wasm.RequestType, String(a.response));
  },
  async receive(a) {
    const processed = await need().receiveSyncChanges(JSON.stringify(a.events), new wasm.DeviceLists(), new Map(), new Set());
    return processed.map((p) => p.type);
  },
  async decrypt(a) {
    const decrypted = await need().decryptRoomEvent(JSON.stringify(a.event), new wasm.RoomId(String(a.roomId)),
      new wasm.DecryptionSettings(wasm.TrustRequirement.Untrusted));
    return JSON.parse(decrypted.event) as unknown;
  },
  async track(a) {
    await need().updateTrackedUsers([new wasm.UserId(String(a.userId))]);
    return null;
  },
  async missingSessions(a) {
    const request = await need().getMissingSessions([new wasm.UserId(String(a.userId))]);
    return request ? toWire(request as never) : null;
  },
  async share(a) {
    const requests = await need().shareRoomKey(new wasm.RoomId(String(a.roomId)), [new wasm.UserId(String(a.userId))], new wasm.EncryptionSettings());
    return requests.map((r) => toWire(r as never));
  },
  async encrypt(a) {
    return JSON.parse(await need().encryptRoomEvent(new wasm.RoomId(String(a.roomId)), String(a.type), JSON.stringify(a.content))) as unknown;
  },
  async invalidate(a) {
    return need().invalidateGroupSession(new wasm.RoomId(String(a.roomId)));
  },
};

const lines = createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  queue = queue.then(async () => {
    const { cmd, ...args } = JSON.parse(line) as { cmd: string } & Args;
    try {
      const result = await commands[cmd](args);
      process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ ok: false, error: String(error) })}\n`);
    }
  });
});
