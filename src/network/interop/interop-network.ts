/**
 * The interop protocol connector: RemoteNetwork over one provider connection to the gateway,
 * shared by every Matrix user's login (the protocol lets a provider connection act for all of
 * its accounts). Each login is an InteropClient with its own Signal key store; the bridge's
 * devices are published as bridged, so remote clients can show it.
 */
import { InteropClient } from '../../interop-client/client';
import { AUTH_REFUSED_BACKOFF, InteropConnection } from '../../interop-client/connection';
import { InteropRequestError } from '../../interop-client/errors';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../../lib/backoff';
import type { E164 } from '../phone';
import {
  RemoteUnavailableError, SessionEndedError, type LoginState, type RemoteEventHandler, type RemoteSession,
  type ResumedLogin, type SessionEndReason,
} from '../remote-network';
import type { ConnectorLogger, NetworkConnector } from '../connector';
import type { LoginStart } from '../login-steps';
import { beginInteropLogin, resumeInteropLogin } from './interop-login';
import { InteropSession } from './interop-session';
import { interopNetworkHops } from './interop-hops';
import type { NetworkHopQuery, NetworkHops } from '../network-hops';
import type { BridgeKeyStore } from './signal-keys';

export interface InteropNetworkOptions {
  url: string;
  provider: string;
  secret: string;
  keys: BridgeKeyStore;
  log: ConnectorLogger;
  /** how long a login step or a session's connect waits for the gateway before answering
   *  "not reachable" (the gateway connection keeps retrying behind it); default 5 s */
  readyTimeoutMs?: number;
  /** retry pace after the gateway refused the provider secret, at start or on a reconnect
   *  (default AUTH_REFUSED_BACKOFF: 60 s growing to 15 min; tests shorten it) */
  authRefusedBackoff?: BackoffOptions;
}

const DEVICE = { bridged: true, name: 'matrix-interop-bridge' };

/** gateway answers to a device's subscription that no reconnect can change */
const ENDED: Record<string, SessionEndReason> = {
  device_not_found: 'device_removed',
  account_not_found: 'account_removed',
  forbidden: 'auth_failed',
};

/** a request that failed because the gateway went away, as core's transient error */
function unavailableOr(error: unknown): unknown {
  const lost = error instanceof InteropRequestError && (error.code === 'disconnected' || error.code === 'timeout');
  return lost ? new RemoteUnavailableError() : error;
}

/** what a session's subscription failed with, as core's typed errors where one applies */
function typed(error: unknown): unknown {
  if (error instanceof InteropRequestError && ENDED[error.code]) return new SessionEndedError(error.message, ENDED[error.code]);
  return unavailableOr(error);
}

