/**
 * Connected network sessions, one per logged-in Matrix user. At start every stored login is
 * reconnected; a login whose connection fails is retried with backoff in the background, so
 * one broken login never stops the bridge or anyone else's chats.
 */
import type { LoginRecord } from '../store';
import type { RemoteSession } from '../network/remote-network';
import type { E164 } from '../network/phone';
import type { CoreContext } from './context';
import type { KeyedQueue } from './keyed-queue';
import type { Outbox } from './outbox';
import type { Portals } from './portals';
import { RemoteIntake } from './remote-intake';
import type { SecurityKeeper } from './security-keeper';

const RETRY_MS = [1000, 5000, 15_000, 60_000];

export class Sessions {
  private readonly live = new Map<string, RemoteSession>();
  private readonly intakes = new Map<string, RemoteIntake>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly ctx: CoreContext,
    private readonly portals: Portals,
    private readonly security: SecurityKeeper,
    private readonly queue: KeyedQueue,
    private readonly outbox: Outbox,
  ) {}

  get(owner: string): RemoteSession | undefined {
    return this.live.get(owner);
  }

  /** bridges the messages held back from `contact` (after the user confirmed its key) */
  async releaseHeld(owner: string, contact: E164): Promise<number> {
    const intake = this.intakes.get(owner);
    if (!intake) throw new Error('not connected to the network; try again in a moment');
    return intake.releaseHeld(contact);
  }

  async connect(login: LoginRecord, attempt = 0): Promise<void> {
    if (this.stopped || this.live.has(login.mxid)) return;
    const intake = new RemoteIntake(this.ctx, this.portals, this.security, this.queue, login.mxid, (connected) => {
      if (connected) this.outbox.kickAll(login.mxid);
    });
    try {
      const session = await this.ctx.network.connect(login.mxid, { phone: login.phone as E164, data: login.state }, intake);
      if (this.stopped) {
        await session.disconnect();
        return;
      }
      this.live.set(login.mxid, session);
      this.intakes.set(login.mxid, intake);
      this.ctx.log.info(`session of ${login.mxid} connected`);
      this.outbox.kickAll(login.mxid);
    } catch (error) {
      const delay = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)];
      this.ctx.log.warn(`session of ${login.mxid} not connected (${(error as Error).message}); retrying in ${delay} ms`);
      const timer = setTimeout(() => {
        this.retries.delete(login.mxid);
        void this.connect(login, attempt + 1);
      }, delay);
      timer.unref();
      this.retries.set(login.mxid, timer);
    }
  }

  /** reconnects every stored login (in the background: the bridge starts without waiting) */
  startAll(): void {
    for (const login of this.ctx.store.logins.all()) void this.connect(login);
  }

  async disconnect(owner: string): Promise<void> {
    clearTimeout(this.retries.get(owner));
    this.retries.delete(owner);
    const session = this.live.get(owner);
    this.live.delete(owner);
    // its retries end; what they held stays with the network, unacknowledged
    this.intakes.get(owner)?.stop();
    this.intakes.delete(owner);
    await session?.disconnect();
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
    await Promise.all([...this.live.keys()].map((owner) => this.disconnect(owner)));
  }
}
