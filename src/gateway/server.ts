/**
 * interop-gateway in-process: `startGateway(options)` opens the database, listens on a
 * WebSocket port and returns a handle to close it. The CLI (cli.ts), tests and benchmarks all
 * boot the real gateway through this function.
 */
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { completeConfig, checkConfig, DEFAULT_LOOKUP_BURST, DEFAULT_LOOKUPS_PER_SECOND, DEV_PROVIDERS, type GatewayConfig } from './config';
import type { GatewayFrame } from '../protocol/frames';
import { quote } from '../protocol/quote';
import type { Connection, Logger, RequestObserver, Services } from './context';
import { GroupCommit } from './batch';
import { initCrypto } from './crypto';
import { DeliveryHub } from './delivery';
import { handleMessage } from './dispatch';
import { TokenBucket } from '../lib/token-bucket';
import { AccountStore } from './store/accounts';
import { BlockStore } from './store/blocks';
import { openDatabase } from './store/database';
import { DeviceStore } from './store/devices';
import { GroupStore } from './store/groups';
import { MediaStore } from './store/media';
import { QueueStore } from './store/queue';
// not '../logging': that also loads the Matrix libraries, which the gateway does not use
import { createRootLogger, type LogSettings } from '../logging/root';
import { fieldsLogger } from '../logging/components';

export type GatewayOptions = Partial<GatewayConfig> & {
  databasePath: string;
  log?: Logger;
  /** production code delivery; in dev mode codes are returned and printed instead */
  deliverCode?: (phone: string, code: string) => void;
  /** where dev-mode code lines go; default stdout */
  printDevCode?: (line: string) => void;
  /** clock, for tests of expiry */
  now?: () => number;
  /** told of every request a provider made that the gateway carried out (type and params,
   *  after validation): how an embedding test or audit sees what crossed, beyond the log */
  onRequest?: RequestObserver;
};

