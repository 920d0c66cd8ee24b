// A small, typed Matrix client-server API client for end-to-end tests, on
// plain fetch. It plays the human Matrix user: creates rooms, sends messages,
// receipts and typing, and reads everything back through /sync.
// Deliberately independent of the bridge's own Matrix code, so a test cannot
// pass because both sides share the same bug.
import { randomUUID } from 'node:crypto';

export interface MatrixEvent {
  type: string;
  content: Record<string, unknown>;
  sender?: string;
  event_id?: string;
  state_key?: string;
  origin_server_ts?: number;
  redacts?: string;
  unsigned?: Record<string, unknown>;
}

/** Where in a /sync response an event was found. */
export type SyncSection = 'timeline' | 'state' | 'ephemeral' | 'invite' | 'account_data';

export interface SeenEvent {
  roomId: string;
  section: SyncSection;
  event: MatrixEvent;
}

interface SyncRoom {
  timeline?: { events?: MatrixEvent[]; limited?: boolean };
  state?: { events?: MatrixEvent[] };
  ephemeral?: { events?: MatrixEvent[] };
  account_data?: { events?: MatrixEvent[] };
  invite_state?: { events?: MatrixEvent[] };
}

export interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, SyncRoom>;
    invite?: Record<string, SyncRoom>;
    leave?: Record<string, SyncRoom>;
  };
}

export class MatrixRequestError extends Error {
  constructor(readonly status: number, readonly errcode: string | undefined, message: string) {
    super(message);
  }
}

export interface CreateRoomOptions {
  invite?: string[];
  isDirect?: boolean;
  name?: string;
  preset?: 'private_chat' | 'public_chat' | 'trusted_private_chat';
  initialState?: Array<{ type: string; state_key?: string; content: Record<string, unknown> }>;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Only consider events seen after this mark (from mark() or catchUp()); 0 = everything this client has seen. */
  after?: number;
}

export class MatrixClient {
  /** Every event this client has seen through sync, in order. */
  readonly seen: SeenEvent[] = [];
  /**
   * Events per room and /sync (Synapse's default is 10). Tests that count every message of a
   * long stream raise it, so a sync after a quiet spell does not skip events.
   */
  timelineLimit: number | undefined;
  /** How many joined-room timelines came back `limited` (with events left out) after the first sync. */
  limitedTimelines = 0;
  /**
   * Reads m.room.encrypted timeline events through another device of this user (a
   * CryptoTestClient's `decryptor()`): `seen` then holds the clear event (type and content),
   * as a client shows it. Undefined: an event it cannot decrypt stays as it came.
   */
  decryptor: ((roomId: string, event: MatrixEvent) => Promise<MatrixEvent | undefined>) | undefined;
  private nextBatch: string | undefined;

  /**
   * `asAppservice`: accessToken is an appservice's as_token acting as `userId`
   * (identity assertion via the `user_id` query parameter).
   */
  constructor(readonly baseUrl: string, readonly accessToken: string, readonly userId: string, private readonly asAppservice = false) {}

