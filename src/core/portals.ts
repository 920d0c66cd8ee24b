/**
 * Portals and ghosts: one Matrix room per (Matrix user, remote contact), created on the first
 * message in either direction, and one ghost per remote phone number with the contact's
 * remote profile. The room is recorded the moment it exists, so a failure in a later setup
 * step is finished by the retry rather than answered with a second room.
 */
import { createHash } from 'node:crypto';
import { noticeContent } from '../convert';
import { displayPhone, type E164 } from '../network/phone';
import type { RemoteProfile, RemoteSession } from '../network/remote-network';
import type { PortalRecord } from '../store';
import { imageMimeType } from './image-type';
import { portalCreatedNotice } from '../security/notices';
import type { Inbox } from './inbox';
import type { CoreContext } from './context';
import { isPermanent } from './errors';
import type { SecurityKeeper } from './security-keeper';

/** re-read a contact's profile (name, avatar) when it is older than this and they write */
const PROFILE_MAX_AGE_MS = 3600 * 1000;

export type ReadyPortal = PortalRecord & { roomId: string; ghost: string };

export class Portals {
  /** portal creations in flight, so two messages at once create one room */
  private readonly creating = new Map<string, Promise<ReadyPortal>>();
  /** per owner, the contacts with a portal (see isEstablished) */
  private readonly established = new Map<string, Set<string>>();

  constructor(private readonly ctx: CoreContext, private readonly security: SecurityKeeper, private readonly inbox: Inbox) {}

  ghostOf(contact: string): string {
    return this.ctx.matrix.ghostUserId(contact);
  }

  /** the display name the ghost gets from the remote profile (and, by config, the number) */
  private displayName(contact: E164, remoteName: string | undefined): string {
    const phone = displayPhone(contact);
    if (!remoteName) return phone;
    return this.ctx.config.bridge.show_phone_in_displayname ? `${remoteName} (${phone})` : remoteName;
  }

  /** Makes sure the ghost exists and its profile is fresh; returns the ghost's user ID. */
  async ensureGhost(owner: string, contact: E164, force = false): Promise<string> {
    const { store, matrix, log } = this.ctx;
    const ghost = await store.ghosts.ensure(contact, matrix.ghostUserId(contact));
    const fresh = ghost.profileUpdatedAt !== null && Date.now() - ghost.profileUpdatedAt < PROFILE_MAX_AGE_MS;
    if (fresh && !force) return ghost.mxid;
    let remote: RemoteProfile = {};
    const session = this.ctx.session(owner);
    if (session) {
      try {
        remote = await session.fetchProfile(contact);
      } catch (error) {
        log.warn(`profile of a contact of ${owner} not available: ${(error as Error).message}`);
      }
    }
    const displayName = this.displayName(contact, remote.displayName);
    if (displayName !== ghost.displayName) await matrix.setGhostProfile(ghost.mxid, { displayName });
    let avatarMxc = ghost.avatarMxc;
    const avatarRef = remote.avatarRef ?? null;
    if (session && avatarRef && avatarRef !== ghost.avatarRef) {
      avatarMxc = await this.moveAvatar(session, ghost.mxid, avatarRef).catch((error: Error) => {
        log.warn(`avatar of a contact of ${owner} not bridged: ${error.message}`);
        return ghost.avatarMxc;
      });
    } else if (!avatarRef && ghost.avatarRef) {
      await matrix.setGhostProfile(ghost.mxid, { avatarMxc: '' });
      avatarMxc = null;
    }
    await store.ghosts.updateProfile(contact, { displayName, avatarRef: avatarMxc ? avatarRef : null, avatarMxc });
    return ghost.mxid;
  }

  private async moveAvatar(session: RemoteSession, ghost: string, ref: string): Promise<string> {
    const bytes = await session.downloadAvatar(ref);
    const mimeType = imageMimeType(bytes);
    if (!mimeType) throw new Error('the avatar is not a PNG, JPEG, GIF or WebP image');
    const mxc = await this.ctx.matrix.uploadMedia(ghost, bytes, mimeType, 'avatar');
    await this.ctx.matrix.setGhostProfile(ghost, { avatarMxc: mxc });
    return mxc;
  }

  /** Refreshes a ghost's profile in the background when it is older than the refresh age. */
  async refreshInBackground(owner: string, contact: E164): Promise<void> {
    const ghost = await this.ctx.store.ghosts.get(contact);
    if (ghost?.profileUpdatedAt && Date.now() - ghost.profileUpdatedAt < PROFILE_MAX_AGE_MS) return;
    void this.ensureGhost(owner, contact).catch((error: Error) => this.ctx.log.warn(`profile refresh of a contact of ${owner} failed: ${error.message}`));
  }

  /** The portal of (owner, contact), creating its room if it has none, or finishing the
   *  setup of a room made before (a step failed, or the bridge stopped in between). */
  /** Loads which contacts `owner` has a portal with, for isEstablished (at each connect). */
  async loadEstablished(owner: string): Promise<void> {
    this.established.set(owner, new Set((await this.ctx.store.portals.ofOwner(owner)).map((p) => p.contact)));
  }

