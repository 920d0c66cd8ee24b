/**
 * Core side of the hop-by-hop encryption marking: what the bridge knows about each contact's
 * protection (per Matrix user), the hop trail of each bridged event, the security summary in
 * the portal's room state (updated whenever it changes), the notices people see, and the
 * policy that refuses or holds messages.
 *
 * Four paths write a portal's security state (remote intake, the outbox, `verify`, portal
 * events), each from its own queue. So that an older summary never lands last, every
 * read-modify-write of a contact's security record together with its room-state sends runs in
 * one queue per portal here, and the summary is computed inside the queued task: whichever
 * task runs last reads the newest record.
 */
import { displayPhone, type E164 } from '../network/phone';
import type { RemoteIdentity, RemoteSender } from '../network/remote-network';
import { HOP_TRAIL_KEY, SECURITY_STATE_TYPE, SECURITY_SUMMARY_KEY } from '../security/namespace';
import { matrixToRemoteTrail, remoteToMatrixTrail, type HopTrail } from '../security/hop-trail';
import { securitySummary, summaryChanged, type SecuritySummary } from '../security/room-security';
import { networkExposure } from '../security/network-hops-check';
import type { NetworkHops } from '../network/network-hops';
import { NetworkHopsSource } from './network-hops-source';
import { confirmCode, identityChangedNotice, newDeviceNotice, safetyNumberGroups, unencryptedProviderNotice } from '../security/notices';
import type { ContactRecord } from '../store';
import { KeyedQueue } from '../lib/keyed-queue';
import { bridgeStateContent, bridgeStateKey } from './bridge-state';
import type { CoreContext } from './context';
import { portalKey } from './keyed-queue';
import { remoteTxnId } from './remote-txn-id';
import { noticeContent } from '../convert';

export type Notice = { body: string; html: string };

/** the fingerprints of each device in a stored identity (see RemoteIdentity.fingerprint) */
function deviceFingerprints(identity: string): string[] {
  return identity.split(', ').filter((f) => f.length > 0);
}

/** the safety numbers of an identity, one per current device */
export function safetyNumbersOf(identity: RemoteIdentity): string[] {
  return identity.devices?.map((d) => d.safetyNumber) ?? [identity.safetyNumber];
}

export type ConfirmResult =
  | { ok: true; identity: RemoteIdentity }
  | { ok: false; why: 'no_session' | 'no_identity' | 'mismatch'; identity?: RemoteIdentity };

export class SecurityKeeper {
  private readonly writes = new KeyedQueue();
  private readonly hops: NetworkHopsSource;

  constructor(private readonly ctx: CoreContext) {
    this.hops = new NetworkHopsSource(ctx.network, ctx.log);
  }

  /** one portal's security writes, strictly one after the other */
  private serial<T>(owner: string, contact: string, task: () => Promise<T>): Promise<T> {
    return this.writes.run(portalKey(owner, contact), task);
  }

  /** resolves once every security write queued so far is done */
  idle(): Promise<void> {
    return this.writes.idle();
  }

  async contact(owner: string, contact: string): Promise<ContactRecord | undefined> {
    return await this.ctx.store.contacts.get(owner, contact);
  }

  private async roomEncrypted(owner: string, contact: string): Promise<boolean> {
    return (await this.ctx.store.portals.get(owner, contact))?.encrypted ?? false;
  }

  /** the bridge's own devices encrypt and decrypt this portal (end-to-bridge encryption) */
  private async bridgeEncrypts(owner: string, contact: string): Promise<boolean> {
    return this.ctx.config.security.encryption !== 'off' && await this.messageEncrypted(owner, contact);
  }

  /** whether a message bridged now crosses the room encrypted: under `require` always (the port
   *  turns encryption on before sending, and plaintext from Matrix is not bridged), even in a
   *  portal whose m.room.encryption the bridge has not seen yet */
  private async messageEncrypted(owner: string, contact: string): Promise<boolean> {
    return this.ctx.config.security.encryption === 'require' || await this.roomEncrypted(owner, contact);
  }

  /** the connector's hops between the contact's device and the bridge (checked) */
  private networkHops(provider: string | null, e2ee: boolean | null): NetworkHops {
    return this.hops.describe({ provider, e2ee });
  }

