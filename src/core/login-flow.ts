/**
 * What logging in, out, checking the login and starting a chat do, once, for every front end:
 * the bot's management-room commands (login-commands.ts) and the provisioning API
 * (src/provisioning/) both call this and only render the outcome, so the two cannot drift.
 * Each step returns a typed outcome instead of text; a bad phone number throws
 * InvalidPhoneNumberError (its message names the input).
 *
 * Logging in is the connector's step login (step-login.ts), the one login path. The bot
 * renders its steps; for the API, which takes a phone number and then a code, start() and
 * submitCode() answer those two steps of a network whose login is exactly that (any other:
 * PhoneLoginUnsupportedError). A login started by one front end can be finished by the other.
 * Logout runs one at a time per user, as the step login's own steps do.
 */
import { TokenBucket } from '../lib/token-bucket';
import { KeyedQueue } from '../lib/keyed-queue';
import { InvalidPhoneNumberError, parsePhone, parsePhoneArgument, parseShownPhone, shownCandidate, type E164 } from '../network/phone';
import { codeField, type LoginStep } from '../network/login-steps';
import type { BridgeStore } from '../store';
import type { CoreContext } from './context';
import type { Portals } from './portals';
import type { LoginStatus, Sessions } from './sessions';
import type { StepEvent, StepLogins } from './step-login';
import { isPaused, writeSetting } from './user-settings';

export type LoginStartOutcome =
  | { outcome: 'code_sent'; phone: E164 }
  /** the network is down: the login could not begin; send the number again in a moment */
  | { outcome: 'network_unreachable'; phone: E164 }
  /** the network went down under the number: it is retried in the background until the code
   *  is requested (GET /status shows it) */
  | { outcome: 'waiting_for_network'; phone: E164 }
  | { outcome: 'already_logged_in'; phone: E164 }
  /** the network refused the number (another provider holds it, say); the number is still asked */
  | { outcome: 'refused'; reason: string };

export type CodeOutcome =
  | { outcome: 'logged_in'; phone: E164; status: LoginStatus }
  | { outcome: 'no_pending_login' }
  | { outcome: 'network_unreachable' }
  /** `ended`: the login is over (an expired code, say) and must start again */
  | { outcome: 'refused'; reason: string; ended: boolean };

export type LogoutOutcome = { outcome: 'logged_out'; phone: E164; deleted: string[]; portalCount: number } | { outcome: 'not_logged_in' };

/** a login's state as far as the bridge knows it, from the session lifecycle and the store */
export type LoginView =
  | { kind: 'session'; status: LoginStatus }
  /** the user paused bridging: logged in, no session until `resume` */
  | { kind: 'paused'; phone: E164 }
  /** a stored login without a lifecycle entry: the bridge is stopping */
  | { kind: 'stopping'; phone: E164 }
  /** a login in progress asks for the one-time code sent to `phone` */
  | { kind: 'waiting_for_code'; phone: E164 }
  /** the number is retried in the background until the network is back */
  | { kind: 'waiting_for_network' }
  /** `failure`: why the last answer retried in the background could not go through */
  | { kind: 'not_logged_in'; failure?: string };

export type StartChatOutcome =
  | { outcome: 'opened'; contact: E164; roomId: string }
  | { outcome: 'not_logged_in' }
  /** too many new chats in a short time (bridge.new_chats): try again after `retryAfterMs` */
  | { outcome: 'rate_limited'; retryAfterMs: number };

/** Numbers the bridge has shown `owner`: their contacts, portals and ghosts. A command about
 *  one of them accepts it by E.164 syntax alone (see parseShownPhone). */
export function shownTo(store: BridgeStore, owner: string): (phone: E164) => Promise<boolean> {
  return async (phone) =>
    (await store.contacts.get(owner, phone)) !== undefined || (await store.portals.get(owner, phone)) !== undefined ||
    (await store.ghosts.get(phone)) !== undefined || (await store.requests.get(owner, phone)) !== undefined;
}

/** parsePhoneArgument with a `shown` that looks the number up in the store: asked once,
 *  about the one number the input could be taken as */
export async function parseKnownPhone(args: string | readonly string[], shown: (phone: E164) => Promise<boolean>): Promise<E164> {
  const candidate = shownCandidate(args);
  const known = candidate !== undefined && (await shown(candidate));
  return parsePhoneArgument(args, (phone) => known && phone === candidate);
}

function phoneInput(input: string): E164 {
  const text = input.trim();
  if (!text) throw new InvalidPhoneNumberError('', 'no number given');
  return parsePhone(text);
}

/** The network's login is not "a phone number, then a code" (a QR code, say): only the bot's
 *  `login`, which shows any step, drives it. */
export class PhoneLoginUnsupportedError extends Error {
  constructor(networkName: string) {
    super(`the ${networkName} does not log in with a phone number and code; the user logs in with "login" in their management room with the bridge bot`);
    this.name = 'PhoneLoginUnsupportedError';
  }
}

/** the single phone field of a step, if that is all it asks */
function phoneField(step: LoginStep | undefined) {
  if (step?.kind !== 'user_input' || step.fields.length !== 1) return undefined;
  return step.fields[0].type === 'phone' ? step.fields[0] : undefined;
}

/** Collects what a step login shows while one front-end call runs (the API renders it). */
function collector(): { events: StepEvent[]; render: (event: StepEvent) => Promise<void> } {
  const events: StepEvent[] = [];
  return { events, render: async (event) => void events.push(event) };
}

export class LoginFlow {
  /** one logout at a time per user */
  private readonly logouts = new KeyedQueue();
  /** per user: chats with numbers they had no chat with (each a directory look-up) */
  private readonly newChats = new Map<string, TokenBucket>();

