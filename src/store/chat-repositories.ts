/**
 * Repository interfaces for chats: logins, ghosts, portals, the message-ID map, reactions
 * and the outbox. Engine-neutral, like ./repositories.ts.
 */

export interface LoginRecord {
  mxid: string;
  phone: string;
  /** connector data (JSON); secrets inside are sealed by the connector */
  state: Record<string, unknown>;
  createdAt: number;
}

export interface LoginRepository {
  get(mxid: string): Promise<LoginRecord | undefined>;
  put(mxid: string, phone: string, state: Record<string, unknown>): Promise<void>;
  remove(mxid: string): Promise<boolean>;
  all(): Promise<LoginRecord[]>;
  /** a login in progress: the number being linked ('' until one is named) and how far it got
   *  (opaque to the store; never a code or password) */
  setPending(mxid: string, phone: string, progress: Record<string, unknown>): Promise<void>;
  getPending(mxid: string): Promise<PendingLoginRecord | undefined>;
  clearPending(mxid: string): Promise<void>;
}

export interface PendingLoginRecord {
  phone: string;
  progress: Record<string, unknown>;
  /** when it was first stored (the login's timeout counts from here) */
  requestedAt: number;
}

export interface GhostRecord {
  phone: string;
  mxid: string;
  displayName: string | null;
  avatarRef: string | null;
  avatarMxc: string | null;
  profileUpdatedAt: number | null;
}

export interface GhostRepository {
  get(phone: string): Promise<GhostRecord | undefined>;
  ensure(phone: string, mxid: string): Promise<GhostRecord>;
  updateProfile(phone: string, profile: { displayName: string | null; avatarRef: string | null; avatarMxc: string | null }): Promise<void>;
  /** how many ghosts (remote people) the bridge knows */
  count(): Promise<number>;
}

export interface PortalRecord {
  owner: string;
  contact: string;
  roomId: string | null;
  encrypted: boolean;
  createdAt: number;
  /** the security summary last put into the room (JSON), if any */
  securitySummary: string | null;
  /** the room exists but its setup (bot join, m.direct, first notice) is not finished yet */
  setupPending: boolean;
}

export interface PortalRepository {
  get(owner: string, contact: string): Promise<PortalRecord | undefined>;
  byRoom(roomId: string): Promise<PortalRecord | undefined>;
  ensure(owner: string, contact: string): Promise<PortalRecord>;
  /** `setupPending`: the room was just made and its setup steps still have to run */
  setRoom(owner: string, contact: string, roomId: string | null, options?: { setupPending?: boolean }): Promise<void>;
  /** the room's setup steps all succeeded */
  setupDone(owner: string, contact: string): Promise<void>;
  setEncrypted(owner: string, contact: string, encrypted: boolean): Promise<void>;
  setSecuritySummary(owner: string, contact: string, summary: string): Promise<void>;
  ofOwner(owner: string): Promise<PortalRecord[]>;
  /** every Matrix user's portal with this contact */
  ofContact(contact: string): Promise<PortalRecord[]>;
  count(): Promise<number>;
  /** portals that have a Matrix room now (a portal whose room was left has none until the next message) */
  withRoomCount(): Promise<number>;
}

export interface MessageRecord {
  owner: string;
  contact: string;
  remoteId: string;
  part: number;
  /** E.164 phone of a remote sender, or Matrix user ID of a Matrix sender */
  sender: string;
  roomId: string;
  eventId: string;
  timestamp: number;
}

export interface MessageRepository {
  put(record: MessageRecord): Promise<void>;
  /** every part of one remote message, in part order */
  byRemoteId(owner: string, contact: string, remoteId: string): Promise<MessageRecord[]>;
  byEvent(roomId: string, eventId: string): Promise<MessageRecord | undefined>;
  /** the newest message of a portal, optionally only from one sender */
  latest(owner: string, contact: string, sender?: string): Promise<MessageRecord | undefined>;
  removeByRemoteId(owner: string, contact: string, remoteId: string): Promise<number>;
}

export interface ReactionRecord {
  owner: string;
  contact: string;
  targetRemoteId: string;
  sender: string;
  emoji: string;
  roomId: string;
  eventId: string;
}

export interface ReactionRepository {
  put(record: ReactionRecord): Promise<void>;
  byEvent(roomId: string, eventId: string): Promise<ReactionRecord | undefined>;
  bySender(owner: string, contact: string, targetRemoteId: string, sender: string): Promise<ReactionRecord[]>;
  remove(roomId: string, eventId: string): Promise<boolean>;
}

