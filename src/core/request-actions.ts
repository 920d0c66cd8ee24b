/**
 * What a user can do with a message request (core/message-requests.ts), shared by the bot's
 * commands (request-commands.ts) and the provisioning API, so both do exactly the same.
 */
import type { E164 } from '../network/phone';
import { parseKnownPhone } from './login-flow';
import type { CoreContext } from './context';
import type { MessageRequests } from './message-requests';
import type { Sessions } from './sessions';

export type AcceptOutcome =
  | { outcome: 'accepted'; delivered: number; unreadable: number; damaged: number; roomId: string | null }
  | { outcome: 'no_request' }
  /** not connected, or the portal could not be made yet: the request still waits */
  | { outcome: 'failed'; reason: string };

export class RequestActions {
  constructor(
    private readonly ctx: CoreContext,
    private readonly requests: MessageRequests,
    private readonly sessions: Sessions,
  ) {}

  /** the number of one of `owner`'s requests, typed as the notice showed it or as E.164
   *  (a command's words, or one string); throws InvalidPhoneNumberError */
  requester(owner: string, input: string | readonly string[]): Promise<E164> {
    return parseKnownPhone(input, async (p) => (await this.ctx.store.requests.get(owner, p)) !== undefined);
  }

  async accept(owner: string, contact: E164): Promise<AcceptOutcome> {
    if (!await this.ctx.store.requests.get(owner, contact)) return { outcome: 'no_request' };
    let result;
    try {
      result = await this.sessions.acceptRequest(owner, contact);
    } catch (error) {
      this.ctx.log.warn(`accepting a message request of ${owner} failed: ${(error as Error).message}`);
      return { outcome: 'failed', reason: (error as Error).message };
    }
    if (!result) return { outcome: 'no_request' };
    return { outcome: 'accepted', ...result, roomId: (await this.ctx.store.portals.get(owner, contact))?.roomId ?? null };
  }

  /** declines every waiting request of `owner` (after a flood); how many there were */
  async declineAll(owner: string): Promise<number> {
    let declined = 0;
    for (const request of (await this.ctx.store.requests.list(owner))) if (await this.decline(owner, request.contact as E164)) declined += 1;
    return declined;
  }

  /** deletes what the request held; false when there is none */
  async decline(owner: string, contact: E164): Promise<boolean> {
    return await this.requests.decline(owner, contact, 'declined') !== undefined;
  }
}
