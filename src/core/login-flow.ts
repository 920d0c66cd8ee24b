/**
 * What logging in, out, checking the login and starting a chat do, once, for every front end:
 * the bot's management-room commands (login-commands.ts) and the provisioning API
 * (src/provisioning/) both call this and only render the outcome, so the two cannot drift.
 * Each step returns a typed outcome instead of text; a bad phone number throws
 * InvalidPhoneNumberError (its message names the input).
 *
 * A code request while the network is down answers at once (`waiting_for_network`) and is
 * retried in the background with the one backoff helper; its later result goes to the
 * `later` callback the caller gave. One flow object per core: the retries in flight are
 * shared, so a logout through the API cancels a retry started by the bot, and the reverse.
 * Login, code and logout run one at a time per user: the bot answers a room's commands in
 * order, but API requests (and the bot and the API together) can arrive at once, and two
 * codes checked in parallel would register two devices at the network.
 */
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import { TokenBucket } from '../lib/token-bucket';
import { KeyedQueue } from '../lib/keyed-queue';
import { InvalidPhoneNumberError, parsePhone, parseShownPhone, type E164 } from '../network/phone';
import { RemoteUnavailableError } from '../network/remote-network';
import type { BridgeStore } from '../store';
import type { CoreContext } from './context';
import type { Portals } from './portals';
import { isTerminal, type LoginStatus, type Sessions } from './sessions';
import { isPaused, writeSetting } from './user-settings';

export type LoginStartOutcome =
  | { outcome: 'code_sent'; phone: E164 }
  /** the network is down: the code is requested when it is back (see `later`) */
  | { outcome: 'waiting_for_network'; phone: E164 }
  | { outcome: 'already_logged_in'; phone: E164 }
  /** a newer login (or a logout) came in while this code request was under way */
  | { outcome: 'superseded'; phone: E164 };

/** what became of a code request that had to wait for the network */
export type LaterOutcome = { outcome: 'code_sent'; phone: E164 } | { outcome: 'failed'; phone: E164; reason: string };

export type CodeOutcome =
  | { outcome: 'logged_in'; phone: E164; status: LoginStatus }
  | { outcome: 'no_pending_login' }
  | { outcome: 'network_unreachable' }
  | { outcome: 'refused'; reason: string };

export type LogoutOutcome = { outcome: 'logged_out'; phone: E164; deleted: string[]; portalCount: number } | { outcome: 'not_logged_in' };

/** a login's state as far as the bridge knows it, from the session lifecycle and the store */
export type LoginView =
  | { kind: 'session'; status: LoginStatus }
  /** the user paused bridging: logged in, no session until `resume` */
  | { kind: 'paused'; phone: E164 }
  /** a stored login without a lifecycle entry: the bridge is stopping */
  | { kind: 'stopping'; phone: E164 }
  | { kind: 'waiting_for_code'; phone: E164 }
  | { kind: 'waiting_for_network' }
  /** `failure`: why the last code request that waited for the network gave up */
  | { kind: 'not_logged_in'; failure?: string };

export type StartChatOutcome =
  | { outcome: 'opened'; contact: E164; roomId: string }
  | { outcome: 'not_logged_in' }
  /** too many new chats in a short time (bridge.new_chats): try again after `retryAfterMs` */
  | { outcome: 'rate_limited'; retryAfterMs: number };

/** Numbers the bridge has shown `owner`: their contacts, portals and ghosts. A command about
 *  one of them accepts it by E.164 syntax alone (see parseShownPhone). */
export function shownTo(store: BridgeStore, owner: string): (phone: E164) => boolean {
  return (phone) =>
    store.contacts.get(owner, phone) !== undefined || store.portals.get(owner, phone) !== undefined || store.ghosts.get(phone) !== undefined ||
    store.requests.get(owner, phone) !== undefined;
}

function phoneInput(input: string, shown?: (phone: E164) => boolean): E164 {
  const text = input.trim();
  if (!text) throw new InvalidPhoneNumberError('', 'no number given');
  return shown ? parseShownPhone(text, shown) : parsePhone(text);
}

/** The network logs in by steps (login-steps.ts), which only the bot's `login` drives; this
 *  flow is for phone-and-code logins. */
export class PhoneLoginUnsupportedError extends Error {
  constructor(networkName: string) {
    super(`the ${networkName} does not log in with a phone number and code; the user logs in with "login" in their management room with the bridge bot`);
    this.name = 'PhoneLoginUnsupportedError';
  }
}