export interface OutboxJob {
  id: number;
  owner: string;
  contact: string;
  sourceEventId: string;
  job: Record<string, unknown>;
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  /** when the job was queued */
  createdAt: number;
  /** the Matrix side was told that this job is delayed */
  delayReported: boolean;
}

export interface OutboxRepository {
  /** queues a job; false if this source event was queued before (a replay) */
  enqueue(owner: string, contact: string, sourceEventId: string, job: Record<string, unknown>): Promise<boolean>;
  /** the oldest pending job of one portal: jobs of a portal go strictly in order */
  nextFor(owner: string, contact: string): Promise<OutboxJob | undefined>;
  /** portals that have pending jobs */
  portalsWithPending(): Promise<{ owner: string; contact: string }[]>;
  /** how many jobs are pending, across every portal */
  pendingCount(): Promise<number>;
  /** when the oldest pending job was queued, if there is one */
  oldestPendingAt(): Promise<number | undefined>;
  markSent(id: number): Promise<void>;
  retryLater(id: number, error: string, nextAttemptAt: number): Promise<void>;
  markFailed(id: number, error: string): Promise<void>;
  get(id: number): Promise<OutboxJob | undefined>;
  setDelayReported(id: number, reported: boolean): Promise<void>;
  /** pending jobs of every portal queued at or before `createdBefore` whose delay was not reported yet, oldest first */
  delayedUnreported(createdBefore: number): Promise<OutboxJob[]>;
  /** when the oldest pending job whose delay was not reported was queued, if there is one */
  oldestUnreported(): Promise<number | undefined>;
}

export interface ContactRecord {
  owner: string;
  contact: string;
  provider: string | null;
  e2ee: boolean | null;
  bridged: boolean | null;
  identityFingerprint: string | null;
  verified: boolean;
  keyChangedAt: number | null;
}

export interface ContactRepository {
  get(owner: string, contact: string): Promise<ContactRecord | undefined>;
  /** records what a message showed about the contact; returns the record after the update */
  observe(owner: string, contact: string, seen: { provider?: string; e2ee?: boolean; bridged?: boolean }): Promise<ContactRecord>;
  /** the identity key changed: new fingerprint, verification cleared */
  keyChanged(owner: string, contact: string, fingerprint: string): Promise<ContactRecord>;
  setFingerprint(owner: string, contact: string, fingerprint: string): Promise<void>;
  setVerified(owner: string, contact: string, verified: boolean): Promise<void>;
  /** the contact was newly seen without end-to-end encryption: a notice is due; returns
   *  which time this is (1, 2, …), the notice's identity */
  unencryptedSeen(owner: string, contact: string): Promise<number>;
  /** the time whose notice is due and not yet sent, if any (the latest one) */
  unencryptedNoticeDue(owner: string, contact: string): Promise<number | undefined>;
  /** the notice of that time (and of any before it) was sent */
  unencryptedNoticed(owner: string, contact: string, seen: number): Promise<void>;
}

export interface HeldMessage {
  id: number;
  owner: string;
  contact: string;
  message: Record<string, unknown>;
  heldAt: number;
}

export interface HeldMessageRepository {
  /** holds a message; with `remoteId`, holding the same remote message again keeps one row
   *  (a retried or redelivered receive) and returns that row's ID */
  hold(owner: string, contact: string, message: Record<string, unknown>, remoteId?: string): Promise<number>;
  /** held messages of a portal, oldest first */
  of(owner: string, contact: string): Promise<HeldMessage[]>;
  release(id: number): Promise<void>;
  count(owner: string, contact: string): Promise<number>;
}

/** A stretch of unreadable messages from one contact (see src/core/unreadable-streaks.ts). */
export interface UnreadableStreak {
  owner: string;
  contact: string;
  /** when the notice that opened the stretch was sent */
  startedAt: number;
  /** unreadable messages since then that got no notice of their own, not yet summarised */
  suppressed: number;
  /** those of the stretch already summarised */
  reported: number;
}

export interface UnreadableStreakRepository {
  get(owner: string, contact: string): Promise<UnreadableStreak | undefined>;
  /** opens a new stretch (replacing the last), with nothing suppressed yet */
  start(owner: string, contact: string, at: number): Promise<void>;
  /** one more message without a notice of its own */
  suppress(owner: string, contact: string): Promise<void>;
  /** the suppressed messages are summarised: they count as reported; the stretch goes on */
  summarised(owner: string, contact: string): Promise<void>;
  /** stretches of an owner with messages still to be reported */
  unreported(owner: string): Promise<UnreadableStreak[]>;
}
