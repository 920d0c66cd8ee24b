/**
 * One connection's frames: size and shape checks, provider authentication, routing to the
 * handlers, answers. Every refusal is an error frame; nothing a client sends can throw out of
 * here, and the connection stays usable after any bad frame.
 */
import {
  GROUP_REQUEST_TYPES, GROUPS_VERSION, type ErrorBody, type ProtocolVersion, type RequestFrame, type RequestParams, type RequestResult,
  type RequestType,
} from '../protocol/frames';
import { quote } from '../protocol/quote';
import { MAX_PREKEYS_PER_UPLOAD, parseRequestFrame } from '../protocol/validate';
import { GatewayError, type Connection, type RequestContext, type Services } from './context';
import { secretsEqual } from './crypto';
import * as accounts from './handlers/accounts';
import * as blocklist from './handlers/blocklist';
import * as devices from './handlers/devices';
import * as groupMessages from './handlers/group-messages';
import * as groups from './handlers/groups';
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
  'envelope.ack_many': messages.ackMany,
  'signal.send': messages.signalSend,
  'media.upload': media.mediaUpload,
  'media.download': media.mediaDownload,
  'blocklist.set': blocklist.blocklistSet,
  'blocklist.get': blocklist.blocklistGet,
  'providers.list': providers.providersList,
  'group.create': groups.create,
  'group.get': groups.get,
  'group.list': groups.list,
  'group.update': groups.update,
  'group.add': groups.add,
  'group.remove': groups.remove,
  'group.leave': groups.leave,
  'group.promote': groups.promote,
  'group.demote': groups.demote,
  'group.distribute': groupMessages.distribute,
  'group.submit': groupMessages.submit,
};

const groupTypes: ReadonlySet<string> = new Set(GROUP_REQUEST_TYPES);

export const MAX_FAILED_HELLOS = 5;

/** `v`: the connection's version once it said hello; before, the version the request used. */
export function sendError(conn: Connection, id: string | null, error: ErrorBody, v: ProtocolVersion = conn.version): void {
  conn.send({ v, id, type: 'error', error });
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
  const v = conn.provider ? conn.version : frame.v;
  if (conn.provider && frame.v !== conn.version) {
    sendError(conn, frame.id, {
      code: 'unsupported_version',
      message: `this connection speaks version ${conn.version} (the "v" of its hello); every frame must say so`,
      field: '/v',
    });
    return;
  }
  if (groupTypes.has(frame.type) && frame.v < GROUPS_VERSION) {
    // as a gateway of version 1 would answer: groups need a hello in version 2
    sendError(conn, frame.id, { code: 'unknown_type', message: `${frame.type} needs protocol version ${GROUPS_VERSION}: say "v": 2 in hello`, field: '/type' }, v);
    return;
  }
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
      sendError(conn, frame.id, outcome.refusal.toBody(), v);
      return;
    }
    // a successful hello has just fixed the connection's version
    conn.send({ v: conn.provider ? conn.version : v, id: frame.id, type: 'result', result: outcome.result });
  } catch (e) {
    // a bug: say so without echoing the request (it may hold secrets or ciphertext); the
    // request's savepoint was rolled back, so cached rows may describe undone writes
    services.accounts.forget();
    services.devices.forget();
    services.log.error('request failed', { type: frame.type, error: quote(e instanceof Error ? e.message : String(e), 200) });
    sendError(conn, frame.id, { code: 'internal', message: 'internal error; the request may be retried' }, v);
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
  if (frame.type === 'hello') return hello(services, conn, frame.params, frame.v);
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

function hello(services: Services, conn: Connection, p: RequestParams<'hello'>, version: ProtocolVersion): RequestResult<'hello'> {
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
  conn.version = version;
  services.log.info('provider connected', { connection: conn.id, provider: provider.id, protocolVersion: version });
  const { config } = services;
  return {
    provider: provider.id,
    e2ee: provider.e2ee,
    protocolVersion: version,
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
