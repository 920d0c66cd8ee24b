/**
 * The provisioning API's routes under /_matrix/provision/v1, each a thin rendering of a
 * LoginFlow call (src/core/login-flow.ts, over the one step login) or a read of the store, so the API does exactly
 * what the bot's commands do. docs/provisioning.openapi.yaml documents every route here; a
 * unit test checks that the two list the same paths and methods.
 */
import type { ValidateFunction } from 'ajv';
import type { BridgeConfig } from '../config/types';
import { loginBridgeState } from '../core/bridge-state';
import { PhoneLoginUnsupportedError, type LoginFlow, type LoginView } from '../core/login-flow';
import { isTerminal } from '../core/sessions';
import type { Inbox } from '../core/inbox';
import type { Pausing } from '../core/pausing';
import type { ProfileShare } from '../core/profile-share';
import type { RequestActions } from '../core/request-actions';
import { readSettings } from '../core/user-settings';
import type { CoreLogger } from '../core/context';
import { InvalidPhoneNumberError, type E164 } from '../network/phone';
import type { BridgeStore } from '../store';
import type { ActingUser } from './auth';
import { ApiError, ERRCODE } from './errors';
import { validators, type CodeBody, type EmptyBody, type PhoneBody, type SettingsBody } from './schemas';

export const API_PREFIX = '/_matrix/provision/v1';

/** what the routes need of the running bridge */
export interface ProvisioningDeps {
  config: BridgeConfig;
  logins: LoginFlow;
  /** where the user's portals sit (the `inbox` setting) */
  inbox: Inbox;
  pausing: Pausing;
  profiles: ProfileShare;
  /** message requests: accept and decline as the bot's commands do */
  requests: RequestActions;
  store: BridgeStore;
  /** the network's human name, e.g. `interop network` */
  networkName: string;
  /** the bot and the ghosts: never acted for */
  isBridgeUser(mxid: string): boolean;
  log: CoreLogger;
}

export type Method = 'GET' | 'POST' | 'PUT';

export interface RouteResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface Route {
  method: Method;
  /** below API_PREFIX, e.g. `/status` */
  path: string;
  /** the body's validator; none: the route reads no body */
  body?: ValidateFunction;
  /** a missing body counts as `{}` (logout, which takes nothing) */
  bodyOptional?: boolean;
  handle(user: ActingUser, body: unknown): Promise<RouteResponse>;
}

function route<B>(
  method: Method,
  path: string,
  body: ValidateFunction<B> | undefined,
  handle: (user: ActingUser, body: B) => Promise<RouteResponse>,
  bodyOptional = false,
): Route {
  return { method, path, body, bodyOptional, handle: (user, raw) => handle(user, raw as B) };
}

const ok = (body: Record<string, unknown>, status = 200): RouteResponse => ({ status, body });

/** a phone number the flow refused, as a 400 naming the input */
async function phoneErrors<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof InvalidPhoneNumberError) throw new ApiError(400, ERRCODE.invalidParam, error.message);
    if (error instanceof PhoneLoginUnsupportedError) throw new ApiError(501, ERRCODE.unrecognized, error.message);
    throw error;
  }
}

/** a login's state for programs: one `state` word, and what goes with it */
export function statusBody(userId: string, view: LoginView, networkName: string): Record<string, unknown> {
  const base = { user_id: userId, network: networkName };
  switch (view.kind) {
    case 'session': {
      const s = view.status;
      return {
        ...base,
        state: s.state,
        logged_in: !isTerminal(s.state),
        phone: s.phone,
        since: s.since,
        ...(s.reason ? { reason: s.reason } : {}),
        ...(s.nextAttemptAt ? { next_attempt_at: s.nextAttemptAt } : {}),
        bridge_state: loginBridgeState(s).state_event,
      };
    }
    case 'paused':
      return { ...base, state: 'paused', logged_in: true, phone: view.phone };
    case 'stopping':
      return { ...base, state: 'stopping', logged_in: true, phone: view.phone };
    case 'waiting_for_code':
      return { ...base, state: 'waiting_for_code', logged_in: false, phone: view.phone };
    case 'waiting_for_network':
      return { ...base, state: 'waiting_for_network', logged_in: false };
    case 'not_logged_in':
      return { ...base, state: 'not_logged_in', logged_in: false, ...(view.failure ? { reason: view.failure } : {}) };
  }
}

