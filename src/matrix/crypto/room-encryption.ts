/**
 * What the rest of the bridge asks of end-to-bridge encryption, over the DeviceManager:
 * feed an appservice transaction's crypto parts to the devices, decrypt a room event with a
 * device that may hold its key, and encrypt an event as the user who sends it. Decryption
 * failures that no retry of the transaction fixes (no key, a sender mismatch) come back as a
 * result, not thrown, so the caller can tell the user; anything else (a crypto store that
 * failed to write, a homeserver outage) is thrown, so the transaction is answered 500.
 *
 * One operation at a time: a machine used by two calls at once runs two outgoing-request
 * loops over the same pending requests (seen in the e2e test as a transaction failing with
 * "still has outgoing requests after 20 rounds" while a ghost encrypted). Serialising all of
 * them is simple and safe; it costs throughput across portals (per-device queues would not,
 * but a transaction feeds several devices at once).
 */
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { KeyedQueue } from '../../lib/keyed-queue';
import type { DeviceManager } from './device-manager';
import { cryptoOfTransaction } from './transaction-crypto';
import { DEFAULT_TRUST, decryptionSettings, type CryptoTrust } from './trust';

export interface EncryptedRoomEvent {
  type: string;
  event_id: string;
  room_id: string;
  sender: string;
  content: Record<string, unknown>;
  [key: string]: unknown;
}

export type Decryption =
  | { ok: true; type: string; content: Record<string, unknown>; senderDevice: string | undefined }
  | { ok: false; reason: string };

export interface RoomEncryptionLog {
  warn(...parts: unknown[]): void;
  debug(...parts: unknown[]): void;
}

type Devices = Pick<DeviceManager, 'withDevice' | 'receiveTransaction' | 'hasDevice' | 'closeAll'>;

const ONE_AT_A_TIME = 'crypto';

export class RoomEncryption {
  private readonly queue = new KeyedQueue();

  constructor(private readonly devices: Devices, private readonly log: RoomEncryptionLog, private readonly trust: CryptoTrust = DEFAULT_TRUST) {}

  private serial<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(ONE_AT_A_TIME, task);
  }

  /** Before the transaction's room events: its to-device events, key counts and device lists.
   *  `toDevice`: the transaction carried to-device messages (room keys come as those), so
   *  events waiting for a key may decrypt now. */
  async receiveTransaction(body: Record<string, unknown>): Promise<{ toDevice: boolean }> {
    const crypto = cryptoOfTransaction(body);
    if (crypto.skipped.length > 0) this.log.warn(`transaction crypto entries left out: ${crypto.skipped.join('; ')}`);
    const toDevice = crypto.devices.some((d) => d.toDevice.length > 0);
    if (crypto.devices.length + crypto.changed.length + crypto.left.length === 0) return { toDevice };
    const { unknownDevices } = await this.serial(() => this.devices.receiveTransaction(crypto));
    if (unknownDevices > 0) this.log.debug(`${unknownDevices} device entries of a transaction are not the bridge's devices`);
    return { toDevice };
  }

  /** Creates `userId`'s device now (keys uploaded, cross-signed), so that Matrix clients share room keys with it. */
  async ensureDevice(userId: string): Promise<void> {
    await this.serial(() => this.devices.withDevice(userId, async () => undefined));
  }

  /**
   * Decrypts with the first of `readers` (bridge users in the room, most likely first) whose
   * device has the room key. Trust (security.trust.accept_messages_from, trust.ts): any device
   * of the sender, or only the ones they cross-signed (the owner check is core's); crypto-wasm
   * always refuses a key whose sending device is not the sender's.
   */
  async decrypt(event: EncryptedRoomEvent, readers: string[]): Promise<Decryption> {
    const withDevice = readers.filter((r) => this.devices.hasDevice(r));
    if (withDevice.length === 0) return { ok: false, reason: 'no bridge device was in the room to receive the key' };
    let failure: Decryption = { ok: false, reason: 'not decrypted' };
    for (const reader of withDevice) {
      const result = await this.serial(() => this.devices.withDevice(reader, async (device): Promise<Decryption> => {
        try {
          const decrypted = await device.machine.decryptRoomEvent(JSON.stringify(event), new wasm.RoomId(event.room_id),
            decryptionSettings(this.trust.acceptMessagesFrom));
          const clear = JSON.parse(decrypted.event) as { type?: unknown; content?: unknown };
          if (typeof clear.type !== 'string' || typeof clear.content !== 'object' || clear.content === null || Array.isArray(clear.content)) {
            return { ok: false, reason: 'the decrypted event has no type or content' };
          }
          return { ok: true, type: clear.type, content: clear.content as Record<string, unknown>, senderDevice: decrypted.senderDevice?.toString() };
        } catch (error) {
          if (!(error instanceof wasm.MegolmDecryptionError)) throw error;
          return { ok: false, reason: `${wasm.DecryptionErrorCode[error.code] ?? 'UnableToDecrypt'}` };
        }
      }));
      if (result.ok) return result;
      failure = result;
    }
    return failure;
  }

  /** The m.room.encrypted content of an event `asUser` sends into `roomId`, its key shared with the devices of `members` that trust allows. */
  async encrypt(asUser: string, roomId: string, members: string[], type: string, content: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.serial(() => this.devices.withDevice(asUser, (device) => device.encryptForRoom(roomId, members, type, content, this.trust.shareRoomKeysWith)));
  }

  async close(): Promise<void> {
    await this.devices.closeAll();
  }
}
