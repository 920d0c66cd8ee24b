/**
 * Test harness for the gateway: a real gateway on an OS-chosen port with its SQLite file in a
 * temp dir, and a raw WebSocket client that speaks frames directly (no client library), so
 * these tests see exactly what goes over the wire.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { IdentityKeyPair, KEMKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import type {
  DeviceKeys, OneTimePreKey, SignedPreKey, ErrorBody, EventFrame, EventMap, EventName, GatewayFrame, RequestParams, RequestResult, RequestType,
} from '../../../src/protocol/frames';
import type { ProviderConfig } from '../../../src/gateway/config';
import { silentLogger, startGateway, type GatewayOptions, type RunningGateway } from '../../../src/gateway/server';

export const PROVIDERS: ProviderConfig[] = [
  { id: 'native', secret: 'native-test-secret', e2ee: true },
  { id: 'plainchat', secret: 'plainchat-test-secret', e2ee: false },
  { id: 'other', secret: 'other-test-secret', e2ee: true },
];

export interface TestGateway {
  gateway: RunningGateway;
  dir: string;
  dbPath: string;
  devLines: string[];
  /** close (if still running) and start again on the same database file */
  restart(): Promise<RunningGateway>;
  cleanup(): Promise<void>;
}

export async function startTestGateway(options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'interop-gw-'));
  const dbPath = join(dir, 'gateway.db');
  const devLines: string[] = [];
  const opts: GatewayOptions = {
    databasePath: dbPath,
    port: 0,
    devMode: true,
    providers: PROVIDERS,
    log: silentLogger,
    printDevCode: (line) => devLines.push(line),
    ...options,
  };
  const t: TestGateway = {
    gateway: await startGateway(opts),
    dir,
    dbPath,
    devLines,
    restart: async () => {
      await t.gateway.close();
      t.gateway = await startGateway({ ...opts, port: t.gateway.port });
      return t.gateway;
    },
    cleanup: async () => {
      await t.gateway.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}

type Answer<T extends RequestType> = { ok: true; result: RequestResult<T> } | { ok: false; error: ErrorBody };

/** A WebSocket client speaking raw protocol frames. */
export class RawClient {
  private nextId = 1;
  private readonly pending = new Map<string, (frame: GatewayFrame) => void>();
  readonly events: EventFrame[] = [];
  private readonly eventWaiters: { match: (e: EventFrame) => boolean; resolve: (e: EventFrame) => void }[] = [];
  /** answers whose id could not be correlated (e.g. errors for unreadable frames) */
  readonly orphans: GatewayFrame[] = [];
  private orphanWaiters: ((f: GatewayFrame) => void)[] = [];
  closed: Promise<{ code: number }>;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve({ code })));
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString()) as GatewayFrame));
  }

  static async connect(url: string): Promise<RawClient> {
    const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new RawClient(ws);
  }

  /** the `v` every frame is sent with (2: groups) */
  version = 1;

  /** Connect and authenticate as a provider of PROVIDERS, in protocol version `version`. */
  static async as(url: string, providerId: string, version = 1): Promise<RawClient> {
    const c = await RawClient.connect(url);
    c.version = version;
    const secret = PROVIDERS.find((p) => p.id === providerId)?.secret ?? 'unknown-secret';
    await c.ok('hello', { provider: providerId, secret });
    return c;
  }

  private onFrame(frame: GatewayFrame): void {
    if (frame.type === 'event') {
      const i = this.eventWaiters.findIndex((w) => w.match(frame));
      if (i >= 0) this.eventWaiters.splice(i, 1)[0].resolve(frame);
      else this.events.push(frame);
      return;
    }
    const resolve = frame.id === null ? undefined : this.pending.get(frame.id);
    if (resolve && frame.id !== null) {
      this.pending.delete(frame.id);
      resolve(frame);
    } else {
      const waiter = this.orphanWaiters.shift();
      if (waiter) waiter(frame);
      else this.orphans.push(frame);
    }
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  /** The next answer that matched no request (or one already waiting). */
  nextOrphan(): Promise<GatewayFrame> {
    const f = this.orphans.shift();
    if (f) return Promise.resolve(f);
    return new Promise((resolve) => this.orphanWaiters.push(resolve));
  }

  request<T extends RequestType>(type: T, params: RequestParams<T>, id = String(this.nextId++)): Promise<Answer<T>> {
    return new Promise((resolve) => {
      this.pending.set(id, (frame) => {
        if (frame.type === 'result') resolve({ ok: true, result: frame.result as RequestResult<T> });
        else if (frame.type === 'error') resolve({ ok: false, error: frame.error });
      });
      this.ws.send(JSON.stringify({ v: this.version, id, type, params }));
    });
  }

  /** Request that must succeed. */
  async ok<T extends RequestType>(type: T, params: RequestParams<T>): Promise<RequestResult<T>> {
    const a = await this.request(type, params);
    if (!a.ok) throw new Error(`${type} failed: ${a.error.code}: ${a.error.message}`);
    return a.result;
  }

  /** Request that must fail; returns the error. */
  async fails<T extends RequestType>(type: T, params: RequestParams<T>): Promise<ErrorBody> {
    const a = await this.request(type, params);
    if (a.ok) throw new Error(`${type} unexpectedly succeeded: ${JSON.stringify(a.result)}`);
    return a.error;
  }

  /** The next event of that name (already received or still to come). */
  nextEvent<E extends EventName>(name: E, match: (d: EventMap[E]) => boolean = () => true): Promise<EventMap[E]> {
    const pred = (e: EventFrame): boolean => e.event === name && match(e.data as EventMap[E]);
    const i = this.events.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0].data as EventMap[E]);
    return new Promise((resolve) => this.eventWaiters.push({ match: pred, resolve: (e) => resolve(e.data as EventMap[E]) }));
  }

  /** Take every buffered event of that name (received so far). */
  drain<E extends EventName>(name: E): EventMap[E][] {
    const out: EventMap[E][] = [];
    for (let i = 0; i < this.events.length; ) {
      if (this.events[i].event === name) out.push(this.events.splice(i, 1)[0].data as EventMap[E]);
      else i++;
    }
    return out;
  }

  /** Round trip, so every frame the gateway sent before it has arrived. */
  async sync(): Promise<void> {
    await this.ok('ping', {});
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const identities = new Map<string, IdentityKeyPair>();

/** The identity key pair behind `tag` (one per tag, so keys signed for a tag verify together). */
export function identityOf(tag: string): IdentityKeyPair {
  let id = identities.get(tag);
  if (!id) identities.set(tag, (id = IdentityKeyPair.generate()));
  return id;
}

export function oneTimeKey(keyId: number): OneTimePreKey {
  return { keyId, publicKey: b64(PrivateKey.generate().getPublicKey().serialize()) };
}

export function signedKey(tag: string, keyId: number, kind: 'ec' | 'kyber'): SignedPreKey {
  const pub = kind === 'ec' ? PrivateKey.generate().getPublicKey().serialize() : KEMKeyPair.generate().getPublicKey().serialize();
  return { keyId, publicKey: b64(pub), signature: b64(identityOf(tag).privateKey.sign(pub)) };
}

const keySets = new Map<string, DeviceKeys>();

/** Real libsignal key material for a device (the gateway checks it parses and its signatures
 *  verify); the same arguments give the same keys. */
export function testKeys(tag: string, oneTime = 5, oneTimeKyber = 0): DeviceKeys {
  const cacheKey = `${tag}/${oneTime}/${oneTimeKyber}`;
  let keys = keySets.get(cacheKey);
  if (!keys) {
    keys = {
      identityKey: b64(identityOf(tag).publicKey.serialize()),
      signedPreKey: signedKey(tag, 1, 'ec'),
      kyberPreKey: signedKey(tag, 1000, 'kyber'),
      oneTimePreKeys: Array.from({ length: oneTime }, (_, i) => oneTimeKey(100 + i)),
      oneTimeKyberPreKeys: Array.from({ length: oneTimeKyber }, (_, i) => signedKey(tag, 2000 + i, 'kyber')),
    };
    keySets.set(cacheKey, keys);
  }
  return keys;
}

/** Register an account with the dev-mode code. */
export async function registerAccount(c: RawClient, phone: string): Promise<void> {
  const req = await c.ok('account.register_request', { phone });
  if (!req.devCode) throw new Error('no devCode in dev mode');
  await c.ok('account.register_confirm', { phone, code: req.devCode });
}

/** Register an account with one device (keys when `e2ee`) and return the device ID. */
export async function registerUser(c: RawClient, phone: string, e2ee = true, bridged = false): Promise<number> {
  await registerAccount(c, phone);
  const params: RequestParams<'device.register'> = { phone, registrationId: 42, attributes: { bridged } };
  if (e2ee) params.keys = testKeys(phone);
  return (await c.ok('device.register', params)).deviceId;
}
