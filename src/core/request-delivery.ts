/**
 * Delivering an accepted message request (core/message-requests.ts holds them until then):
 * the portal is made, then what the request held goes through the intake's normal path one
 * message at a time, in order, so the security policy applies to it as to any message. Each
 * held message is released once its events exist, so a crash in between repeats none, and a
 * delivery a crash cut short is finished before the contact's next message
 * (RemoteIntake.receive).
 */
import { noticeContent } from '../convert';
import { displayPhone, type E164 } from '../network/phone';
import type { RemoteMessage } from '../network/remote-network';
import type { Notice } from '../security/notices';
import { damagedHeldNotice, unreadableBeforeAcceptNotice } from '../security/request-notices';
import type { CoreContext } from './context';
import { GivenUp, type Ending, type Persistence } from './persistence';
import type { Portals } from './portals';
import type { RemoteJob } from './remote-job';
import { remoteTxnId as txnId } from './remote-txn-id';
import type { SecurityKeeper } from './security-keeper';

/** What the delivery needs of the intake it belongs to. */
export interface IntakePath {
  /** runs a task in the contact's line, after everything of that contact before it */
  inPortal<T>(contact: E164, task: () => Promise<T>): Promise<T>;
  /** the normal receive path of one message: policy, then bridged, held or refused */
  receive(message: RemoteMessage, job: RemoteJob): Promise<void>;
  /** the room's notice for a message that was given up */
  reportGivenUp(message: RemoteMessage, ending: Ending): Promise<void>;
}

/** how many held messages reached the room; how many could not be decrypted as they
 *  arrived; how many were stored but no longer open (a damaged database) */
export type RequestOutcome = { delivered: number; unreadable: number; damaged: number };

export class RequestDelivery {
  /** contacts whose accepted request is being delivered: their held messages go through
   *  receive() again, which must not start the same delivery */
  private readonly flushing = new Set<string>();

  constructor(
    private readonly ctx: CoreContext,
    private readonly portals: Portals,
    private readonly security: SecurityKeeper,
    private readonly persistence: Persistence,
    private readonly owner: string,
    private readonly intake: IntakePath,
  ) {}

  /** Opens the portal of an accepted request and delivers what it held, in order; undefined
   *  when there is no such request. */
  async accept(contact: E164): Promise<RequestOutcome | undefined> {
    return this.intake.inPortal(contact, async () => {
      const request = await this.ctx.store.requests.get(this.owner, contact);
      if (!request) return undefined;
      // what the first message showed of its sender is recorded before the portal exists, as
      // for any first message, so the room's first notice and state already know it
      const [first] = await this.ctx.store.requests.held(this.owner, contact);
      const message = first && this.openHeld(first.sealed);
      const sender = message?.sender ?? { provider: request.provider, e2ee: request.e2ee, bridged: false };
      if (message?.encrypted) await this.security.learnIdentity(this.owner, contact);
      await this.security.recordSender(this.owner, contact, sender);
      await this.persistence.run(`portal of an accepted request for ${this.owner}`, async () => {
        await this.portals.ensure(this.owner, contact);
        await this.security.senderRecorded(this.owner, contact);
      });
      const outcome = await this.deliver(contact);
      this.ctx.metrics.request('accepted');
      return outcome;
    });
  }

  /** Finishes an accepted request's delivery that a crash cut short; called by the intake
   *  before a message of the contact, inside the contact's line. */
  async finishCutShort(contact: E164): Promise<void> {
    if (!this.flushing.has(contact) && await this.ctx.store.requests.get(this.owner, contact)) await this.deliver(contact);
  }

  /** Delivers a request's held messages through the normal path (the portal exists now, so
   *  the security policy applies as to any message), then closes the request. */
  private async deliver(contact: E164): Promise<RequestOutcome> {
    const { store } = this.ctx;
    const request = await store.requests.get(this.owner, contact);
    if (!request) return { delivered: 0, unreadable: 0, damaged: 0 };
    this.flushing.add(contact);
    try {
      let delivered = 0;
      let damaged = 0;
      for (const entry of (await store.requests.held(this.owner, contact))) {
        const message = this.openHeld(entry.sealed);
        if (!message) {
          // retrying cannot mend a record that does not open: it is counted, so the room hears
          // of it, instead of stalling the portal behind it forever
          damaged += 1;
          await store.requests.release(entry.id);
          continue;
        }
        const label = `held request message for ${this.owner}`;
        const job: RemoteJob = { sentAt: message.serverTimestamp, moved: new Map(), waited: true };
        try {
          // no age limit: the wait was the user's, not a delivery failure
          await this.persistence.run(label, () => this.intake.receive(message, job), { poison: true });
        } catch (error) {
          if (!(error instanceof GivenUp)) throw error;
          await this.persistence.run(`report of ${label}`, () => this.intake.reportGivenUp(message, error.ending));
          this.ctx.metrics.failed('remote_to_matrix', error.ending.kind === 'refused' ? 'rejected' : 'gave_up');
        }
        await store.requests.release(entry.id);
        delivered += 1;
      }
      const contactName = displayPhone(contact);
      if (request.unreadable > 0) {
        await this.tell(contact, unreadableBeforeAcceptNotice({ contactName, count: request.unreadable }), `request:${request.firstAt}`, 'unreadable');
      }
      if (damaged > 0) await this.tell(contact, damagedHeldNotice({ contactName, count: damaged }), `request:${request.firstAt}`, 'damaged');
      await store.requests.close(this.owner, contact);
      return { delivered, unreadable: request.unreadable, damaged };
    } finally {
      this.flushing.delete(contact);
    }
  }

  /** a notice about the accepted request in its portal, retried, under a fixed transaction ID */
  private async tell(contact: E164, notice: Notice, remoteId: string, part: string): Promise<void> {
    const portal = await this.portals.ensure(this.owner, contact);
    const { matrix } = this.ctx;
    await this.persistence.run(`${part} count of an accepted request for ${this.owner}`, () =>
      matrix.sendEvent(matrix.botUserId, portal.roomId, 'm.room.message', noticeContent(notice.body, notice.html), txnId(this.owner, contact, remoteId, part)));
  }

  private openHeld(sealed: string): RemoteMessage | undefined {
    try {
      return JSON.parse(this.ctx.sealer.open(sealed)) as RemoteMessage;
    } catch (error) {
      this.ctx.log.error(`a held message-request message for ${this.owner} does not open (a damaged database?): ${(error as Error).message}`);
      return undefined;
    }
  }
}