  constructor(
    private readonly core: CoreContext,
    private readonly sessions: Sessions,
    private readonly portals: Portals,
    private readonly stepLogins: StepLogins,
  ) {}

  /** Starts linking `input` (a phone number) for `owner`: begins the step login and answers
   *  its first step, which must ask for the number; the network then sends a one-time code. */
  async start(owner: string, input: string): Promise<LoginStartOutcome> {
    const phone = phoneInput(input);
    const { render, events } = collector();
    const begun = await this.stepLogins.begin(owner, render);
    if (begun === 'already_logged_in') return { outcome: 'already_logged_in', phone: (await this.core.store.logins.get(owner))!.phone as E164 };
    if (begun === 'network_unreachable') return { outcome: 'network_unreachable', phone };
    if (!phoneField(this.stepLogins.current(owner))) {
      await this.stepLogins.cancel(owner);
      throw new PhoneLoginUnsupportedError(this.core.network.displayName);
    }
    events.length = 0;
    const answered = await this.stepLogins.submit(owner, phone, render, 'phone');
    // a login begun at the same time by the bot or another request took the step over
    if (answered !== 'answered') return { outcome: 'refused', reason: 'another login of this user started meanwhile' };
    if (codeField(this.stepLogins.current(owner))) return { outcome: 'code_sent', phone };
    const last = events.at(-1);
    if (last?.kind === 'waiting_for_network') return { outcome: 'waiting_for_network', phone };
    if (last?.kind === 'network_unreachable') return { outcome: 'network_unreachable', phone };
    // the login ended (the connector failed in a way no answer fixes): an error, not a refusal
    if (last?.kind === 'failed') throw new Error(`the login could not go on: ${last.reason}`);
    return { outcome: 'refused', reason: reasonOf(last) };
  }

  /** Answers the code step of `owner`'s login in progress; once logged in, connects it. */
  async submitCode(owner: string, code: string): Promise<CodeOutcome> {
    const { render, events } = collector();
    const answered = await this.stepLogins.submit(owner, code, render, 'code');
    if (answered !== 'answered') return { outcome: 'no_pending_login' };
    const last = events.at(-1);
    if (last?.kind === 'logged_in') return { outcome: 'logged_in', phone: last.status.phone, status: last.status };
    if (last?.kind === 'network_unreachable') return { outcome: 'network_unreachable' };
    return { outcome: 'refused', reason: reasonOf(last), ended: this.stepLogins.current(owner) === undefined };
  }

  /** Whether `owner` could log out `input` (empty, or their own number as shown). */
  async isOwnLogin(owner: string, input: string): Promise<boolean> {
    const login = await this.core.store.logins.get(owner);
    if (!login || !input.trim()) return true;
    try {
      return parseShownPhone(input.trim(), (p) => p === login.phone) === login.phone;
    } catch {
      return false;
    }
  }

  /** Ends `owner`'s login: cancels a code request, removes the device and its keys. */
  logout(owner: string): Promise<LogoutOutcome> {
    return this.logouts.run(owner, () => this.logoutNow(owner));
  }

  private async logoutNow(owner: string): Promise<LogoutOutcome> {
    const { store, network } = this.core;
    await this.stepLogins.cancel(owner);
    const login = await store.logins.get(owner);
    if (!login) return { outcome: 'not_logged_in' };
    await this.sessions.disconnect(owner);
    const deleted = await network.logout(owner, { phone: login.phone as E164, data: login.state });
    await store.logins.remove(owner);
    // a later login starts bridging at once, as logins do
    if (await isPaused(store, owner)) await writeSetting(store, owner, 'paused', false);
    deleted.push('the login record');
    return { outcome: 'logged_out', phone: login.phone as E164, deleted, portalCount: (await store.portals.ofOwner(owner)).length };
  }

  async view(owner: string): Promise<LoginView> {
    const status = this.sessions.state(owner);
    if (status) return { kind: 'session', status };
    const { store } = this.core;
    const login = await store.logins.get(owner);
    if (login && await isPaused(store, owner)) return { kind: 'paused', phone: login.phone as E164 };
    if (login) return { kind: 'stopping', phone: login.phone as E164 };
    const asking = await this.stepLogins.phoneOf(owner);
    if (asking && await this.stepLogins.asksCode(owner)) return { kind: 'waiting_for_code', phone: asking };
    if (this.stepLogins.waitingForNetwork(owner)) return { kind: 'waiting_for_network' };
    const failure = this.stepLogins.failureOf(owner);
    return failure === undefined ? { kind: 'not_logged_in' } : { kind: 'not_logged_in', failure };
  }

  /** Opens (or finds) `owner`'s portal with `input` and makes sure they are in it or invited. */
  async startChat(owner: string, input: string): Promise<StartChatOutcome> {
    const { store, matrix } = this.core;
    const contact = await parseKnownPhone(input, shownTo(store, owner));
    if (!await store.logins.get(owner)) return { outcome: 'not_logged_in' };
    if (!(await store.portals.get(owner, contact))?.roomId) {
      const retryAfterMs = this.newChatBucket(owner).take();
      if (retryAfterMs > 0) {
        this.core.log.warn(`start-chat of ${owner} refused: more new chats than bridge.new_chats allows`);
        return { outcome: 'rate_limited', retryAfterMs };
      }
    }
    // writing to someone whose request waits accepts it: what they sent comes first, in order
    if (await store.requests.get(owner, contact)) await this.sessions.acceptRequest(owner, contact);
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

/** why a step login did not go on, from the last thing it showed */
function reasonOf(event: StepEvent | undefined): string {
  if (event?.kind === 'invalid' || event?.kind === 'failed') return event.kind === 'invalid' ? event.message : event.reason;
  if (event?.kind === 'timed_out') return 'the login took too long';
  return 'the login did not go on';
}
