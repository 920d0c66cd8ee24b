// A Matrix user with end-to-end encryption of its own, for end-to-end tests of the bridge's
// encryption: a normally registered user whose device is a crypto-wasm OlmMachine (in
// memory, like a fresh Element session), fed by its own /sync. It is deliberately not built
// on the bridge's crypto module, so a test cannot pass because both sides share a bug.
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import { loadCryptoWasm } from '../../src/matrix/crypto/wasm';
import { toWire, type OutgoingRequestLike } from '../../src/matrix/crypto/outgoing-requests';
import { MatrixClient, type MatrixEvent } from './matrix-client';
import { registerUser, type SharedSecretServer } from './synapse-register';

interface SyncBody {
  next_batch: string;
  to_device?: { events?: unknown[] };
  device_lists?: { changed?: string[]; left?: string[] };
  device_one_time_keys_count?: Record<string, number>;
  device_unused_fallback_key_types?: string[];
  rooms?: { join?: Record<string, { timeline?: { events?: MatrixEvent[] } }> };
}

export interface DecryptedForTest {
  event: MatrixEvent;
  senderDevice: string | undefined;
  /** Element's default shield (only device problems count). */
  shield: wasm.ShieldState;
  /** The strict shield: also red for a user this client has not verified. */
  strictShield: wasm.ShieldState;
}

export class CryptoTestClient {
  /** Room timeline events seen through sync, oldest first. */
  readonly timeline: { roomId: string; event: MatrixEvent }[] = [];
  private since: string | undefined;

  private constructor(readonly matrix: MatrixClient, readonly machine: wasm.OlmMachine) {}

  static async register(hs: SharedSecretServer, localpart: string): Promise<CryptoTestClient> {
    await loadCryptoWasm();
    const user = await registerUser(hs, localpart, `pw-${localpart}`);
    const matrix = new MatrixClient(hs.url, user.accessToken, user.userId);
    const machine = await wasm.OlmMachine.initialize(new wasm.UserId(user.userId), new wasm.DeviceId(user.deviceId));
    const client = new CryptoTestClient(matrix, machine);
    await client.flushOutgoing();
    return client;
  }

