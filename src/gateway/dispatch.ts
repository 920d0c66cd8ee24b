/**
 * One connection's frames: size and shape checks, provider authentication, routing to the
 * handlers, answers. Every refusal is an error frame; nothing a client sends can throw out of
 * here, and the connection stays usable after any bad frame.
 */
import {
  PROTOCOL_VERSION, type ErrorBody, type RequestFrame, type RequestParams, type RequestResult, type RequestType,
} from '../protocol/frames';
import { quote } from '../protocol/quote';
import { MAX_PREKEYS_PER_UPLOAD, parseRequestFrame } from '../protocol/validate';
import { GatewayError, type Connection, type RequestContext, type Services } from './context';
import { secretsEqual } from './crypto';
import * as accounts from './handlers/accounts';
import * as blocklist from './handlers/blocklist';
import * as devices from './handlers/devices';
import * as media from './handlers/media';
import * as messages from './handlers/messages';
import * as providers from './handlers/providers';

type AuthedType = Exclude<RequestType, 'hello' | 'ping'>;
type Handler<T extends RequestType> = (ctx: RequestContext, params: RequestParams<T>) => RequestResult<T>;

const HANDLERS: { [K in AuthedType]: Handler<K> } = {
  'account.register_request': accounts.registerRequest,
  'account.register_confirm': accounts.registerConfirm,
  'account.unregister': accounts.unregister,
  'profile.set': accounts.profileSet,
  'profile.get': accounts.profileGet,
  'device.register': devices.deviceRegister,
  'device.remove': devices.deviceRemove,
  'device.list': devices.deviceList,
  'device.subscribe': devices.subscribe,
  'device.unsubscribe': devices.unsubscribe,
  'keys.upload': devices.keysUpload,
  'keys.fetch': devices.keysFetch,
  'message.submit': messages.submit,
  'envelope.ack': messages.ack,
  'signal.send': messages.signalSend,
  'media.upload': media.mediaUpload,
  'media.download': media.mediaDownload,
  'blocklist.set': blocklist.blocklistSet,
  'blocklist.get': blocklist.blocklistGet,
  'providers.list': providers.providersList,
};

export const MAX_FAILED_HELLOS = 5;

export function sendError(conn: Connection, id: string | null, error: ErrorBody): void {
  conn.send({ v: PROTOCOL_VERSION, id, type: 'error', error });
}

/**
 * Handle one WebSocket message. Whatever goes wrong in here (a bug in a handler, a validator
 * that throws on some input) is answered with an `internal` error frame and logged; it never
 * propagates into the socket's event handler, where it would end the gateway process.
 */
export function handleMessage(services: Services, conn: Connection, data: Buffer, isBinary: boolean): void {
  try {
    handleFrame(services, conn, data, isBinary);
  } catch (e) {
    services.log.error('frame handling failed', { connection: conn.id, error: quote(e instanceof Error ? e.message : String(e), 200) });
    try {
      sendError(conn, null, { code: 'internal', message: 'internal error; the request may be retried' });
    } catch {
      // the socket is gone; nothing left to tell
    }
  }
}

function handleFrame(services: Services, conn: Connection, data: Buffer, isBinary: boolean): void {
  if (isBinary) {
    sendError(conn, null, { code: 'bad_frame', message: 'binary messages are not part of the protocol; send JSON text' });
    return;
  }
  if (data.length > services.config.maxFrameBytes) {
    sendError(conn, null, {
      code: 'frame_too_large',
      message: `frame of ${data.length} bytes exceeds the limit of ${services.config.maxFrameBytes}`,
    });
    return;
  }
  const parsed = parseRequestFrame(data.toString('utf8'));
  if (!parsed.ok) {
    sendError(conn, parsed.id, parsed.error);
    return;
  }
  const after: (() => void)[] = [];
  const frame = parsed.frame;
  try {
    // A refusal (GatewayError) keeps what the handler wrote before refusing, e.g. a counted
    // wrong code; any other exception rolls the request's savepoint back.
    const outcome = services.transact((): { result: RequestResult<RequestType> } | { refusal: GatewayError } => {
      try {
        return { result: route(services, conn, frame, after) };
      } catch (e) {
        if (e instanceof GatewayError) return { refusal: e };
        throw e;
      }
    });
    if ('refusal' in outcome) {
      sendError(conn, frame.id, outcome.refusal.toBody());
      return;
    }
    conn.send({ v: PROTOCOL_VERSION, id: frame.id, type: 'result', result: outcome.result });
  } catch (e) {
    // a bug: say so without echoing the request (it may hold secrets or ciphertext); the
    // request's savepoint was rolled back, so cached rows may describe undone writes
    services.accounts.forget();
    services.devices.forget();
    services.log.error('request failed', { type: frame.type, error: quote(e instanceof Error ? e.message : String(e), 200) });
    sendError(conn, frame.id, { code: 'internal', message: 'internal error; the request may be retried' });
    return;
  }
  for (const fn of after) {
    try {
      fn();
    } catch (e) {
      services.log.error('post-reply action failed', { type: frame.type, error: quote(e instanceof Error ? e.message : String(e), 200) });
    }
  }
}

function route(services: Services, conn: Connection, frame: RequestFrame, after: (() => void)[]): RequestResult<RequestType> {
  if (frame.type === 'ping') return { serverTime: services.now() };
  if (frame.type === 'hello') return hello(services, conn, frame.params);
  const provider = conn.provider;
  if (!provider) throw new GatewayError('unauthenticated', `authenticate with hello before ${frame.type}`);
  const ctx: RequestContext = { conn, provider, services, afterReply: (fn) => after.push(fn) };
  const handler = HANDLERS[frame.type] as Handler<AuthedType>;
  const result = handler(ctx, frame.params as never) as RequestResult<RequestType>;
  try {
    services.onRequest?.({ provider: provider.id, type: frame.type, params: frame.params });
  } catch (e) {
    // an observer's bug must not undo a request that was carried out
    services.log.error('request observer failed', { type: frame.type, error: quote(e instanceof Error ? e.message : String(e), 200) });
  }
  return result;
}

function hello(services: Services, conn: Connection, p: RequestParams<'hello'>): RequestResult<'hello'> {
  if (conn.provider) throw new GatewayError('already_authenticated', `this connection is already provider ${conn.provider.id}`);
  const provider = services.providers.get(p.provider);
  // compare against a dummy when the provider is unknown, so timing does not reveal which IDs exist
  const ok = secretsEqual(p.secret, provider?.secret ?? '\u0000no such provider') && provider !== undefined;
  if (!ok) {
    conn.failedHellos++;
    services.log.warn('provider authentication failed', { connection: conn.id, attempts: conn.failedHellos });
    if (conn.failedHellos >= MAX_FAILED_HELLOS) {
      setImmediate(() => conn.close(1008, 'too many failed authentications'));
    }
    throw new GatewayError('auth_failed', 'unknown provider or wrong secret');
  }
  conn.provider = provider;
  services.log.info('provider connected', { connection: conn.id, provider: provider.id });
  const { config } = services;
  return {
    provider: provider.id,
    e2ee: provider.e2ee,
    protocolVersion: PROTOCOL_VERSION,
    serverTime: services.now(),
    devMode: config.devMode,
    limits: {
      maxFrameBytes: config.maxFrameBytes,
      maxMediaBytes: config.maxMediaBytes,
      preKeyLowWater: config.preKeyLowWater,
      maxOneTimePreKeysPerUpload: MAX_PREKEYS_PER_UPLOAD,
      deliveryWindow: config.deliveryWindow,
    },
  };
}
