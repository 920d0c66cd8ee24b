/**
 * Connected network sessions, one per logged-in Matrix user, each with one lifecycle state
 * machine: connecting → connected ⇄ backing off, ending in logged out (the user's logout) or
 * device removed / auth failed (the network ended it; only a new login helps).
 *
 * Why a state machine: a logout arriving while a connect is in flight used to leave a live
 * session whose keys were deleted, and a lost subscription was invisible. Here every login
 * has one entry created before anything is awaited; a connect that completes for an entry
 * that is no longer current disconnects at once. Reconnects use the one backoff helper and
 * never stop while the login exists. The owner is told in the management room when the
 * connection has been down longer than `bridge.connection_notice_delay_ms` (a blip is no
 * notice) and when it is back; a terminal end is told at once.
 */
import type { LoginRecord } from '../store';
import { SessionEndedError, type RemoteEventHandler, type RemoteSession, type SessionEndReason } from '../network/remote-network';
import { displayPhone, type E164 } from '../network/phone';
import { backoffDelay, type BackoffOptions } from '../lib/backoff';
import { noticeContent } from '../convert';
import { connectionLostNotice, connectionRestoredNotice, loginEndedNotice, type Notice } from '../security/notices';
import { dropBlocked } from './block-filter';
import { loginBridgeState, type LoginBridgeState } from './bridge-state';
import type { CoreContext } from './context';
import type { KeyedQueue } from './keyed-queue';
import type { Outbox } from './outbox';
import type { Portals } from './portals';
import type { MessageRequests } from './message-requests';
import type { ProviderFilter } from './provider-filter';
import { RemoteIntake } from './remote-intake';
import type { RequestOutcome } from './request-delivery';
import type { SecurityKeeper } from './security-keeper';
import { isPaused } from './user-settings';

export const LOGIN_STATES = ['connecting', 'connected', 'backing_off', 'device_removed', 'auth_failed', 'logged_out'] as const;
export type LoginStateName = (typeof LOGIN_STATES)[number];

/** A login's state as users, admins and metrics see it. */
export interface LoginStatus {
  owner: string;
  phone: E164;
  state: LoginStateName;
  /** when the login entered this state (ms since the epoch) */
  since: number;
  /** why it is not connected (the last error, or the network's reason) */
  reason?: string;
  /** failed connection attempts since the last success */
  attempts: number;
  /** when the next attempt is due, while backing off */
  nextAttemptAt?: number;
}

const TERMINAL: ReadonlySet<LoginStateName> = new Set(['device_removed', 'auth_failed', 'logged_out']);

export function isTerminal(state: LoginStateName): boolean {
  return TERMINAL.has(state);
}

class LoginEntry {
  status: LoginStatus;
  session?: RemoteSession;
  intake?: RemoteIntake;
  retryTimer?: NodeJS.Timeout;
  noticeTimer?: NodeJS.Timeout;
  /** a "not connected" notice went out; the return is told */
  toldDown = false;
  /** logged out, ended or replaced by a newer entry: late results are discarded */
  closed = false;

  constructor(readonly login: LoginRecord) {
    this.status = { owner: login.mxid, phone: login.phone as E164, state: 'connecting', since: Date.now(), attempts: 0 };
  }

  clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.noticeTimer);
    this.retryTimer = undefined;
    this.noticeTimer = undefined;
  }
}