  /** trail of a remote message into Matrix; `encrypted` is how it crossed the network */
  async remoteTrail(owner: string, contact: string, encrypted: boolean | null): Promise<HopTrail> {
    const record = await this.contact(owner, contact);
    const provider = record?.provider ?? null;
    return remoteToMatrixTrail({
      contactProvider: provider,
      contactE2ee: encrypted,
      matrixRoomEncrypted: await this.messageEncrypted(owner, contact),
      identityVerified: record?.verified ?? false,
      bridgeEncrypts: await this.bridgeEncrypts(owner, contact),
      network: this.networkHops(provider, encrypted),
    });
  }

  /** trail of a Matrix message towards the contact, before it is sent */
  async matrixTrail(owner: string, contact: string): Promise<HopTrail> {
    const record = await this.contact(owner, contact);
    const provider = record?.provider ?? null;
    const e2ee = record?.e2ee ?? null;
    return matrixToRemoteTrail({
      contactProvider: provider,
      contactE2ee: e2ee,
      matrixRoomEncrypted: await this.messageEncrypted(owner, contact),
      identityVerified: record?.verified ?? false,
      bridgeEncrypts: await this.bridgeEncrypts(owner, contact),
      network: this.networkHops(provider, e2ee),
    });
  }

  /** which of the network's places read the chat with `contact` (their labels), and whether
   *  the network's way is end-to-end encrypted throughout: what notices say of the network */
  async networkExposure(owner: string, contact: string): Promise<{ readers: string[]; endToEnd: boolean }> {
    const record = await this.contact(owner, contact);
    return networkExposure(this.networkHops(record?.provider ?? null, record?.e2ee ?? null));
  }

  /** content with the trail under the one namespaced key */
  mark<T extends object>(content: T, trail: HopTrail): T {
    return { ...content, [HOP_TRAIL_KEY]: trail };
  }

  async summary(owner: string, contact: string): Promise<SecuritySummary> {
    const record = await this.contact(owner, contact);
    const provider = record?.provider ?? null;
    const e2ee = record?.e2ee ?? null;
    return securitySummary(await this.roomEncrypted(owner, contact), {
      phone: contact,
      provider,
      e2ee,
      identityFingerprint: record?.identityFingerprint ?? null,
      verified: record?.verified ?? false,
    }, await this.bridgeEncrypts(owner, contact), this.networkHops(provider, e2ee));
  }

  /** m.bridge / uk.half-shot.bridge content with the security summary embedded */
  async bridgeState(owner: string, contact: string, contactName: string): Promise<{ key: string; content: Record<string, unknown> }> {
    const info = {
      botUserId: this.ctx.matrix.botUserId, creator: owner, networkId: this.ctx.network.id,
      networkName: this.ctx.network.displayName, contactPhone: contact, contactName,
    };
    return { key: bridgeStateKey(info), content: { ...bridgeStateContent(info), [SECURITY_SUMMARY_KEY]: await this.summary(owner, contact) } };
  }

  /** Puts the current summary into the room if it differs from what the room has. */
  updateRoomState(owner: string, contact: string): Promise<void> {
    return this.serial(owner, contact, () => this.writeRoomState(owner, contact));
  }

  /** updateRoomState's work; only ever called inside the portal's security queue */
  private async writeRoomState(owner: string, contact: string): Promise<void> {
    const { store, matrix } = this.ctx;
    const portal = await store.portals.get(owner, contact);
    if (!portal?.roomId) return;
    const summary = await this.summary(owner, contact);
    const previous = portal.securitySummary ? (JSON.parse(portal.securitySummary) as SecuritySummary) : undefined;
    if (!summaryChanged(previous, summary)) return;
    const name = (await store.ghosts.get(contact))?.displayName ?? displayPhone(contact as E164);
    const bridge = await this.bridgeState(owner, contact, name);
    await matrix.setState(matrix.botUserId, portal.roomId, SECURITY_STATE_TYPE, '', summary as unknown as Record<string, unknown>);
    await matrix.setState(matrix.botUserId, portal.roomId, 'm.bridge', bridge.key, bridge.content);
    await matrix.setState(matrix.botUserId, portal.roomId, 'uk.half-shot.bridge', bridge.key, bridge.content);
    await store.portals.setSecuritySummary(owner, contact, JSON.stringify(summary));
  }