  /** Whether `owner` has a portal with `contact`, answered from memory: the connector asks
   *  synchronously, per event (RemoteEventHandler.isEstablished). Loaded by loadEstablished,
   *  added to as portals are made. */
  isEstablished(owner: string, contact: E164): boolean {
    return this.established.get(owner)?.has(contact) ?? false;
  }

  async ensure(owner: string, contact: E164): Promise<ReadyPortal> {
    const existing = await this.ctx.store.portals.get(owner, contact);
    if (existing?.roomId && !existing.setupPending) return { ...existing, roomId: existing.roomId, ghost: this.ghostOf(contact) };
    const key = `${owner}\u0000${contact}`;
    let creation = this.creating.get(key);
    if (!creation) {
      creation = this.createOrFinish(owner, contact).finally(() => this.creating.delete(key));
      this.creating.set(key, creation);
    }
    return creation;
  }

  /** one creation per portal at a time (ensure keeps it in `creating`) */
  private async createOrFinish(owner: string, contact: E164): Promise<ReadyPortal> {
    // read again once this is the portal's only creation: one that ended while the caller
    // read the store may have made the room already
    const current = await this.ctx.store.portals.get(owner, contact);
    if (current?.roomId && !current.setupPending) return { ...current, roomId: current.roomId, ghost: this.ghostOf(contact) };
    return current?.roomId ? this.finish(owner, contact, current.roomId) : this.create(owner, contact);
  }

  private async create(owner: string, contact: E164): Promise<ReadyPortal> {
    const { store, matrix, log } = this.ctx;
    const ghost = await this.ensureGhost(owner, contact);
    const name = (await store.ghosts.get(contact))?.displayName ?? displayPhone(contact);
    const initialState = await this.security.initialState(owner, contact, name);
    // security.encryption default or require: the bridge reads and writes encrypted rooms, so new ones are encrypted
    if (this.ctx.config.security.encryption === 'default' || this.ctx.config.security.encryption === 'require') initialState.push(['m.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' }]);
    const roomId = await matrix.createPortalRoom({ ghost, invitee: owner, name, initialState });
    // recorded before any other step can fail: a retry finds this room and finishes it,
    // instead of making a second room and inviting the user to both
    const summary = JSON.stringify(await this.security.summary(owner, contact));
    await store.atomically(async (tx) => {
      await tx.portals.ensure(owner, contact);
      await tx.portals.setRoom(owner, contact, roomId, { setupPending: true });
      await tx.portals.setSecuritySummary(owner, contact, summary);
    });
    this.established.get(owner)?.add(contact);
    log.info(`portal ${roomId} created for ${owner}`);
    return this.finish(owner, contact, roomId);
  }

  /** The setup steps after the room exists; each may be repeated safely. */
  private async finish(owner: string, contact: E164, roomId: string): Promise<ReadyPortal> {
    const { store, matrix, network, log } = this.ctx;
    const ghost = this.ghostOf(contact);
    await matrix.ensureJoined(matrix.botUserId, roomId, ghost);
    // the ghost's side of the DM; the user's own m.direct is set by their client on joining
    // an is_direct invite (the bridge cannot write another user's account data)
    const direct: Record<string, string[]> = {};
    for (const p of (await store.portals.ofContact(contact))) if (p.roomId && p.owner !== owner) direct[p.owner] = [p.roomId];
    direct[owner] = [roomId];
    await matrix.setDirectRooms(ghost, direct).catch((error: Error) => {
      // an outage is retried with the rest; a refusal only costs the DM marker
      if (!isPermanent(error)) throw error;
      log.warn(`m.direct of the ghost in ${roomId} not set: ${error.message}`);
    });
    // a homeserver that encrypts new rooms by default did so as the room was made
    const encrypted = await matrix.isEncrypted(roomId);
    if (encrypted) {
      await store.portals.setEncrypted(owner, contact, true);
      await this.security.updateRoomState(owner, contact);
    }
    const record = await this.security.contact(owner, contact);
    const name = (await store.ghosts.get(contact))?.displayName ?? displayPhone(contact);
    const notice = portalCreatedNotice({ contactName: name, networkName: network.displayName, contactE2ee: record?.e2ee ?? null, roomEncrypted: encrypted,
      bridgeEncrypts: this.ctx.config.security.encryption !== 'off', network: await this.security.networkExposure(owner, contact) });
    // one transaction ID per room: a repeated setup shows the notice once
    const txnId = `mib-portal-${createHash('sha256').update(roomId).digest('base64url').slice(0, 32)}`;
    await matrix.sendEvent(matrix.botUserId, roomId, 'm.room.message', noticeContent(notice.body, notice.html), txnId);
    await this.inbox.place(owner, roomId);
    await store.portals.setupDone(owner, contact);
    return { ...(await store.portals.get(owner, contact) as PortalRecord), roomId, ghost };
  }
}
