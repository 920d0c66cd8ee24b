// kill -9 of a process holding a device over the durable crypto store loses nothing: killed
// right after it decrypted (and so consumed a one-time key and stored a room key), and again
// right after it encrypted (advancing its Olm ratchet), the reopened device has the same
// identity, decrypts the earlier message, keeps sending on the same Olm session in a way the
// peer can still decrypt, and still holds the private halves of one-time keys it published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { loadCryptoWasm } from '../../../../src/matrix/crypto/wasm';
import { toWire, type WireRequest } from '../../../../src/matrix/crypto/outgoing-requests';
import { KeyDirectory, machineParty, type Party } from '../../../helpers/olm-exchange';
import { startCryptoChild, type CryptoChild } from '../../../helpers/crypto-child-process';

const A = '@ghost_a:localhost';
const A_DEVICE = 'GHOSTDEV';
const room = '!room:localhost';

/** Sends `requests` (from shareRoomKey or getMissingSessions) and marks them on `mark`. */
async function deliver(dir: KeyDirectory, from: Party, requests: WireRequest[]): Promise<void> {
  for (const request of requests) {
    const response = dir.answer(from, request);
    await from.markSent(request.id!, request.type as wasm.RequestType, response);
  }
}

async function peer(dir: KeyDirectory, userId: string, deviceId: string): Promise<wasm.OlmMachine> {
  const machine = await wasm.OlmMachine.initialize(new wasm.UserId(userId), new wasm.DeviceId(deviceId));
  await dir.pump(machineParty(machine));
  return machine;
}

/** `sender` shares a room key with A and encrypts `body`; returns the room event. */
async function sendToA(dir: KeyDirectory, sender: wasm.OlmMachine, roomId: string, body: string, eventId: string) {
  const party = machineParty(sender);
  await sender.updateTrackedUsers([new wasm.UserId(A)]);
  await dir.pump(party);
  const claim = await sender.getMissingSessions([new wasm.UserId(A)]);
  if (claim) await deliver(dir, party, [toWire(claim as never)]);
  await deliver(dir, party, (await sender.shareRoomKey(new wasm.RoomId(roomId), [new wasm.UserId(A)], new wasm.EncryptionSettings())).map((r) => toWire(r as never)));
  const content = JSON.parse(await sender.encryptRoomEvent(new wasm.RoomId(roomId), 'm.room.message', JSON.stringify({ msgtype: 'm.text', body }))) as unknown;
  return { type: 'm.room.encrypted', sender: party.userId, event_id: eventId, origin_server_ts: Date.now(), room_id: roomId, content };
}

async function decryptOnPeer(dir: KeyDirectory, peerMachine: wasm.OlmMachine, event: unknown): Promise<string> {
  const inbox = dir.takeInbox(peerMachine.userId.toString(), peerMachine.deviceId.toString());
  await peerMachine.receiveSyncChanges(JSON.stringify(inbox), new wasm.DeviceLists(), new Map(), new Set());
  const decrypted = await peerMachine.decryptRoomEvent(JSON.stringify(event), new wasm.RoomId(room), new wasm.DecryptionSettings(wasm.TrustRequirement.Untrusted));
  return (JSON.parse(decrypted.event) as { content: { body: string } }).content.body;
}

test('a device killed right after decrypting and right after encrypting comes back whole', async (t) => {
  await loadCryptoWasm();
  const dirPath = mkdtempSync(join(tmpdir(), 'crypto-kill-'));
  const children: CryptoChild[] = [];
  t.after(async () => {
    for (const c of children) await c.kill();
    rmSync(dirPath, { recursive: true, force: true });
  });
  const openArgs = { path: join(dirPath, 'crypto.db'), secret: 'test-key-at-rest-secret-0123456789', userId: A, deviceId: A_DEVICE };
  const start = async () => {
    const child = startCryptoChild();
    children.push(child);
    const identity = await child.rpc<{ ed25519: string }>('open', openArgs);
    return { child, identity, party: child.party(A, A_DEVICE) };
  };
  const dir = new KeyDirectory();

  // run 1: A publishes its keys; B opens an Olm session with one of A's one-time keys
  const run1 = await start();
  await dir.pump(run1.party);
  const published = dir.oneTimeKeysLeft(A, A_DEVICE);
  assert.ok(published >= 2, 'A published one-time keys');
  const b = await peer(dir, '@b:localhost', 'BDEV');
  const first = await sendToA(dir, b, room, 'first', '$first');
  await run1.child.rpc('receive', { events: dir.takeInbox(A, A_DEVICE) });
  const decrypted = await run1.child.rpc<{ content: { body: string } }>('decrypt', { event: first, roomId: room }, { killAfter: true });
  assert.equal(decrypted.content.body, 'first');
  await run1.child.exited;

  // run 2: same device, the room key survived; A answers B over the Olm session B made
  const run2 = await start();
  assert.deepEqual(run2.identity, run1.identity, 'the reopened device has the same identity keys');
  assert.ok(!(await run2.party.outgoing()).some((r) => r.type === wasm.RequestType.KeysUpload && 'device_keys' in JSON.parse(r.body)),
    'the reopened device does not publish itself again');
  assert.equal((await run2.child.rpc<{ content: { body: string } }>('decrypt', { event: first, roomId: room })).content.body, 'first');
  await run2.child.rpc('track', { userId: '@b:localhost' });
  await dir.pump(run2.party);
  assert.equal(await run2.child.rpc('missingSessions', { userId: '@b:localhost' }), null, 'the Olm session from B is still there');
  await deliver(dir, run2.party, await run2.child.rpc<WireRequest[]>('share', { roomId: room, userId: '@b:localhost' }));
  const reply1 = await run2.child.rpc('encrypt', { roomId: room, type: 'm.room.message', content: { msgtype: 'm.text', body: 'reply one' } }, { killAfter: true });
  await run2.child.exited;
  assert.equal(await decryptOnPeer(dir, b, { type: 'm.room.encrypted', sender: A, event_id: '$r1', origin_server_ts: Date.now(), room_id: room, content: reply1 }), 'reply one');

  // run 3: the Olm ratchet moved on (a rolled-back one would reuse a message key B already
  // spent), and an unused published one-time key still opens a new session from C
  const run3 = await start();
  await run3.child.rpc('invalidate', { roomId: room });
  await deliver(dir, run3.party, await run3.child.rpc<WireRequest[]>('share', { roomId: room, userId: '@b:localhost' }));
  const reply2 = await run3.child.rpc('encrypt', { roomId: room, type: 'm.room.message', content: { msgtype: 'm.text', body: 'reply two' } });
  assert.equal(await decryptOnPeer(dir, b, { type: 'm.room.encrypted', sender: A, event_id: '$r2', origin_server_ts: Date.now(), room_id: room, content: reply2 }), 'reply two');
  assert.ok(dir.oneTimeKeysLeft(A, A_DEVICE) >= 1);
  const c = await peer(dir, '@c:localhost', 'CDEV');
  const fromC = await sendToA(dir, c, room, 'from c', '$c1');
  await run3.child.rpc('receive', { events: dir.takeInbox(A, A_DEVICE) });
  assert.equal((await run3.child.rpc<{ content: { body: string } }>('decrypt', { event: fromC, roomId: room })).content.body, 'from c');
});