  /** the room state written at portal creation; remembered so later changes are detected */
  async initialState(owner: string, contact: string, contactName: string): Promise<[string, string, Record<string, unknown>][]> {
    const bridge = await this.bridgeState(owner, contact, contactName);
    const summary = await this.summary(owner, contact);
    return [
      ['m.bridge', bridge.key, bridge.content],
      ['uk.half-shot.bridge', bridge.key, bridge.content],
      [SECURITY_STATE_TYPE, '', summary as unknown as Record<string, unknown>],
    ];
  }

  /** a notice from the bot; with `trail` when it is about a bridged message; with `txnId`
   *  when a repeated attempt must be the same event */
  async notice(roomId: string, notice: Notice, trail?: HopTrail, txnId?: string): Promise<void> {
    const content = noticeContent(notice.body, notice.html);
    await this.ctx.matrix.sendEvent(this.ctx.matrix.botUserId, roomId, 'm.room.message', trail ? this.mark(content, trail) : content, txnId);
  }

  /**
   * Records what a message showed about its sender. Called before the portal exists, so
   * the portal's first notice and state already know the contact's protection. The
   * "no end-to-end encryption" notice it makes due is sent by senderRecorded.
   */
  recordSender(owner: string, contact: E164, sender: RemoteSender): Promise<ContactRecord> {
    return this.observe(owner, contact, sender);
  }

  /**
   * Updates the contact's record; when that newly shows no end-to-end encryption, the
   * notice becomes due in the same transaction. Due is stored, not derived from a
   * before/after pair: a retry after a failed notice finds the record already updated and
   * must still send it, and a retry after a failure that followed the notice must not.
   */
  private observe(owner: string, contact: E164, seen: { provider?: string; e2ee?: boolean; bridged?: boolean }): Promise<ContactRecord> {
    // before and after in one transaction: another observation of the same contact in between
    // (its receipt, say) could otherwise make the notice due twice, or not at all
    return this.ctx.store.atomically(async (tx) => {
      const before = await tx.contacts.get(owner, contact);
      const after = await tx.contacts.observe(owner, contact, seen);
      if (after.e2ee === false && before?.e2ee !== false) await tx.contacts.unencryptedSeen(owner, contact);
      return after;
    });
  }

  /** Learns the contact's identity-key fingerprint once a Signal session exists (the first
   *  encrypted message either way), so the room state can show it. */
  async learnIdentity(owner: string, contact: E164): Promise<void> {
    if ((await this.contact(owner, contact))?.identityFingerprint) return;
    const identity = await this.ctx.session(owner)?.identity(contact).catch(() => undefined);
    // checked again: a key change may have recorded the identity while this one was looked up
    if (identity && !(await this.contact(owner, contact))?.identityFingerprint) await this.ctx.store.contacts.setFingerprint(owner, contact, identity.fingerprint);
  }

  /** After recordSender, once the portal exists: the "no end-to-end encryption" notice if
   *  one is due, and the room state. Safe to repeat after any failure. */
  senderRecorded(owner: string, contact: E164): Promise<void> {
    return this.serial(owner, contact, async () => {
      await this.unencryptedNoticeIfDue(owner, contact);
      await this.writeRoomState(owner, contact);
    });
  }

  /**
   * Sends the due "no end-to-end encryption" notice, then marks it sent. Its transaction ID
   * is fixed per owner, contact, room and time seen, so a crash between sending and marking
   * resends the same event, which the homeserver keeps once. Without a portal it stays due
   * for the portal's first senderRecorded.
   */
  private async unencryptedNoticeIfDue(owner: string, contact: E164): Promise<void> {
    const { store } = this.ctx;
    const portal = await store.portals.get(owner, contact);
    const due = await store.contacts.unencryptedNoticeDue(owner, contact);
    if (!portal?.roomId || due === undefined) return;
    const record = await this.contact(owner, contact);
    // seen encrypted again meanwhile: what the notice would say is no longer true
    if (record?.e2ee === false) {
      const name = (await store.ghosts.get(contact))?.displayName ?? displayPhone(contact);
      const notice = unencryptedProviderNotice({ contactName: name, provider: record.provider ?? 'a provider', refused: this.refuses(record) });
      await this.notice(portal.roomId, notice, undefined, remoteTxnId(owner, contact, `unencrypted:${portal.roomId}:${due}`, 'notice'));
    }
    await store.contacts.unencryptedNoticed(owner, contact, due);
  }