export function provisioningRoutes(deps: ProvisioningDeps): Route[] {
  const { logins, store } = deps;
  const noRequest = (contact: E164) => new ApiError(404, ERRCODE.notFound, `there is no message request from ${contact}; GET /requests lists them`);
  const notLoggedIn = (userId: string) => new ApiError(409, ERRCODE.notLoggedIn, `${userId} is not logged in; POST /login/start first`);

  return [
    route('GET', '/status', undefined, async (user) => ok({ ...statusBody(user.userId, await logins.view(user.userId), deps.networkName), permission: user.access })),

    route('POST', '/login/start', validators.phone, (user, body: PhoneBody) =>
      phoneErrors(async () => {
        const started = await logins.start(user.userId, body.phone);
        switch (started.outcome) {
          case 'code_sent':
            return ok({ state: 'waiting_for_code', phone: started.phone });
          case 'waiting_for_network':
            // accepted: the code is requested as soon as the network is back (logged, and GET /status shows it)
            return ok({ state: 'waiting_for_network', phone: started.phone }, 202);
          case 'network_unreachable':
            throw new ApiError(503, ERRCODE.networkUnreachable, 'the network is not reachable right now, so no code was requested; send the number again in a moment');
          case 'already_logged_in':
            throw new ApiError(409, ERRCODE.alreadyLoggedIn, `${user.userId} is already logged in as ${started.phone}; POST /logout first`);
          case 'refused':
            throw new ApiError(400, ERRCODE.invalidParam, `the network did not take this number: ${started.reason}`);
        }
      }),
    ),

    route('POST', '/login/code', validators.code, async (user, body: CodeBody) => {
      const result = await logins.submitCode(user.userId, body.code);
      switch (result.outcome) {
        case 'logged_in':
          return ok({ state: result.status.state, logged_in: true, phone: result.phone });
        case 'no_pending_login':
          throw new ApiError(409, ERRCODE.noPendingLogin, 'no login is waiting for a code; POST /login/start first');
        case 'network_unreachable':
          throw new ApiError(503, ERRCODE.networkUnreachable, 'the network is not reachable right now, so the code could not be checked; send it again in a moment');
        case 'refused':
          throw new ApiError(400, ERRCODE.codeRefused, `the code was not accepted: ${result.reason}${result.ended ? '; POST /login/start again' : ''}`);
      }
    }),

    route('POST', '/logout', validators.empty, async (user, _body: EmptyBody) => {
      const result = await logins.logout(user.userId);
      if (result.outcome === 'not_logged_in') throw notLoggedIn(user.userId);
      return ok({ state: 'logged_out', phone: result.phone, deleted: result.deleted, portal_count: result.portalCount });
    }, true),

    route('GET', '/contacts', undefined, async (user) => {
      // the contacts the bridge has a chat (portal) with for this user
      const contacts = [];
      for (const portal of await store.portals.ofOwner(user.userId)) {
        const contact = await store.contacts.get(user.userId, portal.contact);
        const ghost = await store.ghosts.get(portal.contact);
        contacts.push({
          phone: portal.contact as E164,
          room_id: portal.roomId,
          display_name: ghost?.displayName ?? null,
          provider: contact?.provider ?? null,
          end_to_end_encrypted: contact?.e2ee ?? null,
          verified: contact?.verified ?? false,
        });
      }
      return ok({ contacts });
    }),

    route('POST', '/chats', validators.phone, (user, body: PhoneBody) =>
      phoneErrors(async () => {
        const result = await logins.startChat(user.userId, body.phone);
        if (result.outcome === 'not_logged_in') throw notLoggedIn(user.userId);
        if (result.outcome === 'rate_limited') {
          const seconds = Math.ceil(result.retryAfterMs / 1000);
          throw new ApiError(429, ERRCODE.limitExceeded, `too many new chats for this user (bridge.new_chats); retry in ${seconds} s`, { 'Retry-After': String(seconds) });
        }
        return ok({ room_id: result.roomId, phone: result.contact, matrix_to: `https://matrix.to/#/${result.roomId}` });
      }),
    ),

    // message requests (first messages from numbers the user never wrote to), as the bot's
    // `requests`, `accept` and `decline`: a user of the API alone has no management room
    // where the bot would announce them
    route('GET', '/requests', undefined, async (user) => {
      const requests = (await store.requests.list(user.userId)).map((r) => ({
        phone: r.contact as E164,
        provider: r.provider,
        end_to_end_encrypted: r.e2ee,
        messages: r.held,
        unreadable: r.unreadable,
        since: r.firstAt,
        notice_sent: r.notice === 'sent',
      }));
      const drops = await store.requests.drops(user.userId);
      return ok({ requests, dropped: drops ? { messages: drops.messages, numbers: drops.numbers, since: drops.firstAt } : null });
    }),

    route('POST', '/requests/accept', validators.phone, (user, body: PhoneBody) =>
      phoneErrors(async () => {
        const contact = await deps.requests.requester(user.userId, body.phone);
        const result = await deps.requests.accept(user.userId, contact);
        if (result.outcome === 'no_request') throw noRequest(contact);
        if (result.outcome === 'failed') {
          throw new ApiError(503, ERRCODE.networkUnreachable, `the request could not be accepted yet: ${result.reason}; it still waits, nothing was lost`);
        }
        return ok({ phone: contact, room_id: result.roomId, delivered: result.delivered, unreadable: result.unreadable, damaged: result.damaged });
      }),
    ),

    route('POST', '/requests/decline', validators.phone, (user, body: PhoneBody) =>
      phoneErrors(async () => {
        const contact = await deps.requests.requester(user.userId, body.phone);
        if (!await deps.requests.decline(user.userId, contact)) throw noRequest(contact);
        return ok({ phone: contact, declined: true });
      }),
    ),

    route('GET', '/settings', undefined, async (user) => ok(await settingsBody(deps, user.userId))),

    // as the bot's `inbox` command: the setting is kept, and the portals are moved
    // each key as the bot's command for it does; the answer is the settings after all of them
    route('PUT', '/settings', validators.settings, async (user, body: SettingsBody) => {
      const extra: Record<string, unknown> = {};
      if (body.paused !== undefined) {
        const result = body.paused ? await deps.pausing.pause(user.userId) : await deps.pausing.resume(user.userId);
        if (result.outcome === 'not_logged_in') throw notLoggedIn(user.userId);
      }
      if (body.profileShare !== undefined) {
        try {
          const shared = await deps.profiles.set(user.userId, body.profileShare);
          extra.profile = shared.outcome === 'later' ? 'applied at the next connect' : shared.outcome;
        } catch (error) {
          throw new ApiError(503, ERRCODE.networkUnreachable, `profileShare ${body.profileShare} is kept, but the network was not updated: ${(error as Error).message}; it is tried again at the next connect`);
        }
      }
      if (body.inbox !== undefined) {
        let moved;
        try {
          moved = await deps.inbox.switchTo(user.userId, body.inbox);
        } catch (error) {
          throw new ApiError(503, ERRCODE.homeserverUnavailable, `inbox ${body.inbox} is kept, but the Space could not be set up: ${(error as Error).message}; PUT it again to retry`);
        }
        extra.moved = { rooms: moved.moved, failed: moved.failed };
      }
      return ok({ ...(await settingsBody(deps, user.userId)), ...extra });
    }),
  ];
}

/** The user's settings (as the bot's `settings` shows them), what PUT can change, and the
 *  bridge-wide settings that shape the user's chats, read-only (they are the admin's config). */
async function settingsBody(deps: ProvisioningDeps, userId: string): Promise<Record<string, unknown>> {
  const { bridge, security } = deps.config;
  return {
    user: await readSettings(deps.store, userId),
    writable: ['inbox', 'paused', 'profileShare'],
    bridge: {
      command_prefix: bridge.command_prefix,
      show_phone_in_displayname: bridge.show_phone_in_displayname,
      max_media_bytes: bridge.max_media_bytes,
      refuse_unencrypted_providers: security.refuse_unencrypted_providers,
      hold_on_key_change: security.hold_on_key_change,
    },
  };
}
