/**
 * Outbound messages of one local account: learns the recipient's devices, establishes
 * sessions from fetched bundles, encrypts once per device (or sends plaintext to providers
 * without end-to-end encryption) and handles `stale_devices` by refetching.
 */
import type { DeviceAddress, DeviceBundle, DeviceCiphertext, KeysFetchResult, SubmitParams } from '../protocol/frames';
import type { InteropConnection } from './connection';
import { InteropRequestError, PlaintextRefusedError } from './errors';
import { KeyedQueue } from '../lib/keyed-queue';
import type { SignalSessions } from './signal/sessions';
import { toBase64 } from './sodium';
import type { SendResult } from './types';

interface RecipientInfo {
  e2ee: boolean;
  deviceIds: number[];
  /** bundles from the last keys.fetch, used once to start a session, then dropped */
  bundles: Map<number, DeviceBundle>;
}

/** Thrown by a send held back because the recipient's identity key just changed
 *  (InteropClientOptions.holdOnIdentityChange). Nothing was sent. */
export class IdentityChangedError extends Error {
  constructor(
    readonly phone: string,
    readonly deviceId: number,
  ) {
    super(`not sent: the identity key of ${phone} (device ${deviceId}) changed; confirm and send again`);
    this.name = 'IdentityChangedError';
  }
}

export interface EncryptedDevice {
  deviceId: number;
  type: 'prekey' | 'whisper';
  body: string;
}

/** A stale_devices answer is retried this often before giving up (devices churning). */
const MAX_ATTEMPTS = 4;
/** How often a rate-limited look-up waits and tries again before the send fails. */
const MAX_RATE_LIMIT_WAITS = 20;

export class OutboundSender {
  private readonly recipients = new Map<string, RecipientInfo>();
  /** "phone.device" pairs known to have a usable session: saves loading it just to check */
  private readonly established = new Set<string>();
  private readonly mutex = new KeyedQueue();

  constructor(
    private readonly conn: InteropConnection,
    private readonly from: () => DeviceAddress,
    /** undefined when our own provider has no end-to-end encryption */
    private readonly sessions: SignalSessions | undefined,
    /** refuse to send when setting up a session reveals a changed identity key */
    private readonly holdOnIdentityChange = false,
  ) {}

  private async fetch(to: string): Promise<RecipientInfo> {
    const res = await this.fetchWithBudget(to);
    const info: RecipientInfo = {
      e2ee: res.e2ee,
      deviceIds: res.devices.map((d) => d.deviceId),
      bundles: new Map(res.devices.map((d) => [d.deviceId, d])),
    };
    this.recipients.set(to, info);
    return info;
  }

