/**
 * A minimal stand-in for the homeserver, for bench:internal only: it answers the client-server
 * calls the bridge makes (register, whoami, profile, createRoom, join, invite, send, state,
 * receipts, typing, media, account data) with plausible JSON and no checking, and it plays the
 * homeserver's push side: appservice transactions to the bridge, signed with the hs_token.
 * Like Synapse, it pushes every event the bridge's own users send back to the bridge (their
 * IDs are in its namespace), one transaction in flight at a time, carrying whatever queued
 * meanwhile: handling those echoes is part of the bridge's cost per message.
 *
 * It is NOT evidence that the bridge works against Matrix (it accepts anything); it exists so
 * the bridge's own cost per message can be measured without Synapse's cost in the way.
 * Paths it does not know are answered `{}` and counted, so a new call the bridge starts making
 * shows up in the bench's output instead of failing silently.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A PUT /rooms/{room}/send/{type}/{txn} the bridge made. */
export interface SentEvent {
  roomId: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
}

export interface HomeserverSink {
  url: string;
  /** every send the bridge makes is handed to these listeners */
  onSend(listener: (e: SentEvent) => void): void;
  /** rooms the bridge created, with the users it invited at creation */
  readonly createdRooms: Array<{ roomId: string; creator: string; invite: string[] }>;
  /** unknown "METHOD path" → times asked */
  readonly unknown: Map<string, number>;
  /** Pushes one appservice transaction of `events` to the bridge; resolves when it answers 200. */
  push(events: Array<Record<string, unknown>>): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;
const id = (prefix: string, server: string) => `${prefix}${(++counter).toString(36)}-${Date.now().toString(36)}:${server}`;

async function bodyOf(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  if (chunks.length === 0) return {};
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {}; // media upload bodies are bytes, not JSON
  }
}