export interface RunningGateway {
  port: number;
  url: string;
  config: GatewayConfig;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 30_000;
const PRUNE_MS = 3600_000;

/**
 * The gateway's log: one JSON line per event on stderr, through the same pino logger as the
 * bridge (src/logging), so phone numbers and message content are redacted unless `redact` is false.
 */
export function gatewayLogger(settings: LogSettings = { level: 'info', redact: true }): Logger {
  return fieldsLogger(createRootLogger(settings).child({ component: 'gateway' }));
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Sends frames on a socket, coalescing all frames sent in one tick into one write: a turn that
 * answers and pushes many frames to one connection would otherwise cost a syscall per frame,
 * the largest CPU cost of the relay. ws has no public cork, hence its `_socket`; without it
 * frames are simply written one by one.
 */
function corkedSender(ws: WebSocket): (frame: GatewayFrame) => void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  let corked = false;
  return (frame) => {
    if (ws.readyState !== ws.OPEN) return;
    if (socket && !corked) {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    ws.send(JSON.stringify(frame));
  };
}

/**
 * At debug level, a line per envelope as it is written to its subscriber's socket, with the
 * bytes already waiting in that socket's buffer ahead of it: how long an envelope stayed at
 * the gateway after it was accepted (its serverTimestamp), and whether it queued behind a
 * backlog, is read from these (tests/e2e/request-flood.test.ts prints it). IDs only: no
 * numbers, no content.
 */
function tracedSender(ws: WebSocket, connection: number, log: Logger, send: (frame: GatewayFrame) => void): (frame: GatewayFrame) => void {
  const debug = log.debug?.bind(log);
  if (!debug) return send;
  return (frame) => {
    send(frame);
    if (frame.type !== 'event' || frame.event !== 'envelope') return;
    const payload = frame.data.payload;
    debug('envelope written', {
      connection, envelope: Number(frame.data.envelopeId), message: 'clientMessageId' in payload ? payload.clientMessageId : undefined,
      accepted: frame.data.serverTimestamp, buffered: ws.bufferedAmount,
    });
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { log = gatewayLogger(), deliverCode, printDevCode, onRequest, now = Date.now, ...partial } = options;
  if (partial.devMode && !partial.providers) partial.providers = DEV_PROVIDERS;
  const config = completeConfig(checkConfig(partial, 'gateway options'));
  await initCrypto();

  const db = openDatabase(config.databasePath);
  const queue = new QueueStore(db);
  const sockets = new Set<WebSocket>();
  const savepoint = db.transaction(<T>(fn: () => T): T => fn()) as <T>(fn: () => T) => T;
  const accounts = new AccountStore(db);
  const devices = new DeviceStore(db);
  const batch = new GroupCommit(db, log, () => {
    accounts.forget();
    devices.forget();
    sockets.forEach((ws) => ws.terminate());
  });
  // forget old submissions and unused codes at start and then hourly
  const prune = (): void => {
    batch.run(() => {
      queue.pruneSubmissions(now() - config.submissionMemoryMs);
      accounts.pruneCodes(now());
    });
  };
  const services: Services = {
    config,
    transact: (fn) => batch.run(() => savepoint(fn)),
    accounts,
    blocks: new BlockStore(db),
    devices,
    groups: new GroupStore(db),
    queue,
    media: new MediaStore(db),
    hub: new DeliveryHub(queue, config.deliveryWindow),
    providers: new Map(config.providers.map((p) => [p.id, p])),
    lookupBuckets: new Map(
      config.providers.map((p) => [
        p.id,
        new TokenBucket(p.lookupBurst ?? DEFAULT_LOOKUP_BURST, p.lookupsPerSecond ?? DEFAULT_LOOKUPS_PER_SECOND, now),
      ]),
    ),
    log,
    now,
    printDevCode: printDevCode ?? ((line) => process.stdout.write(`${line}\n`)),
  };
  if (deliverCode) services.deliverCode = deliverCode;
  if (onRequest) services.onRequest = onRequest;

  // maxPayload above maxFrameBytes: frames between the two get a `frame_too_large` answer
  // instead of a dropped socket; only absurd ones are cut off by ws itself (close 1009).
  const wss = new WebSocketServer({ host: config.host, port: config.port, maxPayload: config.maxFrameBytes * 2, perMessageDeflate: false });
  try {
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
  } catch (e) {
    db.close();
    throw e;
  }
  wss.on('error', (e) => log.error('server error', { error: e.message }));
  prune();
  const pruner = setInterval(prune, PRUNE_MS);
  pruner.unref();

  const alive = new Map<WebSocket, boolean>();
  let nextConnectionId = 1;
  wss.on('connection', (ws) => {
    sockets.add(ws);
    const id = nextConnectionId++;
    const direct = { send: tracedSender(ws, id, log, corkedSender(ws)) };
    const conn: Connection = {
      id,
      version: 1,
      failedHellos: 0,
      send: (frame) => batch.send(direct, frame),
      close: (code, reason) => ws.close(code, reason),
    };
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('message', (data, isBinary) => handleMessage(services, conn, toBuffer(data), isBinary));
    ws.on('error', (e) => log.warn('connection error', { connection: conn.id, error: quote(e.message, 200) }));
    ws.on('close', () => {
      sockets.delete(ws);
      alive.delete(ws);
      services.hub.dropConnection(conn);
    });
  });

  const heartbeat = setInterval(() => {
    for (const [ws, ok] of alive) {
      if (!ok) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const port = (wss.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  log.info('interop-gateway listening', { host: config.host, port, devMode: config.devMode, providers: config.providers.map((p) => p.id) });
  if (config.devMode) log.warn('development mode: verification codes are returned to providers and printed; do not expose this gateway');

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `ws://${host}:${port}/`,
    config,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        clearInterval(pruner);
        batch.commit();
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => {
          db.close();
          resolve();
        });
      });
      return closing;
    },
  };
}