  async request<T>(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    if (this.asAppservice) url.searchParams.set('user_id', this.userId);
    const res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${this.accessToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    if (!res.ok) {
      const errcode = typeof json.errcode === 'string' ? json.errcode : undefined;
      throw new MatrixRequestError(res.status, errcode, `${method} ${url.pathname} as ${this.userId}: ${res.status} ${errcode ?? ''} ${String(json.error ?? text)}`);
    }
    return json as T;
  }

  async whoami(): Promise<string> {
    return (await this.request<{ user_id: string }>('GET', '/_matrix/client/v3/account/whoami')).user_id;
  }

  async createRoom(opts: CreateRoomOptions = {}): Promise<string> {
    const body: Record<string, unknown> = { preset: opts.preset ?? 'private_chat' };
    if (opts.invite) body.invite = opts.invite;
    if (opts.isDirect !== undefined) body.is_direct = opts.isDirect;
    if (opts.name !== undefined) body.name = opts.name;
    if (opts.initialState) body.initial_state = opts.initialState.map((s) => ({ state_key: '', ...s }));
    return (await this.request<{ room_id: string }>('POST', '/_matrix/client/v3/createRoom', body)).room_id;
  }

  async invite(roomId: string, userId: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: userId });
  }

  async join(roomIdOrAlias: string): Promise<string> {
    return (await this.request<{ room_id: string }>('POST', `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`, {})).room_id;
  }

  async leave(roomId: string): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
  }

  async sendEvent(roomId: string, type: string, content: Record<string, unknown>): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/${randomUUID()}`;
    return (await this.request<{ event_id: string }>('PUT', path, content)).event_id;
  }

  sendText(roomId: string, body: string): Promise<string> {
    return this.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body });
  }

  async sendState(roomId: string, type: string, stateKey: string, content: Record<string, unknown>): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`;
    return (await this.request<{ event_id: string }>('PUT', path, content)).event_id;
  }

  async getState<T = Record<string, unknown>>(roomId: string, type: string, stateKey = ''): Promise<T> {
    return this.request<T>('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(stateKey)}`);
  }

  async redact(roomId: string, eventId: string, reason?: string): Promise<string> {
    const path = `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(eventId)}/${randomUUID()}`;
    return (await this.request<{ event_id: string }>('PUT', path, reason === undefined ? {} : { reason })).event_id;
  }

  async sendReceipt(roomId: string, eventId: string, type: 'm.read' | 'm.read.private' = 'm.read'): Promise<void> {
    await this.request('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/${enc(type)}/${enc(eventId)}`, {});
  }

  async setTyping(roomId: string, typing: boolean, timeoutMs = 30_000): Promise<void> {
    const body = typing ? { typing, timeout: timeoutMs } : { typing };
    await this.request('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(this.userId)}`, body);
  }

  /** Uploads bytes to the media repository and returns the mxc:// URI. */
  async uploadMedia(data: Uint8Array, contentType: string, filename?: string): Promise<string> {
    const url = new URL('/_matrix/media/v3/upload', this.baseUrl);
    if (filename !== undefined) url.searchParams.set('filename', filename);
    const res = await fetch(url, {
      method: 'POST', headers: { authorization: `Bearer ${this.accessToken}`, 'content-type': contentType }, body: data,
    });
    const json = (await res.json()) as { content_uri?: string; error?: string };
    if (!res.ok || !json.content_uri) throw new MatrixRequestError(res.status, undefined, `upload: ${res.status} ${json.error ?? ''}`);
    return json.content_uri;
  }

  /** Downloads media through the authenticated endpoint (Matrix 1.11). */
  async downloadMedia(mxc: string): Promise<{ contentType: string; data: Buffer }> {
    const m = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
    if (!m) throw new Error(`not an mxc URI: ${mxc}`);
    const res = await fetch(new URL(`/_matrix/client/v1/media/download/${enc(m[1])}/${enc(m[2])}`, this.baseUrl), {
      headers: { authorization: `Bearer ${this.accessToken}` },
    });
    if (!res.ok) throw new MatrixRequestError(res.status, undefined, `download ${mxc}: ${res.status} ${await res.text()}`);
    return { contentType: res.headers.get('content-type') ?? '', data: Buffer.from(await res.arrayBuffer()) };
  }

  /**
   * One /sync call. Without `since` it continues from this client's cursor
   * (initial sync the first time); every event found is appended to `seen`.
   */
  async sync(opts: { since?: string; timeoutMs?: number } = {}): Promise<SyncResponse> {
    const query: Record<string, string> = { timeout: String(opts.timeoutMs ?? 0), set_presence: 'offline' };
    const since = opts.since ?? this.nextBatch;
    if (since !== undefined) query.since = since;
    if (this.timelineLimit !== undefined) query.filter = JSON.stringify({ room: { timeline: { limit: this.timelineLimit } } });
    const res = await this.request<SyncResponse>('GET', '/_matrix/client/v3/sync', undefined, query);
    if (since !== undefined) {
      this.limitedTimelines += Object.values(res.rooms?.join ?? {}).filter((r) => r.timeline?.limited === true).length;
    }
    this.nextBatch = res.next_batch;
    const fresh = flattenSync(res);
    if (this.decryptor) {
      for (const seen of fresh) {
        if (seen.section === 'timeline' && seen.event.type === 'm.room.encrypted') seen.event = (await this.decryptor(seen.roomId, seen.event)) ?? seen.event;
      }
    }
    this.seen.push(...fresh);
    return res;
  }

  /**
   * The room's whole timeline, oldest first, read back with /messages (backwards from the
   * newest event until the start). Unlike /sync this never leaves a gap: an incremental sync
   * after many events can come back `limited` with only the newest ones (Synapse does so
   * after it restarted, for one), and a counting test must not mistake that for a loss.
   */
  async roomHistory(roomId: string): Promise<MatrixEvent[]> {
    const newestFirst: MatrixEvent[] = [];
    let from: string | undefined;
    for (;;) {
      const query: Record<string, string> = { dir: 'b', limit: '1000' };
      if (from !== undefined) query.from = from;
      const page = await this.request<{ chunk?: MatrixEvent[]; end?: string }>(
        'GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, undefined, query);
      newestFirst.push(...(page.chunk ?? []));
      if (!page.end || (page.chunk ?? []).length === 0) break;
      from = page.end;
    }
    return newestFirst.reverse();
  }

  /** Position in `seen` now, without syncing: pass as `after` to ignore older events. */
  mark(): number {
    return this.seen.length;
  }

  /** Syncs up to the present, then returns a mark: later waits see only what arrives after this. */
  async catchUp(): Promise<number> {
    await this.sync({ timeoutMs: 0 });
    return this.mark();
  }

  /**
   * Long-polls /sync until an event matching `predicate` has been seen (also
   * checking events seen earlier, from `after` on). On timeout the error lists
   * everything seen in that window, which is usually the whole diagnosis.
   */
  async waitForEvent(predicate: (e: SeenEvent) => boolean, opts: WaitOptions = {}): Promise<SeenEvent> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const from = opts.after ?? 0;
    const deadline = Date.now() + timeoutMs;
    let checked = from;
    for (;;) {
      for (; checked < this.seen.length; checked++) {
        if (predicate(this.seen[checked])) return this.seen[checked];
      }
      const left = deadline - Date.now();
      if (left <= 0) break;
      await this.sync({ timeoutMs: Math.min(left, 5_000) });
    }
    const window = this.seen.slice(from);
    const listing = window.slice(-40).map(describe).join('\n  ') || '(nothing)';
    throw new Error(`${this.userId}: no matching event within ${timeoutMs} ms; saw ${window.length} event(s):\n  ${listing}`);
  }

  /** Waits for an m.room.message from `sender` in `roomId` and returns its content. */
  async waitForMessage(roomId: string, sender: string, opts: WaitOptions = {}): Promise<MatrixEvent> {
    const seen = await this.waitForEvent(
      (e) => e.roomId === roomId && e.section === 'timeline' && e.event.type === 'm.room.message' && e.event.sender === sender,
      opts,
    );
    return seen.event;
  }
}

/** A client for a user registered through registerUser (or any login result). */
export function clientFor(baseUrl: string, user: { userId: string; accessToken: string }): MatrixClient {
  return new MatrixClient(baseUrl, user.accessToken, user.userId);
}

/**
 * Registers `localpart` in an appservice's namespace (m.login.application_service)
 * and returns a client acting as that user with the as_token.
 */
export async function registerAppserviceUser(baseUrl: string, asToken: string, localpart: string): Promise<MatrixClient> {
  const res = await fetch(new URL('/_matrix/client/v3/register', baseUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${asToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.application_service', username: localpart, inhibit_login: true }),
  });
  const json = (await res.json()) as { user_id?: string; errcode?: string; error?: string };
  if (!res.ok || !json.user_id) throw new MatrixRequestError(res.status, json.errcode, `register ${localpart}: ${res.status} ${json.error ?? ''}`);
  return new MatrixClient(baseUrl, asToken, json.user_id, true);
}

function flattenSync(res: SyncResponse): SeenEvent[] {
  const out: SeenEvent[] = [];
  const add = (roomId: string, section: SyncSection, events: MatrixEvent[] | undefined) => {
    for (const event of events ?? []) out.push({ roomId, section, event });
  };
  for (const group of [res.rooms?.join, res.rooms?.leave]) {
    for (const [roomId, room] of Object.entries(group ?? {})) {
      add(roomId, 'state', room.state?.events);
      add(roomId, 'timeline', room.timeline?.events);
      add(roomId, 'ephemeral', room.ephemeral?.events);
      add(roomId, 'account_data', room.account_data?.events);
    }
  }
  for (const [roomId, room] of Object.entries(res.rooms?.invite ?? {})) add(roomId, 'invite', room.invite_state?.events);
  return out;
}

function describe(s: SeenEvent): string {
  const body = typeof s.event.content?.body === 'string' ? `: ${JSON.stringify(s.event.content.body.slice(0, 100))}` : '';
  const membership = typeof s.event.content?.membership === 'string' ? ` ${s.event.content.membership} ${s.event.state_key}` : '';
  return `${s.section} ${s.roomId} ${s.event.type}${membership} from ${s.event.sender ?? '?'}${body}`;
}

function enc(part: string): string {
  return encodeURIComponent(part);
}