export async function startHomeserverSink(opts: { serverName: string; asToken: string; hsToken: string; botUserId: string; appserviceUrl: string }): Promise<HomeserverSink> {
  const listeners: Array<(e: SentEvent) => void> = [];
  const createdRooms: HomeserverSink['createdRooms'] = [];
  const unknown = new Map<string, number>();
  const server = opts.serverName;

  const answer = (res: ServerResponse, status: number, json: unknown) => {
    const text = JSON.stringify(json);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  // Synapse sends an appservice one transaction at a time: the pushes of the bench and the
  // echoes of the bridge's own events share one line, and the echoes waiting in it go as one
  let txn = 0;
  let line: Promise<unknown> = Promise.resolve();
  const sendTransaction = async (events: Array<Record<string, unknown>>) => {
    const n = ++txn;
    const res = await fetch(`${opts.appserviceUrl}/_matrix/app/v1/transactions/sink-${process.pid}-${n}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${opts.hsToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`the bridge answered transaction ${n} with ${res.status}: ${text.slice(0, 200)}`);
  };
  const inLine = <T>(job: () => Promise<T>): Promise<T> => {
    const run = line.then(job, job);
    line = run.catch(() => undefined);
    return run;
  };
  const pushTransaction = (events: Array<Record<string, unknown>>) => inLine(() => sendTransaction(events));
  const echoes: Array<Record<string, unknown>> = [];
  const echo = (event: Record<string, unknown>) => {
    echoes.push(event);
    if (echoes.length > 1) return; // a transaction for the echoes is already waiting in line
    inLine(() => sendTransaction(echoes.splice(0))).catch((error: Error) => console.error(`sink: echo not taken: ${error.message}`));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sink');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    const body = await bodyOf(req);
    const auth = req.headers.authorization;
    if (path !== '/_matrix/client/versions' && auth !== `Bearer ${opts.asToken}`) {
      return answer(res, 401, { errcode: 'M_UNKNOWN_TOKEN', error: 'sink: bad as_token' });
    }
    const asUser = url.searchParams.get('user_id') ?? opts.botUserId;
    let m: RegExpExecArray | null;
    if (path === '/_matrix/client/versions') return answer(res, 200, { versions: ['v1.1', 'v1.5', 'v1.11'], unstable_features: {} });
    if (/\/register$/.test(path)) return answer(res, 200, { user_id: `@${String(body.username)}:${server}` });
    if (/\/account\/whoami$/.test(path)) return answer(res, 200, { user_id: asUser });
    if ((m = /\/rooms\/([^/]+)\/send\/([^/]+)\/[^/]+$/.exec(path)) && method === 'PUT') {
      const sent: SentEvent = { roomId: m[1], type: m[2], sender: asUser, content: body };
      for (const l of listeners) l(sent);
      const eventId = id('$ev', server);
      answer(res, 200, { event_id: eventId });
      return echo({ ...roomEvent(server, m[1], asUser, m[2], body), event_id: eventId });
    }
    if (/\/rooms\/[^/]+\/(state|redact)\//.test(path) && method === 'PUT') return answer(res, 200, { event_id: id('$st', server) });
    // no room is encrypted (in Synapse's words for missing state); everyone asked about is
    // joined (the portal's user is always present)
    if (/\/rooms\/[^/]+\/state\/m\.room\.encryption/.test(path)) return answer(res, 404, { errcode: 'M_NOT_FOUND', error: 'Event not found.' });
    if (/\/rooms\/[^/]+\/state\/m\.room\.member\//.test(path)) return answer(res, 200, { membership: 'join' });
    if (/\/rooms\/[^/]+\/state\/m\.room\.power_levels/.test(path)) {
      return answer(res, 200, { users: { [opts.botUserId]: 100 }, users_default: 0, events_default: 0, state_default: 50 });
    }
    if (/\/createRoom$/.test(path)) {
      const roomId = id('!room', server);
      createdRooms.push({ roomId, creator: asUser, invite: Array.isArray(body.invite) ? (body.invite as string[]) : [] });
      return answer(res, 200, { room_id: roomId });
    }
    if ((m = /\/(?:rooms\/([^/]+)\/join|join\/([^/]+))$/.exec(path))) return answer(res, 200, { room_id: m[1] ?? m[2] });
    if (/\/rooms\/[^/]+\/(invite|leave|kick|receipt\/.*|read_markers)$/.test(path)) return answer(res, 200, {});
    if (/\/rooms\/[^/]+\/typing\//.test(path)) return answer(res, 200, {});
    if (/\/profile\/[^/]+\/(displayname|avatar_url)$/.test(path) && method === 'PUT') return answer(res, 200, {});
    if (/\/profile\/[^/]+$/.test(path)) return answer(res, 200, { displayname: 'Sink User' });
    if (/\/account_data\//.test(path)) return method === 'PUT' ? answer(res, 200, {}) : answer(res, 404, { errcode: 'M_NOT_FOUND', error: 'none' });
    if (/\/media\/v3\/upload$/.test(path)) return answer(res, 200, { content_uri: `mxc://${server}/${id('m', 'x').replace(/[^a-z0-9]/gi, '')}` });
    if (/\/appservice\/[^/]+\/ping$/.test(path)) return answer(res, 200, { duration_ms: 1 });
    const key = `${method} ${path.replace(/![^/]+|@[^/]+|\$[^/]+/g, ':id')}`;
    unknown.set(key, (unknown.get(key) ?? 0) + 1);
    return answer(res, 200, {});
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => answer(res, 500, { errcode: 'M_UNKNOWN', error: error.message }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    createdRooms,
    unknown,
    onSend: (l) => listeners.push(l),
    push: pushTransaction,
    close: () => new Promise<void>((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    }),
  };
}

/** A timeline event as the homeserver would push it. */
export function roomEvent(serverName: string, roomId: string, sender: string, type: string, content: Record<string, unknown>, stateKey?: string): Record<string, unknown> {
  return {
    event_id: id('$hs', serverName), room_id: roomId, sender, type, content, origin_server_ts: Date.now(),
    ...(stateKey === undefined ? {} : { state_key: stateKey }),
  };
}