export class InteropNetwork implements NetworkConnector {
  readonly id = 'interop';
  readonly displayName = 'interop network';
  private readonly conn: InteropConnection;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: InteropNetworkOptions) {
    this.conn = new InteropConnection({
      url: options.url, provider: options.provider, secret: options.secret, authRefusedBackoff: options.authRefusedBackoff,
      // version 1 until the bridge has group portals: a version-2 connection would be handed
      // group envelopes that core cannot bridge, left unacknowledged and redelivered forever;
      // on version 1 the gateway keeps them queued instead (docs/interop-protocol.md §17)
      protocolVersion: 1,
    });
    this.conn.on('disconnected', (reason) => options.log.warn(`interop gateway connection lost (${reason}); reconnecting`));
    this.conn.on('connected', (_hello, again) => again && options.log.info('interop gateway connection restored'));
    this.conn.on('protocolError', (message) => options.log.warn(`interop gateway sent something unreadable: ${message}`));
    // first listener of every envelope: the time it was read and parsed (a debug trace with
    // IDs only; the gateway's "envelope written" line is the other end of the wire)
    const debug = options.log.debug?.bind(options.log);
    if (debug) this.conn.on('envelope', (e) => debug('envelope received', { envelope: Number(e.envelopeId) }));
    // the secret was accepted once and is refused now (rotated, provider removed): said once, as at start
    this.conn.on('authRefused', (refusals) => refusals === 1 && this.secretRefused());
  }

  describeHops(query: NetworkHopQuery): NetworkHops {
    return interopNetworkHops(query);
  }

  get connected(): boolean {
    return this.conn.isReady;
  }

  private secretRefused(): void {
    this.options.log.error(`the gateway refused the provider secret for provider ${this.options.provider}; check network.provider_secret (retrying every few minutes)`);
  }

  /** Connects, retrying with backoff while the gateway is unreachable; later drops are the
   *  connection's own to repair. Resolves once connected. */
  start(): Promise<void> {
    this.connecting ??= new Promise<void>((resolve) => {
      let attempt = 0;
      let authAttempt = 0;
      const tryOnce = () => {
        if (this.closed) return resolve();
        this.conn.connect().then(
          () => {
            this.options.log.info(`connected to the interop gateway as provider ${this.options.provider}`);
            resolve();
          },
          (error: Error) => {
            if (error instanceof InteropRequestError && error.code === 'auth_failed') {
              // no quick retry fixes a refused secret: said once, as what it is, and asked again slowly
              // (the gateway's admin may still be adding the provider)
              if (authAttempt === 0) this.secretRefused();
              this.retryTimer = setTimeout(tryOnce, backoffDelay(authAttempt++, this.options.authRefusedBackoff ?? AUTH_REFUSED_BACKOFF));
              return;
            }
            const delay = backoffDelay(attempt++, DEFAULT_BACKOFF);
            this.options.log.warn(`interop gateway not reachable (${error.message}); retrying in ${Math.round(delay)} ms`);
            this.retryTimer = setTimeout(tryOnce, delay);
          },
        );
      };
      tryOnce();
    });
    return this.connecting;
  }

  /** Waits until the gateway connection is up (starting it if need be), but never longer
   *  than readyTimeoutMs: then RemoteUnavailableError, so no caller hangs while it is down. */
  private ready(): Promise<void> {
    if (this.conn.isReady) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.conn.off('connected', up);
      };
      const up = () => {
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new RemoteUnavailableError());
      }, this.options.readyTimeoutMs ?? 5000);
      this.conn.on('connected', up);
      void this.start().then(() => {
        if (this.conn.isReady) up();
      });
    });
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.conn.close();
  }

  private client(userKey: string, phone: E164): InteropClient {
    return new InteropClient({ connection: this.conn, phone, stores: this.options.keys.forAccount(userKey), device: DEVICE });
  }

  /** The login as steps (interop-login.ts): the phone number, then the one-time code. */
  async beginLogin(userKey: string): Promise<LoginStart> {
    return beginInteropLogin({ ready: () => this.ready(), client: (phone) => this.client(userKey, phone) }, this.displayName);
  }

  /** A login a restarted bridge had waiting for its code (interop-login.ts). */
  async resumeLogin(userKey: string, saved: ResumedLogin): Promise<LoginStart> {
    return resumeInteropLogin({ ready: () => this.ready(), client: (phone) => this.client(userKey, phone) }, saved.step, saved.answers);
  }

  /**
   * Connects a stored login. Throws RemoteUnavailableError after a short wait while the gateway
   * is down (core retries with backoff), SessionEndedError when the network no longer knows
   * the device (removed while the bridge was away, say): no retry can help that.
   */
  async connect(userKey: string, login: LoginState, handler: RemoteEventHandler): Promise<RemoteSession> {
    await this.ready();
    const client = this.client(userKey, login.phone);
    const deviceId = await client.load();
    if (deviceId === undefined) throw new SessionEndedError('no device keys are stored for this login', 'auth_failed');
    const onUp = () => {
      handler.onConnectionChange(true);
      // the connection re-subscribes by itself but only logs a failure: a device removed while
      // the bridge was away would look connected and receive nothing, so ask the network
      client.listDevices().then(
        (result) => {
          if (!result.devices.some((d) => d.deviceId === deviceId)) handler.onSessionEnded?.('device_removed');
        },
        (error: unknown) => {
          const ended = typed(error);
          if (ended instanceof SessionEndedError) handler.onSessionEnded?.(ended.reason);
        },
      );
    };
    const onDown = () => handler.onConnectionChange(false);
    const onEnded = (event: { reason: SessionEndReason }) => handler.onSessionEnded?.(event.reason);
    const session = new InteropSession(login.phone, client, async () => {
      this.conn.off('connected', onUp);
      this.conn.off('disconnected', onDown);
      client.off('subscriptionEnded', onEnded);
      await client.stop();
    }, (mediaId) => this.downloadPublic(mediaId), (phone) => this.currentDevices(phone));
    // before core's listener: when the receiver handed the message over (decrypted, in its turn)
    const debug = this.options.log.debug?.bind(this.options.log);
    if (debug) client.on('message', (m) => debug('envelope handed to core', { envelope: Number(m.envelopeId) }));
    session.wire(handler, (message) => this.options.log.warn(`login of ${userKey}: ${message}`));
    client.on('subscriptionEnded', onEnded);
    try {
      await client.start();
    } catch (error) {
      client.off('subscriptionEnded', onEnded);
      await client.stop().catch(() => undefined);
      throw typed(error);
    }
    this.conn.on('connected', onUp);
    this.conn.on('disconnected', onDown);
    return session;
  }

  /** the device IDs a contact has now, from the key directory (a rate-limited look-up) */
  private async currentDevices(phone: E164): Promise<number[]> {
    const result = await this.conn.request('keys.fetch', { phone }, { retryOnDisconnect: true });
    return result.devices.map((d) => d.deviceId);
  }

  private async downloadPublic(mediaId: string): Promise<Uint8Array> {
    const result = await this.conn.request('media.download', { mediaId }, { timeoutMs: 60_000 });
    return new Uint8Array(Buffer.from(result.data, 'base64'));
  }

  async logout(userKey: string, login: LoginState): Promise<string[]> {
    const deleted: string[] = [];
    const deviceId = typeof login.data.deviceId === 'number' ? login.data.deviceId : undefined;
    if (deviceId !== undefined) {
      try {
        await this.conn.request('device.remove', { phone: login.phone, deviceId });
        deleted.push(`device ${deviceId} at the network (it no longer receives messages for ${login.phone})`);
      } catch (error) {
        deleted.push(`(device ${deviceId} could not be removed at the network: ${(error as Error).message})`);
      }
    }
    const counts = this.options.keys.deleteAccount(userKey);
    deleted.push(
      `the Signal identity key and registration (${counts.identities} records)`,
      `${counts.preKeys} prekeys`,
      `${counts.sessions} Signal sessions`,
    );
    if (counts.other > 0) deleted.push(`${counts.other} other key records`);
    return deleted;
  }
}
