/**
 * Message requests: first messages from numbers the user never wrote to and never accepted,
 * held until the user accepts, declines or blocks (src/core/message-requests.ts). Engine-neutral,
 * like ./repositories.ts. A contact counts as known once the user has a portal with them (any
 * portal record, even of a room they left): accepting creates it.
 */

/** Whether the request's notice is still to be sent (`due`), was sent, or is left out because
 *  the overall notice rate was spent (`silent`: only the `requests` command lists it). */
export type RequestNoticeState = 'due' | 'sent' | 'silent';

export interface MessageRequest {
  owner: string;
  contact: string;
  /** the sender's provider and its end-to-end encryption, as the first message's envelope said */
  provider: string;
  e2ee: boolean;
  /** the first message crossed the network Signal-encrypted */
  encrypted: boolean;
  firstAt: number;
  notice: RequestNoticeState;
  /** messages from them that could not be decrypted while the request waited */
  unreadable: number;
}

export interface HeldRequestMessage {
  id: number;
  remoteId: string;
  /** the message, sealed by core (never in clear at rest) */
  sealed: string;
}

/** What was dropped because a cap was reached, not yet summarised to the user. */
export interface RequestDrops {
  messages: number;
  numbers: number;
  firstAt: number;
  lastAt: number;
  /** messages per number, so a summary clears exactly what it reported */
  byContact: Map<string, number>;
}

export interface RequestRepository {
  get(owner: string, contact: string): Promise<MessageRequest | undefined>;
  /** the owner's waiting requests, oldest first, with how many messages each holds */
  list(owner: string): Promise<Array<MessageRequest & { held: number }>>;
  /** opens a request (no-op if one is open); returns the stored one */
  open(request: Omit<MessageRequest, 'unreadable'>): Promise<MessageRequest>;
  setNotice(owner: string, contact: string, notice: RequestNoticeState): Promise<void>;
  /** holds a message once per remote ID; false if it was held already */
  hold(owner: string, contact: string, remoteId: string, sealed: string): Promise<boolean>;
  isHeld(owner: string, contact: string, remoteId: string): Promise<boolean>;
  /** held messages of one request, in arrival order */
  held(owner: string, contact: string): Promise<HeldRequestMessage[]>;
  heldCount(owner: string, contact: string): Promise<number>;
  /** held messages of all the owner's requests */
  heldTotal(owner: string): Promise<number>;
  release(id: number): Promise<void>;
  countUnreadable(owner: string, contact: string): Promise<void>;
  /** closes a request and deletes what it held */
  close(owner: string, contact: string): Promise<boolean>;
  recordDrop(owner: string, contact: string): Promise<void>;
  drops(owner: string): Promise<RequestDrops | undefined>;
  /** subtracts what a summary reported (drops that came after it stay) */
  clearDrops(owner: string, reported: ReadonlyMap<string, number>): Promise<void>;
  /** owners with drops not yet summarised */
  ownersWithDrops(): Promise<string[]>;
}