  /** what a send showed: whether the message left Signal-encrypted */
  async observeSend(owner: string, contact: E164, encrypted: boolean): Promise<void> {
    if (encrypted) await this.learnIdentity(owner, contact);
    await this.serial(owner, contact, async () => {
      await this.observe(owner, contact, { e2ee: encrypted });
      await this.unencryptedNoticeIfDue(owner, contact);
      await this.writeRoomState(owner, contact);
    });
  }

  /**
   * The network reported a new key for one of the contact's devices. That is a key change
   * only if a key the bridge knew is no longer the contact's; a second device appearing next
   * to the first (each device has its own key) is not, and holds nothing.
   */
  identityChanged(owner: string, contact: E164, change: { safetyNumber: string; fingerprint: string }): Promise<void> {
    return this.serial(owner, contact, async () => {
      const { store } = this.ctx;
      const before = await this.contact(owner, contact);
      const identity = await this.ctx.session(owner)?.identity(contact).catch(() => undefined);
      const portal = await store.portals.get(owner, contact);
      const name = (await store.ghosts.get(contact))?.displayName ?? displayPhone(contact);
      const known = before?.identityFingerprint ? deviceFingerprints(before.identityFingerprint) : [];
      const current = identity ? deviceFingerprints(identity.fingerprint) : [];
      if (identity && known.length > 0 && known.every((f) => current.includes(f))) {
        await store.contacts.setFingerprint(owner, contact, identity.fingerprint);
        if (before?.verified) {
          // the verification covered the keys compared then, not the new device's
          await store.contacts.setVerified(owner, contact, false);
          if (portal?.roomId) await this.notice(portal.roomId, newDeviceNotice({ contactName: name, phone: contact, safetyNumbers: safetyNumbersOf(identity) }));
        }
        await this.writeRoomState(owner, contact);
        return;
      }
      await store.contacts.keyChanged(owner, contact, identity?.fingerprint ?? change.fingerprint);
      if (!portal?.roomId) return;
      const numbers = identity ? safetyNumbersOf(identity) : [change.safetyNumber];
      await this.notice(
        portal.roomId,
        identityChangedNotice({
          contactName: name, safetyNumber: change.safetyNumber, wasVerified: before?.verified ?? false,
          held: this.ctx.config.security.hold_on_key_change, phone: contact, code: confirmCode(numbers),
        }),
      );
      await this.writeRoomState(owner, contact);
    });
  }

  /**
   * `verify … confirm <digits>`: marks the contact verified only if the digits are those of
   * the safety number(s) in use now, so a key that changed after the person compared is
   * never what gets verified. The digits are the confirm code shown with the number (its
   * first two groups per device) or the whole number(s).
   */
  confirm(owner: string, contact: E164, digits: string): Promise<ConfirmResult> {
    return this.serial(owner, contact, async () => {
      const session = this.ctx.session(owner);
      if (!session) return { ok: false, why: 'no_session' };
      const identity = await session.identity(contact);
      if (!identity) return { ok: false, why: 'no_identity' };
      const numbers = safetyNumbersOf(identity);
      const code = confirmCode(numbers).replace(/\D/g, '');
      const full = numbers.map((n) => safetyNumberGroups(n).join('')).join('');
      if (digits !== code && digits !== full) return { ok: false, why: 'mismatch', identity };
      await this.ctx.store.contacts.setFingerprint(owner, contact, identity.fingerprint);
      await this.ctx.store.contacts.setVerified(owner, contact, true);
      await this.writeRoomState(owner, contact);
      return { ok: true, identity };
    });
  }

  /** policy: a contact whose provider has no end-to-end encryption is refused */
  refuses(record: ContactRecord | undefined): boolean {
    return this.ctx.config.security.refuse_unencrypted_providers && record?.e2ee === false;
  }

  /** policy: messages from a contact whose key changed wait until the user confirms */
  holds(record: ContactRecord | undefined): boolean {
    return this.ctx.config.security.hold_on_key_change && record?.keyChangedAt != null && !record.verified;
  }
}
