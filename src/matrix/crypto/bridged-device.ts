/**
 * One open device the bridge speaks from: its OlmMachine over its durable store, the loop that
 * sends the machine's outgoing requests as the appservice, and the first-use cross-signing
 * bootstrap that makes the device trusted by its owner (so Element's "exclude insecure
 * devices" accepts its messages). Callers get the machine through DeviceManager.withDevice and
 * must not keep it: it is closed when idle, and a closed machine throws.
 */
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { AppserviceHttp } from './appservice-http';
import type { DeviceRecords } from './device-records';
import type { DurableIdb } from './durable-idb';
import type { DeviceCryptoData } from './transaction-crypto';
import type { RoomKeySharing } from '../../config/types';
import { signingKeysUpload, toWire, type OutgoingRequestLike, type WireRequest } from './outgoing-requests';
import { sharingStrategy } from './trust';

/** crypto-wasm keeps producing a request until it is marked sent; more rounds than this is a bug. */
const MAX_ROUNDS = 20;

export class BridgedDevice {
  constructor(
    readonly userId: string,
    readonly deviceId: string,
    readonly machine: wasm.OlmMachine,
    readonly idb: DurableIdb,
    private readonly http: AppserviceHttp,
    private readonly records: DeviceRecords,
  ) {}

  /** Sends one request as this device and marks it sent; an error leaves it pending for the next round. */
  async send(request: WireRequest): Promise<string> {
    const response = await this.http.request(request.method, request.path, { userId: this.userId, deviceId: this.deviceId }, request.body);
    if (request.id !== undefined && request.type !== 'signing-keys') {
      await this.machine.markRequestAsSent(request.id, request.type, response);
    }
    return response;
  }

  /** Sends every outgoing request (key upload, key query, claims, to-device, signatures) until none is left. */
  async flushOutgoing(): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const requests = await this.machine.outgoingRequests();
      if (requests.length === 0) return;
      for (const request of requests) await this.send(toWire(request as OutgoingRequestLike));
    }
    throw new Error(`crypto: ${this.deviceId} still has outgoing requests after ${MAX_ROUNDS} rounds`);
  }

  /**
   * Feeds what a transaction brought for this device (to-device events, key counts, fallback
   * key types) and the transaction's device list changes to the machine, as a client does with
   * /sync, then sends what that produced (new one-time keys, key queries). Room events of the
   * same transaction must be decrypted only after this, since the room keys come this way.
   */
  async receive(data: Omit<DeviceCryptoData, 'userId' | 'deviceId'>, lists: { changed: string[]; left: string[] } = { changed: [], left: [] }): Promise<wasm.ProcessedToDeviceEvent[]> {
    const processed = await this.machine.receiveSyncChanges(
      JSON.stringify(data.toDevice),
      new wasm.DeviceLists(lists.changed.map((u) => new wasm.UserId(u)), lists.left.map((u) => new wasm.UserId(u))),
      new Map(Object.entries(data.oneTimeKeyCounts ?? {})),
      // absent means "not reported", not "none left": an empty set would make a new fallback key
      data.unusedFallbackKeyTypes ? new Set(data.unusedFallbackKeyTypes) : undefined,
    );
    await this.flushOutgoing();
    return processed;
  }

  /**
   * Encrypts an event for `roomId` as this device: learns the members' devices, opens Olm
   * sessions where missing, shares the room key with the devices `sharing` names (trust.ts),
   * then encrypts. Returns the m.room.encrypted content; sending it is the caller's (so it goes
   * through the caller's idempotent send).
   * Fresh UserId objects for every call: crypto-wasm consumes the arrays it is given.
   */
  async encryptForRoom(roomId: string, members: string[], type: string, content: Record<string, unknown>, sharing: RoomKeySharing = 'cross_signed_if_set_up'): Promise<Record<string, unknown>> {
    const users = () => members.map((m) => new wasm.UserId(m));
    await this.machine.updateTrackedUsers(users());
    await this.flushOutgoing();
    const settings = new wasm.EncryptionSettings();
    // after the key query above: the strategy depends on the members' cross-signing identities
    settings.sharingStrategy = await sharingStrategy(this.machine, members, sharing);
    const claim = await this.machine.getMissingSessions(users());
    if (claim) await this.send(toWire(claim as OutgoingRequestLike));
    for (const request of await this.machine.shareRoomKey(new wasm.RoomId(roomId), users(), settings)) {
      await this.send(toWire(request as OutgoingRequestLike));
    }
    return JSON.parse(await this.machine.encryptRoomEvent(new wasm.RoomId(roomId), type, JSON.stringify(content))) as Record<string, unknown>;
  }

  /**
   * Publishes the owner's cross-signing identity and signs this device with it, once. The
   * private keys are sealed into the vault before anything is uploaded; a crash in between
   * reruns this with the same identity (bootstrap without reset reuses the stored one).
   */
  async ensureCrossSigned(): Promise<void> {
    if (this.records.get(this.userId)?.crossSigningPublished) return;
    const status = await this.machine.crossSigningStatus();
    const vaulted = this.records.crossSigningKeys(this.userId);
    if (!status.hasMaster && vaulted) {
      // the crypto store was lost but the sealed copy was not: keep the identity contacts know
      await this.machine.importCrossSigningKeys(vaulted.masterKey, vaulted.selfSigningKey, vaulted.userSigningKey);
    }
    const requests = await this.machine.bootstrapCrossSigning(false);
    const exported = await this.machine.exportCrossSigningKeys();
    if (!exported?.masterKey) throw new Error('crypto: cross-signing bootstrap left no master key');
    this.records.saveCrossSigningKeys(this.userId, {
      masterKey: exported.masterKey, selfSigningKey: exported.self_signing_key, userSigningKey: exported.userSigningKey,
    });
    const keysUpload = requests.uploadKeysRequest as OutgoingRequestLike | undefined;
    if (keysUpload) await this.send(toWire(keysUpload));
    // an appservice needs no user-interactive auth here (checked on Synapse 1.163)
    await this.send(signingKeysUpload(requests.uploadSigningKeysRequest.body));
    await this.send(toWire(requests.uploadSignaturesRequest as OutgoingRequestLike));
    this.records.markCrossSigningPublished(this.userId);
    await this.flushOutgoing();
  }
}