  /** Directory look-ups are rate-limited; wait as told rather than fail a message. */
  private async fetchWithBudget(to: string): Promise<KeysFetchResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.conn.request('keys.fetch', { phone: to }, { retryOnDisconnect: true });
      } catch (err) {
        if (!(err instanceof InteropRequestError) || err.code !== 'rate_limited' || attempt >= MAX_RATE_LIMIT_WAITS) throw err;
        const wait = Number((err.details as { retryAfterMs?: number } | undefined)?.retryAfterMs ?? 1000);
        await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(wait, 10), 30_000)));
      }
    }
  }

  /** Known devices, else the devices we hold sessions with (after a restart), else a fetch. */
  private async recipient(to: string): Promise<RecipientInfo> {
    const cached = this.recipients.get(to);
    if (cached) return cached;
    const known = this.sessions ? await this.sessions.sessionDevices(to) : [];
    if (known.length > 0) {
      const info = { e2ee: true, deviceIds: known, bundles: new Map<number, DeviceBundle>() };
      this.recipients.set(to, info);
      return info;
    }
    return this.fetch(to);
  }

  private async encryptFor(to: string, plaintext: Uint8Array): Promise<{ messages: DeviceCiphertext[]; encrypted: boolean }> {
    let info = await this.recipient(to);
    const sessions = this.sessions;
    if (info.e2ee && sessions) {
      for (const deviceId of info.deviceIds) {
        if (this.established.has(`${to}.${deviceId}`)) continue;
        if (!info.bundles.has(deviceId) && !(await sessions.hasSession(to, deviceId))) {
          info = await this.fetch(to);
          break;
        }
      }
    }
    if (!info.e2ee || !sessions) {
      const body = toBase64(plaintext);
      return { messages: info.deviceIds.map((deviceId) => ({ deviceId, type: 'plaintext', body })), encrypted: false };
    }
    const messages: DeviceCiphertext[] = [];
    for (const deviceId of info.deviceIds) {
      const device = info.bundles.get(deviceId);
      if (device) {
        if (!device.bundle) throw new Error(`${to} device ${deviceId} published no prekey bundle`);
        // A fresh bundle with another identity key means the device was reinstalled under the
        // same id: the old session is useless to it, so start over (identityChanged fires).
        const usable =
          (await sessions.hasSession(to, deviceId)) && (await sessions.identityIs(to, deviceId, device.bundle.identityKey));
        if (!usable) {
          const changesBefore = sessions.identityChangeCount(to);
          await sessions.startSession(to, deviceId, device.registrationId, device.bundle);
          // The new key is stored (TOFU), so sending again goes through: the hold is one-shot,
          // for the application to warn the person first.
          if (this.holdOnIdentityChange && sessions.identityChangeCount(to) > changesBefore) {
            info.bundles.delete(deviceId);
            throw new IdentityChangedError(to, deviceId);
          }
        }
      }
      info.bundles.delete(deviceId);
      messages.push({ deviceId, ...(await sessions.encrypt(to, deviceId, plaintext)) });
      this.established.add(`${to}.${deviceId}`);
    }
    return { messages, encrypted: true };
  }

  /** Encrypts for every current device of `to` and returns the submit params, without sending.
   *  The sessions advance: the result must be submitted (once) or the messages are lost. */
  async prepare(to: string, clientMessageId: string, plaintext: Uint8Array): Promise<SubmitParams> {
    return this.mutex.run(to, async () => {
      const { messages } = await this.encryptFor(to, plaintext);
      return { from: this.from(), to, clientMessageId, messages };
    });
  }

  /** `requireEncryption`: refuse (PlaintextRefusedError) rather than send plaintext to a
   *  recipient whose provider has no end-to-end encryption */
  async submit(to: string, clientMessageId: string, plaintext: Uint8Array, requireEncryption = false): Promise<SendResult> {
    for (let attempt = 1; ; attempt++) {
      // The lock covers encryption and handing the frame to the socket, not the round trip:
      // order per recipient is kept (one socket, frames in order) while messages pipeline.
      const pending = await this.mutex.run(to, async () => {
        const { messages, encrypted } = await this.encryptFor(to, plaintext);
        if (requireEncryption && !encrypted) throw new PlaintextRefusedError(to);
        const request = this.conn.request(
          'message.submit',
          { from: this.from(), to, clientMessageId, messages },
          { retryOnDisconnect: true },
        );
        return { request, encrypted, deviceIds: messages.map((m) => m.deviceId) };
      });
      try {
        const res = await pending.request;
        return { ...res, encrypted: pending.encrypted, deviceIds: pending.deviceIds };
      } catch (err) {
        // stale_devices: the device list changed; encryption_mismatch: the account moved to a
        // provider with(out) end-to-end encryption. Both are cured by looking the account up again.
        const refetch = err instanceof InteropRequestError && (err.code === 'stale_devices' || err.code === 'encryption_mismatch');
        if (!refetch || attempt >= MAX_ATTEMPTS) throw err;
        await this.handleStale(to, err);
      }
    }
  }

  private async handleStale(to: string, err: InteropRequestError): Promise<void> {
    const details = (err.details ?? {}) as { extra?: number[] };
    if (this.sessions) {
      for (const deviceId of details.extra ?? []) await this.sessions.forgetDevice(to, deviceId);
    }
    this.recipients.delete(to);
    for (const key of this.established) if (key.startsWith(`${to}.`)) this.established.delete(key);
    await this.mutex.run(to, async () => {
      await this.fetch(to);
    });
  }

  /**
   * Encrypts `plaintext` in the pairwise sessions with the given devices of `to` (a group's
   * sender key on its way to a member): the devices come from the group, so a cached device
   * list that lacks one is looked up again. Refuses a recipient without end-to-end encryption.
   */
  async encryptForDevices(to: string, deviceIds: readonly number[], plaintext: Uint8Array): Promise<EncryptedDevice[]> {
    return this.mutex.run(to, async () => {
      const covers = (ids: readonly number[]): boolean => deviceIds.every((id) => ids.includes(id));
      const cached = this.recipients.get(to);
      if (cached && !covers(cached.deviceIds)) this.forget(to);
      let info = await this.recipient(to);
      if (!covers(info.deviceIds)) info = await this.fetch(to);
      if (!covers(info.deviceIds)) throw new Error(`${to} has other devices than the group says; try again`);
      const { messages, encrypted } = await this.encryptFor(to, plaintext);
      if (!encrypted) throw new PlaintextRefusedError(to);
      return messages.filter((m): m is EncryptedDevice => deviceIds.includes(m.deviceId) && m.type !== 'plaintext');
    });
  }

  /** Forget cached devices of `to` (e.g. after an identity change the app wants re-checked). */
  forget(to: string): void {
    this.recipients.delete(to);
    for (const key of this.established) if (key.startsWith(`${to}.`)) this.established.delete(key);
  }
}
