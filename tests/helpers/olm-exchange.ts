// A homeserver's key endpoints in miniature, for tests of crypto machines without Synapse:
// it answers keys/upload, keys/query, keys/claim, to-device and signature uploads of any
// number of parties (in this process or, through a proxy, in a child process) and keeps a
// to-device inbox per device. Only what Olm and Megolm need; no cross-signing checks.
import { RequestType } from '@matrix-org/matrix-sdk-crypto-wasm';
import type { OlmMachine } from '@matrix-org/matrix-sdk-crypto-wasm';
import { toWire, type WireRequest } from '../../src/matrix/crypto/outgoing-requests';

export interface Party {
  userId: string;
  deviceId: string;
  outgoing(): Promise<WireRequest[]>;
  markSent(id: string, type: RequestType, response: string): Promise<void>;
}

export interface ToDeviceEvent {
  sender: string;
  type: string;
  content: Record<string, unknown>;
}

export function machineParty(machine: OlmMachine): Party {
  return {
    userId: machine.userId.toString(),
    deviceId: machine.deviceId.toString(),
    outgoing: async () => (await machine.outgoingRequests()).map((r) => toWire(r as never)),
    markSent: async (id, type, response) => { await machine.markRequestAsSent(id, type, response); },
  };
}

type Json = Record<string, unknown>;

export class KeyDirectory {
  private readonly deviceKeys = new Map<string, Map<string, Json>>();
  private readonly oneTimeKeys = new Map<string, [string, Json][]>();
  private readonly inboxes = new Map<string, ToDeviceEvent[]>();

  /** Sends every outgoing request of `party` until it has none left. */
  async pump(party: Party): Promise<void> {
    for (let round = 0; round < 10; round++) {
      const requests = await party.outgoing();
      if (requests.length === 0) return;
      for (const request of requests) {
        const response = this.answer(party, request);
        if (request.id !== undefined && request.type !== 'signing-keys') await party.markSent(request.id, request.type, response);
      }
    }
    throw new Error(`${party.userId} keeps producing requests`);
  }

  /** Delivers a request made outside outgoingRequests (shareRoomKey's to-device, a claim). */
  answer(party: Party, request: WireRequest): string {
    const body = JSON.parse(request.body) as Json;
    switch (request.type) {
      case RequestType.KeysUpload: return JSON.stringify(this.upload(party, body));
      case RequestType.KeysQuery: return JSON.stringify(this.query(body));
      case RequestType.KeysClaim: return JSON.stringify(this.claim(body));
      case RequestType.ToDevice: return JSON.stringify(this.toDevice(party, request.eventType ?? '', body));
      default: return JSON.stringify({ failures: {} });
    }
  }

  /** Takes (and empties) the to-device inbox of a device. */
  takeInbox(userId: string, deviceId: string): ToDeviceEvent[] {
    const key = `${userId}|${deviceId}`;
    const events = this.inboxes.get(key) ?? [];
    this.inboxes.delete(key);
    return events;
  }

  oneTimeKeysLeft(userId: string, deviceId: string): number {
    return this.oneTimeKeys.get(`${userId}|${deviceId}`)?.length ?? 0;
  }

  private upload(party: Party, body: Json): Json {
    const key = `${party.userId}|${party.deviceId}`;
    if (body.device_keys) {
      const devices = this.deviceKeys.get(party.userId) ?? new Map<string, Json>();
      devices.set(party.deviceId, body.device_keys as Json);
      this.deviceKeys.set(party.userId, devices);
    }
    const keys = this.oneTimeKeys.get(key) ?? [];
    for (const [id, value] of Object.entries((body.one_time_keys ?? {}) as Record<string, Json>)) keys.push([id, value]);
    this.oneTimeKeys.set(key, keys);
    return { one_time_key_counts: { signed_curve25519: keys.length } };
  }

  private query(body: Json): Json {
    const deviceKeys: Record<string, Record<string, Json>> = {};
    for (const userId of Object.keys((body.device_keys ?? {}) as Json)) {
      deviceKeys[userId] = Object.fromEntries(this.deviceKeys.get(userId) ?? []);
    }
    return { device_keys: deviceKeys, failures: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
  }

  private claim(body: Json): Json {
    const out: Record<string, Record<string, Record<string, Json>>> = {};
    for (const [userId, devices] of Object.entries((body.one_time_keys ?? {}) as Record<string, Json>)) {
      for (const deviceId of Object.keys(devices)) {
        const next = this.oneTimeKeys.get(`${userId}|${deviceId}`)?.shift();
        if (!next) continue;
        out[userId] ??= {};
        out[userId][deviceId] = { [next[0]]: next[1] };
      }
    }
    return { one_time_keys: out, failures: {} };
  }

  private toDevice(party: Party, type: string, body: Json): Json {
    for (const [userId, devices] of Object.entries((body.messages ?? {}) as Record<string, Record<string, Json>>)) {
      for (const [deviceId, content] of Object.entries(devices)) {
        const targets = deviceId === '*' ? [...(this.deviceKeys.get(userId)?.keys() ?? [])] : [deviceId];
        for (const target of targets) {
          const key = `${userId}|${target}`;
          const inbox = this.inboxes.get(key) ?? [];
          inbox.push({ sender: party.userId, type, content });
          this.inboxes.set(key, inbox);
        }
      }
    }
    return {};
  }
}