export class LoginFlow {
  /** code requests retried in the background while the network is down; a newer login or a
   *  logout replaces or cancels them */
  private readonly waiting = new Map<string, symbol>();
  /** why a background code request gave up, until the next login or logout (status shows it) */
  private readonly failures = new Map<string, string>();
  private readonly backoff: BackoffOptions;
  /** one login step at a time per user */
  private readonly steps = new KeyedQueue();
  /** per user: chats with numbers they had no chat with (each a directory look-up) */
  private readonly newChats = new Map<string, TokenBucket>();

  constructor(private readonly core: CoreContext, private readonly sessions: Sessions, private readonly portals: Portals) {
    const delivery = core.config.bridge.delivery;
    this.backoff = { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.3 };
  }

  /** Starts linking `input` (a phone number) for `owner`: the network sends a one-time code.
   *  `beforeRequest` runs once the number is valid and no login is in the way, just before the
   *  code is asked for (the bot says there what logging in means). */
  start(
    owner: string, input: string, later: (result: LaterOutcome) => Promise<void>, beforeRequest?: (phone: E164) => Promise<void>,
  ): Promise<LoginStartOutcome> {
    return this.steps.run(owner, () => this.startNow(owner, input, later, beforeRequest));
  }

  private async startNow(
    owner: string, input: string, later: (result: LaterOutcome) => Promise<void>, beforeRequest?: (phone: E164) => Promise<void>,
  ): Promise<LoginStartOutcome> {
    const { store, network } = this.core;
    const existing = store.logins.get(owner);
    const status = this.sessions.state(owner);
    const ended = status !== undefined && isTerminal(status.state);
    if (existing && !ended) return { outcome: 'already_logged_in', phone: existing.phone as E164 };
    const phone = phoneInput(input);
    this.phoneCode();
    if (existing) {
      // the network ended the old login (device removed, say): clear what is left of it
      await this.sessions.disconnect(owner);
      await network.logout(owner, { phone: existing.phone as E164, data: existing.state }).catch(() => []);
      store.logins.remove(owner);
    }
    store.users.ensure(owner);
    await beforeRequest?.(phone);
    return this.requestCode(owner, phone, later);
  }

  /** Asks for the code; while the network is unreachable, answers at once and keeps trying. */
  private async requestCode(owner: string, phone: E164, later: (result: LaterOutcome) => Promise<void>): Promise<LoginStartOutcome> {
    const token = Symbol(phone);
    this.waiting.set(owner, token);
    this.failures.delete(owner);
    const ask = async () => {
      await this.phoneCode().requestLoginCode(owner, phone);
      if (this.waiting.get(owner) !== token) return false;
      this.waiting.delete(owner);
      this.core.store.logins.setPending(owner, phone);
      return true;
    };
    try {
      return (await ask()) ? { outcome: 'code_sent', phone } : { outcome: 'superseded', phone };
    } catch (error) {
      if (!(error instanceof RemoteUnavailableError)) {
        this.waiting.delete(owner);
        throw error;
      }
    }
    let attempt = 0;
    const retry = () => {
      const timer = setTimeout(() => {
        if (this.waiting.get(owner) !== token || this.sessions.isStopped) return;
        ask().then(
          (sent) => (sent ? later({ outcome: 'code_sent', phone }) : undefined),
          (error: Error) => {
            if (error instanceof RemoteUnavailableError && !this.sessions.isStopped) return retry();
            if (this.waiting.get(owner) === token) {
              this.waiting.delete(owner);
              this.failures.set(owner, error.message);
            }
            return later({ outcome: 'failed', phone, reason: error.message });
          },
        ).catch((error: Error) => this.core.log.warn(`login of ${owner}: telling the result failed: ${error.message}`));
      }, backoffDelay(attempt++, this.backoff));
      timer.unref();
    };
    retry();
    return { outcome: 'waiting_for_network', phone };
  }

  /** Finishes the pending login of `owner` with the one-time code, and connects it. */
  submitCode(owner: string, code: string): Promise<CodeOutcome> {
    return this.steps.run(owner, () => this.submitCodeNow(owner, code));
  }

  private async submitCodeNow(owner: string, code: string): Promise<CodeOutcome> {
    const { store, network } = this.core;
    const pending = store.logins.getPending(owner);
    if (!pending) return { outcome: 'no_pending_login' };
    const phone = pending.phone as E164;
    let state;
    try {
      state = await this.phoneCode(network).completeLogin(owner, phone, code);
    } catch (error) {
      if (error instanceof RemoteUnavailableError) return { outcome: 'network_unreachable' };
      return { outcome: 'refused', reason: (error as Error).message };
    }
    store.atomically(() => {
      store.logins.put(owner, phone, state.data);
      store.logins.clearPending(owner);
    });
    const status = await this.sessions.connect(store.logins.get(owner)!);
    return { outcome: 'logged_in', phone, status };
  }