export class Sessions {
  private readonly entries = new Map<string, LoginEntry>();
  private stopped = false;
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly ctx: CoreContext,
    private readonly portals: Portals,
    private readonly security: SecurityKeeper,
    private readonly queue: KeyedQueue,
    private readonly outbox: Outbox,
    private readonly requests: MessageRequests,
    private readonly providers: ProviderFilter,
    /** told each time a login is (again) connected, with its session in place */
    private readonly onConnected: (owner: string) => Promise<void> = () => Promise.resolve(),
  ) {
    const delivery = ctx.config.bridge.delivery;
    this.backoff = { initialDelayMs: delivery.retry_initial_ms, maxDelayMs: delivery.retry_max_ms, factor: 2, jitter: 0.3 };
  }

  /** `owner`'s session, if one was established and has not ended; during a drop it stays
   *  (the connector repairs the connection underneath, and work in flight keeps its session) */
  get(owner: string): RemoteSession | undefined {
    return this.entries.get(owner)?.session;
  }

  /** the state of `owner`'s login; undefined when there is none (logged out) */
  state(owner: string): LoginStatus | undefined {
    const entry = this.entries.get(owner);
    return entry ? { ...entry.status } : undefined;
  }

  /** every login's state, for the admin view and metrics */
  states(): LoginStatus[] {
    return [...this.entries.values()].map((e) => ({ ...e.status }));
  }

  /** every login's state as mautrix-style bridge state (see bridge-state.ts) */
  bridgeStates(): LoginBridgeState[] {
    return this.states().map(loginBridgeState);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** bridges the messages held back from `contact` (after the user confirmed its key) */
  async releaseHeld(owner: string, contact: E164): Promise<number> {
    const intake = this.entries.get(owner)?.intake;
    if (!intake) throw new Error('not connected to the network; try again in a moment');
    return intake.releaseHeld(contact);
  }

  /** opens the portal of an accepted message request and delivers what it held */
  async acceptRequest(owner: string, contact: E164): Promise<RequestOutcome | undefined> {
    const intake = this.entries.get(owner)?.intake;
    if (!intake) throw new Error('not connected to the network (paused, or the connection is down); try again once connected');
    return intake.acceptRequest(contact);
  }

  /**
   * Starts the lifecycle of a stored login and resolves after its first attempt (connected,
   * backing off or ended): it never waits for the network to come back. A login already
   * running is left as it is.
   */
  async connect(login: LoginRecord): Promise<LoginStatus> {
    const current = this.entries.get(login.mxid);
    if (current && !isTerminal(current.status.state)) return { ...current.status };
    if (current) await this.close(current);
    const entry = new LoginEntry(login);
    if (this.stopped) return { ...entry.status };
    this.entries.set(login.mxid, entry);
    this.scheduleDownNotice(entry);
    await this.attempt(entry);
    return { ...entry.status };
  }

  /** reconnects every stored login (in the background: the bridge starts without waiting) */
  async startAll(): Promise<void> {
    // a paused user's login stays unconnected until `resume`
    for (const login of (await this.ctx.store.logins.all())) if (!await isPaused(this.ctx.store, login.mxid)) void this.connect(login);
  }

  /** ends `owner`'s login (logout): a connect still in flight is discarded when it lands */
  async disconnect(owner: string): Promise<void> {
    const entry = this.entries.get(owner);
    if (!entry) return;
    this.entries.delete(owner);
    await this.close(entry);
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.entries.keys()].map((owner) => this.disconnect(owner)));
  }

  private async close(entry: LoginEntry): Promise<void> {
    entry.closed = true;
    entry.clearTimers();
    const session = entry.session;
    entry.session = undefined;
    // its retries end; what they held stays with the network, unacknowledged
    entry.intake?.stop();
    entry.intake = undefined;
    await session?.disconnect().catch((error: Error) => this.ctx.log.warn(`session of ${entry.login.mxid} did not close cleanly: ${error.message}`));
  }

  private async attempt(entry: LoginEntry): Promise<void> {
    const { mxid } = entry.login;
    entry.retryTimer = undefined;
    // a retry stays "backing off": the login has been down since it first failed
    if (entry.status.state !== 'backing_off') this.enter(entry, 'connecting', entry.status.reason);
    // the lifecycle kicks the outbox itself when the connection is (back) up
    const intake = new RemoteIntake(this.ctx, this.portals, this.security, this.queue, mxid, this.requests, this.providers, () => {});
    let session: RemoteSession;
    try {
      // before the connector can ask: it asks isEstablished synchronously, answered from memory
      await this.portals.loadEstablished(mxid);
      session = await this.ctx.network.connect(mxid, { phone: entry.login.phone as E164, data: entry.login.state }, this.handlerFor(entry, intake));
    } catch (error) {
      if (entry.closed) return;
      if (error instanceof SessionEndedError) return this.end(entry, error.reason);
      return this.backOff(entry, (error as Error).message);
    }
    // read before the session is in place, so that nothing comes between putting it in place
    // and `connected` (a connection change the connector reports would find it half set up)
    await intake.resume();
    if (entry.closed || this.stopped) {
      // logged out (or stopped) while connecting: this session must not live
      await session.disconnect().catch(() => undefined);
      return;
    }
    entry.session = session;
    entry.intake = intake;
    await this.connected(entry);
  }

  /** core's handler for the session: the intake, plus the lifecycle's own events */
  private handlerFor(entry: LoginEntry, intake: RemoteIntake): RemoteEventHandler {
    // nothing from a blocked number or a blocked provider reaches the intake, so no Matrix
    // event exists for it (a blocked number is counted as such, whatever its provider)
    const inbound = dropBlocked(this.ctx, entry.login.mxid, this.providers.wrap(entry.login.mxid, intake));
    return {
      ...inbound,
      onIdentityChanged: (contact, change) => intake.onIdentityChanged(contact, change),
      // a contact with a portal; a stranger's first messages (requests) wait behind its events
      isEstablished: (contact) => this.portals.isEstablished(entry.login.mxid, contact),
      onConnectionChange: (up) => {
        if (entry.closed || !entry.session) return;
        // the connector does not wait: what a connect starts (the outbox, the block list) is not held up
        if (up) this.connected(entry).catch((error: unknown) => this.ctx.log.warn(`session of ${entry.login.mxid} connected, but what follows a connect failed: ${(error as Error).message}`));
        else if (entry.status.state === 'connected') {
          // the connector reconnects by itself (with backoff); this login waits for it
          this.enter(entry, 'backing_off', 'connection to the network lost');
          this.scheduleDownNotice(entry);
        }
        intake.onConnectionChange(up);
      },
      onSessionEnded: (reason) => {
        if (!entry.closed) void this.end(entry, reason);
      },
    };
  }

  private async connected(entry: LoginEntry): Promise<void> {
    const wasDown = entry.toldDown;
    entry.status.attempts = 0;
    entry.status.nextAttemptAt = undefined;
    this.enter(entry, 'connected');
    clearTimeout(entry.noticeTimer);
    entry.noticeTimer = undefined;
    entry.toldDown = false;
    this.ctx.log.info(`session of ${entry.login.mxid} connected`);
    await this.outbox.kickAll(entry.login.mxid);
    await this.onConnected(entry.login.mxid);
    if (wasDown) await this.tell(entry, connectionRestoredNotice({ phone: displayPhone(entry.status.phone), networkName: this.ctx.network.displayName }));
  }

  private backOff(entry: LoginEntry, reason: string): void {
    const delay = backoffDelay(entry.status.attempts, this.backoff);
    entry.status.attempts += 1;
    this.enter(entry, 'backing_off', reason);
    entry.status.nextAttemptAt = Date.now() + delay;
    this.ctx.log.warn(`session of ${entry.login.mxid} not connected (${reason}); retrying in ${delay} ms`);
    entry.retryTimer = setTimeout(() => void this.attempt(entry), delay);
    entry.retryTimer.unref();
  }

  /** the network ended the login: terminal, told at once (this is no blip) */
  private async end(entry: LoginEntry, reason: SessionEndReason): Promise<void> {
    if (entry.closed) return;
    await this.close(entry);
    this.enter(entry, reason === 'auth_failed' ? 'auth_failed' : 'device_removed', reason);
    this.ctx.log.warn(`session of ${entry.login.mxid} ended by the network (${reason}); waiting for a new login`);
    await this.tell(entry, loginEndedNotice({ phone: displayPhone(entry.status.phone), reason }));
  }

  private enter(entry: LoginEntry, state: LoginStateName, reason?: string): void {
    if (entry.status.state !== state) entry.status.since = Date.now();
    entry.status.state = state;
    entry.status.reason = state === 'connected' ? undefined : reason;
    if (state !== 'backing_off') entry.status.nextAttemptAt = undefined;
  }

  /** After the debounce, if the login is still not connected, the owner is told once. */
  private scheduleDownNotice(entry: LoginEntry): void {
    if (entry.noticeTimer || entry.toldDown) return;
    entry.noticeTimer = setTimeout(() => {
      entry.noticeTimer = undefined;
      if (entry.closed || entry.status.state === 'connected' || isTerminal(entry.status.state)) return;
      entry.toldDown = true;
      // tell logs its own failures
      void this.tell(
        entry,
        connectionLostNotice({
          phone: displayPhone(entry.status.phone),
          networkName: this.ctx.network.displayName,
          reason: entry.status.reason ?? 'not connected yet',
        }),
      );
    }, this.ctx.config.bridge.connection_notice_delay_ms);
    entry.noticeTimer.unref();
  }

  /** a notice in the owner's management room, if they have one */
  /** Sends a notice to the owner's management room without waiting for it; never rejects
   *  (a failure, of the store or the homeserver, is logged). */
  private async tell(entry: LoginEntry, notice: Notice): Promise<void> {
    const warn = (error: Error) => this.ctx.log.warn(`connection notice for ${entry.login.mxid} not sent: ${error.message}`);
    let room;
    try {
      room = (await this.ctx.store.users.get(entry.login.mxid))?.managementRoom;
    } catch (error) {
      return warn(error as Error);
    }
    if (!room) return;
    const { matrix } = this.ctx;
    void matrix.sendEvent(matrix.botUserId, room, 'm.room.message', noticeContent(notice.body, notice.html)).catch(warn);
  }
}