  /**
   * A new device of an existing user (a second login, as Element on another computer), for a
   * test whose user already has a plain client: each device has its own /sync, so the plain
   * client's syncs cannot consume this device's to-device messages (room keys).
   */
  static async login(homeserverUrl: string, localpart: string, password: string): Promise<CryptoTestClient> {
    await loadCryptoWasm();
    const res = await fetch(`${homeserverUrl}/_matrix/client/v3/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password }),
    });
    if (!res.ok) throw new Error(`login of ${localpart} failed: HTTP ${res.status} ${await res.text()}`);
    const login = (await res.json()) as { access_token: string; user_id: string; device_id: string };
    const machine = await wasm.OlmMachine.initialize(new wasm.UserId(login.user_id), new wasm.DeviceId(login.device_id));
    const client = new CryptoTestClient(new MatrixClient(homeserverUrl, login.access_token, login.user_id), machine);
    await client.flushOutgoing();
    return client;
  }

  get userId(): string {
    return this.matrix.userId;
  }

  /** Sends the machine's outgoing requests with this user's access token until none is left. */
  async flushOutgoing(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      const requests = await this.machine.outgoingRequests();
      if (requests.length === 0) return;
      for (const request of requests) await this.sendRequest(request as OutgoingRequestLike);
    }
    throw new Error('test client keeps producing requests');
  }

  /**
   * Publishes a cross-signing identity for this user and signs this device with it, as Element
   * does at first login. Without it, a receiver requiring CrossSignedOrLegacy refuses this
   * device's messages ("legacy" covers old sessions, not users without cross-signing). The
   * first upload needs no user-interactive auth.
   */
  async crossSign(): Promise<void> {
    const requests = await this.machine.bootstrapCrossSigning(true);
    if (requests.uploadKeysRequest) await this.sendRequest(requests.uploadKeysRequest as OutgoingRequestLike);
    await this.matrix.request('POST', '/_matrix/client/v3/keys/device_signing/upload', JSON.parse(requests.uploadSigningKeysRequest.body));
    await this.sendRequest(requests.uploadSignaturesRequest as OutgoingRequestLike);
    await this.flushOutgoing();
  }

  /** Asks the homeserver for these users' devices now (fresh UserId objects: crypto-wasm consumes them). */
  async track(userIds: string[]): Promise<void> {
    await this.machine.updateTrackedUsers(userIds.map((u) => new wasm.UserId(u)));
    await this.flushOutgoing();
  }

  /** One /sync (`filter`: a filter's JSON, e.g. a timeline limit above a burst): to-device events, device list changes and key counts go to the machine first. */
  async sync(timeoutMs = 0, filter?: string): Promise<void> {
    const query: Record<string, string> = { timeout: String(timeoutMs) };
    if (this.since) query.since = this.since;
    if (filter) query.filter = filter;
    const body = await this.matrix.request<SyncBody>('GET', '/_matrix/client/v3/sync', undefined, query);
    this.since = body.next_batch;
    const lists = new wasm.DeviceLists(
      (body.device_lists?.changed ?? []).map((u) => new wasm.UserId(u)),
      (body.device_lists?.left ?? []).map((u) => new wasm.UserId(u)),
    );
    const counts = new Map(Object.entries(body.device_one_time_keys_count ?? {}));
    await this.machine.receiveSyncChanges(JSON.stringify(body.to_device?.events ?? []), lists, counts,
      new Set(body.device_unused_fallback_key_types ?? []));
    for (const [roomId, room] of Object.entries(body.rooms?.join ?? {})) {
      for (const event of room.timeline?.events ?? []) this.timeline.push({ roomId, event });
    }
    await this.flushOutgoing();
  }

  /** Syncs until an event in `roomId` matches; throws after `timeoutMs`. */
  async waitForEvent(roomId: string, match: (e: MatrixEvent) => boolean, timeoutMs = 15_000): Promise<MatrixEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.timeline.find((t) => t.roomId === roomId && match(t.event));
      if (found) return found.event;
      if (Date.now() > deadline) throw new Error(`no matching event in ${roomId} within ${timeoutMs} ms`);
      await this.sync(1000);
    }
  }

  /** Sends an encrypted message as a client does: devices queried, sessions claimed, room key shared first. */
  async sendEncrypted(roomId: string, members: string[], content: Record<string, unknown>, type = 'm.room.message'): Promise<string> {
    return this.matrix.sendEvent(roomId, 'm.room.encrypted', await this.encryptMessage(roomId, members, content, type));
  }

  /**
   * The m.room.encrypted content of a message, its room key shared with `members` first; not
   * sent, so a caller can encrypt one at a time (one machine, one request loop) and send many
   * at once (the bench's window).
   */
  async encryptMessage(roomId: string, members: string[], content: Record<string, unknown>, type = 'm.room.message'): Promise<Record<string, unknown>> {
    for (const request of await this.roomKeyRequests(roomId, members)) await this.sendRequest(request);
    return this.encryptRoomEvent(roomId, content, type);
  }

  /**
   * As sendEncrypted, but with a room key of its own (a new megolm session) that goes out only
   * when `shareKey` is called: the room event reaches the homeserver first, as when a client's
   * to-device messages and its room event reach the bridge in different transactions.
   */
  async sendEncryptedKeyLater(roomId: string, members: string[], content: Record<string, unknown>): Promise<{ eventId: string; shareKey(): Promise<void> }> {
    await this.machine.invalidateGroupSession(new wasm.RoomId(roomId));
    const withheld = await this.roomKeyRequests(roomId, members);
    const eventId = await this.matrix.sendEvent(roomId, 'm.room.encrypted', await this.encryptRoomEvent(roomId, content));
    return { eventId, shareKey: async () => { for (const request of withheld) await this.sendRequest(request); } };
  }

  /** Devices queried, Olm sessions claimed, and the to-device requests that share the room key. */
  private async roomKeyRequests(roomId: string, members: string[]): Promise<OutgoingRequestLike[]> {
    const users = () => members.map((m) => new wasm.UserId(m));
    await this.machine.updateTrackedUsers(users());
    await this.flushOutgoing();
    const claim = await this.machine.getMissingSessions(users());
    if (claim) await this.sendRequest(claim as OutgoingRequestLike);
    return (await this.machine.shareRoomKey(new wasm.RoomId(roomId), users(), new wasm.EncryptionSettings())) as OutgoingRequestLike[];
  }

  private async encryptRoomEvent(roomId: string, content: Record<string, unknown>, type = 'm.room.message'): Promise<Record<string, unknown>> {
    return JSON.parse(await this.machine.encryptRoomEvent(new wasm.RoomId(roomId), type, JSON.stringify(content))) as Record<string, unknown>;
  }

  private async sendRequest(request: OutgoingRequestLike): Promise<void> {
    const wire = toWire(request);
    const response = await this.matrix.request(wire.method, wire.path, JSON.parse(wire.body));
    if (wire.id !== undefined && wire.type !== 'signing-keys') await this.machine.markRequestAsSent(wire.id, wire.type, JSON.stringify(response));
  }

  async decrypt(roomId: string, event: MatrixEvent, trust: wasm.TrustRequirement): Promise<DecryptedForTest> {
    const decrypted = await this.machine.decryptRoomEvent(JSON.stringify({ ...event, room_id: roomId }), new wasm.RoomId(roomId),
      new wasm.DecryptionSettings(trust));
    return { event: JSON.parse(decrypted.event) as MatrixEvent, senderDevice: decrypted.senderDevice?.toString(), shield: decrypted.shieldState(false), strictShield: decrypted.shieldState(true) };
  }

  /**
   * For a plain client of the same user (MatrixClient.decryptor): decrypts an event with this
   * device, syncing it while the room key is still on its way (at most ~10 s); undefined when
   * the key is withheld from this device or never comes.
   */
  decryptor(): (roomId: string, event: MatrixEvent) => Promise<MatrixEvent | undefined> {
    return async (roomId, event) => {
      for (let round = 0; round < 20; round++) {
        try {
          const clear = (await this.decrypt(roomId, event, wasm.TrustRequirement.Untrusted)).event;
          return { ...event, type: clear.type, content: clear.content };
        } catch (error) {
          if (!(error instanceof wasm.MegolmDecryptionError)) throw error;
          if (error.maybe_withheld) return undefined;
        }
        await this.sync(500);
      }
      return undefined;
    };
  }

  close(): void {
    this.machine.close();
  }
}