  /** The network's phone-and-code login; a clear error for a network that logs in by steps
   *  (login-steps.ts), which only the bot's step login drives. */
  private phoneCode(network = this.core.network): Required<Pick<typeof network, 'requestLoginCode' | 'completeLogin'>> {
    const { requestLoginCode, completeLogin } = network;
    if (!requestLoginCode || !completeLogin) throw new PhoneLoginUnsupportedError(network.displayName);
    return { requestLoginCode: requestLoginCode.bind(network), completeLogin: completeLogin.bind(network) };
  }

  /** Gives up a code request or a login waiting for its code; true if there was one. */
  cancelPending(owner: string): Promise<boolean> {
    return this.steps.run(owner, async () => {
      const had = this.waiting.delete(owner) || this.core.store.logins.getPending(owner) !== undefined;
      this.failures.delete(owner);
      this.core.store.logins.clearPending(owner);
      return had;
    });
  }

  /** Whether `owner` could log out `input` (empty, or their own number as shown). */
  isOwnLogin(owner: string, input: string): boolean {
    const login = this.core.store.logins.get(owner);
    if (!login || !input.trim()) return true;
    try {
      return parseShownPhone(input.trim(), (p) => p === login.phone) === login.phone;
    } catch {
      return false;
    }
  }

  /** Ends `owner`'s login: cancels a code request, removes the device and its keys. */
  logout(owner: string): Promise<LogoutOutcome> {
    return this.steps.run(owner, () => this.logoutNow(owner));
  }

  private async logoutNow(owner: string): Promise<LogoutOutcome> {
    const { store, network } = this.core;
    this.waiting.delete(owner);
    this.failures.delete(owner);
    store.logins.clearPending(owner);
    const login = store.logins.get(owner);
    if (!login) return { outcome: 'not_logged_in' };
    await this.sessions.disconnect(owner);
    const deleted = await network.logout(owner, { phone: login.phone as E164, data: login.state });
    store.logins.remove(owner);
    // a later login starts bridging at once, as logins do
    if (isPaused(store, owner)) writeSetting(store, owner, 'paused', false);
    deleted.push('the login record');
    return { outcome: 'logged_out', phone: login.phone as E164, deleted, portalCount: store.portals.ofOwner(owner).length };
  }

  view(owner: string): LoginView {
    const status = this.sessions.state(owner);
    if (status) return { kind: 'session', status };
    const { logins } = this.core.store;
    const login = logins.get(owner);
    if (login && isPaused(this.core.store, owner)) return { kind: 'paused', phone: login.phone as E164 };
    if (login) return { kind: 'stopping', phone: login.phone as E164 };
    const pending = logins.getPending(owner);
    if (pending) return { kind: 'waiting_for_code', phone: pending.phone as E164 };
    if (this.waiting.has(owner)) return { kind: 'waiting_for_network' };
    const failure = this.failures.get(owner);
    return failure === undefined ? { kind: 'not_logged_in' } : { kind: 'not_logged_in', failure };
  }

  /** Opens (or finds) `owner`'s portal with `input` and makes sure they are in it or invited. */
  async startChat(owner: string, input: string): Promise<StartChatOutcome> {
    const { store, matrix } = this.core;
    const contact = phoneInput(input, shownTo(store, owner));
    if (!store.logins.get(owner)) return { outcome: 'not_logged_in' };
    if (!store.portals.get(owner, contact)?.roomId) {
      const retryAfterMs = this.newChatBucket(owner).take();
      if (retryAfterMs > 0) {
        this.core.log.warn(`start-chat of ${owner} refused: more new chats than bridge.new_chats allows`);
        return { outcome: 'rate_limited', retryAfterMs };
      }
    }
    // writing to someone whose request waits accepts it: what they sent comes first, in order
    if (store.requests.get(owner, contact)) await this.sessions.acceptRequest(owner, contact);
    await this.portals.ensureGhost(owner, contact, true);
    const portal = await this.portals.ensure(owner, contact);
    const membership = await matrix.membership(portal.roomId, owner);
    if (membership !== 'join' && membership !== 'invite') await matrix.invite(portal.ghost, portal.roomId, owner);
    return { outcome: 'opened', contact, roomId: portal.roomId };
  }

  private newChatBucket(owner: string): TokenBucket {
    let bucket = this.newChats.get(owner);
    if (!bucket) {
      const { burst, per_hour: perHour } = this.core.config.bridge.new_chats;
      bucket = new TokenBucket(burst, perHour / 3600);
      this.newChats.set(owner, bucket);
    }
    return bucket;
  }
}
