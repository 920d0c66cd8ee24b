/**
 * One WebSocket connection to the interop gateway, as one provider: hello, request/response
 * correlation, events, reconnect with exponential backoff and jitter, and re-subscription of
 * every device after a reconnect. Many local accounts may share one connection (the bridge
 * is one provider hosting many linked numbers); events carry their recipient.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import type { EventFrame, HelloResult, ProtocolVersion, RequestParams, RequestResult, RequestType, SubscribeParams, SubscribeResult } from '../protocol/frames';
import { LATEST_PROTOCOL_VERSION } from '../protocol/frames';
import { quote } from '../protocol/quote';
import { parseGatewayFrame, validateResult } from '../protocol/validate';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from '../lib/backoff';
import {
  AUTH_REFUSED_BACKOFF, DEFAULT_MAX_INBOUND_FRAME_BYTES, SAFE_TO_RETRY, type ConnectionEvents, type ConnectionOptions, type RequestOptions,
} from './connection-options';
import { flushBeforeSend } from './durability';
import { InteropRequestError } from './errors';
import { RememberedSubscriptions, subscribeRemembered } from './device-subscriptions';

export {
  AUTH_REFUSED_BACKOFF, DEFAULT_MAX_INBOUND_FRAME_BYTES, type ConnectionEvents, type ConnectionOptions, type RequestOptions,
} from './connection-options';

interface Pending {
  type: RequestType;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class InteropConnection extends EventEmitter<ConnectionEvents> {
  private ws: WebSocket | undefined;
  private helloResult: HelloResult | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly subscriptions = new RememberedSubscriptions();
  private readonly readyWaiters: Array<() => void> = [];
  private nextId = 1;
  private attempt = 0;
  /** refused hellos since the last accepted one; while > 0 reconnects wait authRefusedBackoff */
  private authRefusals = 0;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly backoff: BackoffOptions | false;
  private readonly authRefusedBackoff: BackoffOptions;
  private readonly timeoutMs: number;
  private readonly maxFrameBytes: number;
  /** the version frames are sent in: the one asked for, or 1 from a gateway without groups */
  private version: ProtocolVersion;

  constructor(private readonly options: ConnectionOptions) {
    super();
    this.setMaxListeners(0);
    this.backoff = options.reconnect === false ? false : { ...DEFAULT_BACKOFF, ...options.reconnect };
    this.authRefusedBackoff = { ...AUTH_REFUSED_BACKOFF, ...options.authRefusedBackoff };
    this.timeoutMs = options.requestTimeoutMs ?? 15_000;
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_INBOUND_FRAME_BYTES;
    this.version = options.protocolVersion ?? LATEST_PROTOCOL_VERSION;
  }

  /** The protocol version agreed in the last hello (groups need 2). */
  get protocolVersion(): ProtocolVersion {
    return this.helloResult?.protocolVersion ?? this.version;
  }

  /**
   * hello in the newest version asked for; a gateway that does not speak it answers
   * `unsupported_version` (and stays connected), so ask again in version 1 (§3).
   */
  private async helloWithFallback(ws: WebSocket): Promise<HelloResult> {
    const params = { provider: this.options.provider, secret: this.options.secret };
    this.version = this.options.protocolVersion ?? LATEST_PROTOCOL_VERSION;
    try {
      return await this.sendRaw<'hello'>(ws, 'hello', params, this.timeoutMs);
    } catch (err) {
      if (!(err instanceof InteropRequestError) || err.code !== 'unsupported_version' || this.version === 1) throw err;
      this.version = 1;
      return this.sendRaw<'hello'>(ws, 'hello', params, this.timeoutMs);
    }
  }

  get hello(): HelloResult | undefined {
    return this.helloResult;
  }

  get isReady(): boolean {
    return this.helloResult !== undefined && this.ws?.readyState === WebSocket.OPEN;
  }

  /** First connection: rejects if the gateway is unreachable or refuses the provider's secret. */
  async connect(): Promise<HelloResult> {
    this.closed = false;
    try {
      return await this.open(false);
    } catch (err) {
      // A first connection that fails is the caller's to retry; no reconnecting in the background.
      this.closed = true;
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.ws?.terminate();
      throw err;
    }
  }

  private open(reconnected: boolean): Promise<HelloResult> {
    return new Promise<HelloResult>((resolve, reject) => {
      const ws = new WebSocket(this.options.url, { perMessageDeflate: false, maxPayload: this.maxFrameBytes * 2 });
      this.ws = ws;
      let settled = false;
      ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
      ws.on('error', (err) => {
        if (!settled) {
          settled = true;
          reject(err);
        }
      });
      ws.on('close', (code, reason) => {
        this.onClose(ws, `closed (${code}${reason.length ? `: ${quote(reason.toString('utf8'), 123)}` : ''})`);
        if (!settled) {
          settled = true;
          reject(new InteropRequestError('disconnected', 'connection closed before hello'));
        }
      });
      ws.on('open', () => {
        this.watchLiveness(ws);
        this.helloWithFallback(ws)
          .then(async (hello) => {
            this.helloResult = hello;
            this.attempt = 0;
            this.authRefusals = 0;
            await this.resubscribeAll(ws);
            settled = true;
            resolve(hello);
            this.emit('connected', hello, reconnected);
            for (const wake of this.readyWaiters.splice(0)) wake();
          })
          .catch((err: Error) => {
            if (err instanceof InteropRequestError && err.code === 'auth_failed') {
              // counted before the close below, whose handler picks the next delay from it
              this.authRefusals++;
              if (reconnected) this.emit('authRefused', this.authRefusals);
            }
            if (!settled) {
              settled = true;
              reject(err);
            }
            ws.close();
          });
      });
    });
  }

  private async resubscribeAll(ws: WebSocket): Promise<void> {
    for (const s of this.subscriptions.all()) {
      try {
        await this.sendRaw<'device.subscribe'>(ws, 'device.subscribe', s, this.timeoutMs);
      } catch (err) {
        // no phone number: this line ends up in the operator's log
        this.emit('protocolError', `resubscribe of device ${s.deviceId} of a local account failed: ${(err as Error).message}`);
      }
    }
  }

  /**
   * A connection whose peer vanished without closing (a dead NAT entry, a frozen host) looks
   * open for minutes; pinging finds out and lets the reconnect logic take over.
   */
  private watchLiveness(ws: WebSocket): void {
    let alive = true;
    ws.on('pong', () => (alive = true));
    const timer = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, this.options.keepaliveMs ?? 30_000);
    timer.unref();
    ws.once('close', () => clearInterval(timer));
  }

  private onClose(ws: WebSocket, reason: string): void {
    if (this.ws !== ws) return;
    this.ws = undefined;
    const wasReady = this.helloResult !== undefined;
    this.helloResult = undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new InteropRequestError('disconnected', `${p.type}: connection lost before the answer`));
    }
    if (wasReady && !this.closed) this.emit('disconnected', reason);
    if (this.closed || this.backoff === false) {
      for (const wake of this.readyWaiters.splice(0)) wake();
      return;
    }
    const delay =
      this.authRefusals > 0 ? backoffDelay(this.authRefusals - 1, this.authRefusedBackoff) : backoffDelay(this.attempt++, this.backoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed) return;
      this.open(true).catch(() => {
        // open() failed before any close handler scheduled the next attempt only if no socket
        // close followed; the 'close' event always follows a failed WebSocket, so nothing to do.
      });
    }, delay);
  }

  /** Size and kind are checked before anything is parsed; nothing in a frame can throw out of
   *  here into the socket's event handler (which would end the process). */
  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    try {
      const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
      if (isBinary) {
        this.emit('protocolError', 'binary frame from gateway ignored (the protocol is JSON text)');
        return;
      }
      if (size > this.maxFrameBytes) {
        this.emit('protocolError', `frame of ${size} bytes from gateway ignored (limit ${this.maxFrameBytes})`);
        return;
      }
      const text = Buffer.isBuffer(data)
        ? data.toString('utf8')
        : (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
      this.onFrame(text);
    } catch (err) {
      this.emit('protocolError', `frame from gateway could not be handled: ${quote((err as Error).message, 200)}`);
    }
  }

  private onFrame(text: string): void {
    const parsed = parseGatewayFrame(text);
    if (!parsed.ok) {
      this.emit('protocolError', `unreadable frame from gateway: ${parsed.error}`);
      return;
    }
    const frame = parsed.value;
    if (frame.type === 'event') {
      this.dispatchEvent(frame);
      return;
    }
    const p = frame.id === null ? undefined : this.pending.get(frame.id);
    if (!p) {
      if (frame.type === 'error') this.emit('protocolError', `gateway error: ${frame.error.code}: ${quote(frame.error.message, 300)}`);
      return;
    }
    this.pending.delete(frame.id as string);
    if (frame.type === 'error') {
      p.reject(InteropRequestError.fromBody(p.type, frame.error));
      return;
    }
    const checked = validateResult(p.type, frame.result);
    if (checked.ok) p.resolve(checked.value);
    else p.reject(new InteropRequestError('invalid_response', `${p.type}: invalid result: ${checked.error}`));
  }

  private dispatchEvent(frame: EventFrame): void {
    switch (frame.event) {
      case 'envelope':
        this.emit('envelope', frame.data);
        break;
      case 'typing':
        this.emit('typing', frame.data);
        break;
      case 'keys.low':
        this.emit('keys.low', frame.data);
        break;
      case 'subscription.ended': {
        const d = frame.data.device;
        this.subscriptions.forget(d.phone, d.deviceId);
        this.emit('subscription.ended', frame.data);
        break;
      }
    }
  }

  private sendRaw<T extends RequestType>(
    ws: WebSocket,
    type: T,
    params: RequestParams<T>,
    timeoutMs: number,
  ): Promise<RequestResult<T>> {
    const id = String(this.nextId++);
    return new Promise<RequestResult<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new InteropRequestError('timeout', `${type}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        type,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as RequestResult<T>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.corkUntilNextTick(ws);
      ws.send(JSON.stringify({ v: this.version, id, type, params }), (err) => {
        if (err && this.pending.delete(id)) {
          clearTimeout(timer);
          reject(new InteropRequestError('disconnected', `${type}: send failed: ${err.message}`));
        }
      });
    });
  }

  private corked = false;

  /**
   * Frames sent in the same event-loop turn leave in one write: a busy client pipelines
   * hundreds of small frames, and a syscall per frame costs more than encrypting them. Before
   * they leave, local writes they depend on are committed (durability.ts). ws has no public
   * cork; its socket is a net.Socket, whose cork/uncork nest.
   */
  private corkUntilNextTick(ws: WebSocket): void {
    if (this.corked) return;
    const socket = (ws as unknown as { _socket?: { cork?: () => void; uncork?: () => void } })._socket;
    if (!socket?.cork || !socket.uncork) {
      flushBeforeSend();
      return;
    }
    this.corked = true;
    socket.cork();
    setImmediate(() => {
      this.corked = false;
      flushBeforeSend();
      socket.uncork?.();
    });
  }

  private waitReady(deadline: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    if (this.closed) return Promise.reject(new InteropRequestError('closed', 'connection closed'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.readyWaiters.indexOf(wake);
        if (i >= 0) this.readyWaiters.splice(i, 1);
        reject(new InteropRequestError('timeout', 'gateway not reachable in time'));
      }, Math.max(0, deadline - Date.now()));
      const wake = () => {
        clearTimeout(timer);
        if (this.isReady) resolve();
        else reject(new InteropRequestError(this.closed ? 'closed' : 'disconnected', 'connection not available'));
      };
      this.readyWaiters.push(wake);
    });
  }

  /** Send a request and wait for its result. Waits for a (re)connection if needed. */
  async request<T extends RequestType>(type: T, params: RequestParams<T>, opts: RequestOptions = {}): Promise<RequestResult<T>> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.waitReady(deadline);
      try {
        return await this.sendRaw(this.ws as WebSocket, type, params, Math.max(1, deadline - Date.now()));
      } catch (err) {
        const lost = err instanceof InteropRequestError && err.code === 'disconnected';
        const retry = opts.retryOnDisconnect ?? SAFE_TO_RETRY.has(type);
        if (!lost || !retry || this.closed || Date.now() >= deadline) throw err;
      }
    }
  }

  /** Subscribe a device's queue (`window`: see SubscribeParams); remembered and renewed after
   *  every reconnect. */
  async subscribe(phone: string, deviceId: number, window?: number): Promise<SubscribeResult> {
    const params: SubscribeParams = window === undefined ? { phone, deviceId } : { phone, deviceId, window };
    return subscribeRemembered(this.subscriptions, params, (p) => this.request('device.subscribe', p, { retryOnDisconnect: true }), (m) => this.emit('protocolError', m));
  }

  async unsubscribe(phone: string, deviceId: number): Promise<void> {
    this.subscriptions.forget(phone, deviceId);
    if (this.isReady) await this.request('device.unsubscribe', { phone, deviceId });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const ws = this.ws;
    if (!ws) {
      for (const wake of this.readyWaiters.splice(0)) wake();
      return;
    }
    await new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close();
      // a gateway that never answers the close handshake must not keep the process alive
      setTimeout(() => ws.terminate(), 1000).unref();
    });
  }
}
