/**
 * Outbound group messages with Signal sender keys (protocol version 2, §17).
 *
 * Per group this account sends under one libsignal distribution. Before a group message, every
 * device of every other member with end-to-end encryption that does not hold the current key
 * gets it (a SenderKeyDistributionMessage in its pairwise session, `group.distribute`).
 * **Rotation rule:** when a device that holds the current key is no longer a member's device
 * (the member was removed or left, or removed the device), the distribution is dropped and a new
 * one starts and is distributed to those who remain, so nobody who left can read what follows.
 * Members without end-to-end encryption get the content in plaintext beside the ciphertext.
 */
import { randomUUID } from 'node:crypto';
import { ProtocolAddress, SenderKeyDistributionMessage, groupEncrypt } from '@signalapp/libsignal-client';
import type { DeviceAddress, GroupInfo, GroupKeyCiphertext } from '../protocol/frames';
import type { InteropConnection } from './connection';
import { InteropRequestError } from './errors';
import { KeyedQueue } from '../lib/keyed-queue';
import type { OutboundSender } from './sender';
import type { MemberDevice, SignalAccountStores } from './signal/stores';
import { toBase64 } from './sodium';
import type { GroupSendResult } from './types';

/** stale_devices and friends are retried this often (membership churning) before giving up */
const MAX_ATTEMPTS = 4;

const deviceKey = (d: MemberDevice): string => `${d.phone}/${d.deviceId}`;

export class GroupSender {
  /** the group as last seen (a result or a group_update); refetched when the gateway disagrees */
  private readonly known = new Map<string, GroupInfo>();
  private readonly mutex = new KeyedQueue();

  constructor(
    private readonly conn: InteropConnection,
    private readonly from: () => DeviceAddress,
    private readonly stores: SignalAccountStores,
    /** undefined when our provider has no end-to-end encryption: plaintext only */
    private readonly pairwise: OutboundSender | undefined,
  ) {}

  /** Remember a newer state of a group (older revisions are ignored). */
  remember(group: GroupInfo): void {
    const current = this.known.get(group.groupId);
    if (!current || current.revision <= group.revision) this.known.set(group.groupId, group);
  }

  /** We are out of the group: forget it and our keys for it. */
  async left(groupId: string): Promise<void> {
    this.known.delete(groupId);
    await this.stores.groups.forgetGroup(groupId);
  }

  private async info(groupId: string): Promise<GroupInfo> {
    const cached = this.known.get(groupId);
    if (cached) return cached;
    const { group } = await this.conn.request('group.get', { phone: this.from().phone, groupId });
    this.remember(group);
    return group;
  }

  /** Sends content bytes to the group; one at a time per group, so order is kept. */
  send(groupId: string, clientMessageId: string, plaintext: Uint8Array): Promise<GroupSendResult> {
    return this.mutex.run(groupId, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.attempt(groupId, clientMessageId, plaintext);
        } catch (err) {
          const retry = err instanceof InteropRequestError && (err.code === 'stale_devices' || err.code === 'encryption_mismatch' || err.code === 'device_not_found');
          if (!retry || attempt >= MAX_ATTEMPTS) throw err;
          this.known.delete(groupId);
        }
      }
    });
  }

  private async attempt(groupId: string, clientMessageId: string, plaintext: Uint8Array): Promise<GroupSendResult> {
    const me = this.from();
    const group = await this.info(groupId);
    const others = group.members.filter((m) => m.phone !== me.phone);
    const plainMembers = this.pairwise ? others.filter((m) => !m.e2ee) : others;
    const sealed: MemberDevice[] = this.pairwise
      ? others.filter((m) => m.e2ee).flatMap((m) => m.devices.map((deviceId) => ({ phone: m.phone, deviceId })))
      : [];
    let ciphertext: string | undefined;
    if (sealed.length > 0) {
      const distributionId = await this.distribute(groupId, sealed);
      const message = await groupEncrypt(ProtocolAddress.new(me.phone, me.deviceId), distributionId, this.stores.senderKey, new Uint8Array(plaintext));
      ciphertext = toBase64(message.serialize());
    }
    const plainDevices = plainMembers.reduce((n, m) => n + m.devices.length, 0);
    const res = await this.conn.request('group.submit', {
      from: me,
      groupId,
      clientMessageId,
      ...(ciphertext !== undefined && { ciphertext, devices: sealed }),
      ...(plainDevices > 0 && { plaintext: toBase64(plaintext) }),
    }, { retryOnDisconnect: true });
    return { ...res, encrypted: ciphertext !== undefined, plaintextTo: plainDevices > 0 ? plainMembers.map((m) => m.phone) : [] };
  }

  /** Makes sure every device in `devices` holds our current sender key; returns its distribution. */
  private async distribute(groupId: string, devices: readonly MemberDevice[]): Promise<string> {
    const pairwise = this.pairwise as OutboundSender;
    const wanted = new Set(devices.map(deviceKey));
    let state = await this.stores.groups.sending(groupId);
    // the rotation rule: a holder that is no longer a member device must not read what follows
    if (state && state.holders.some((h) => !wanted.has(deviceKey(h)))) state = undefined;
    if (!state) {
      state = { distributionId: randomUUID(), holders: [] };
      await this.stores.groups.startSending(groupId, state.distributionId);
    }
    const held = new Set(state.holders.map(deviceKey));
    const missing = devices.filter((d) => !held.has(deviceKey(d)));
    if (missing.length === 0) return state.distributionId;
    const me = this.from();
    const skdm = await SenderKeyDistributionMessage.create(ProtocolAddress.new(me.phone, me.deviceId), state.distributionId, this.stores.senderKey);
    const bytes = skdm.serialize();
    const byPhone = new Map<string, number[]>();
    for (const d of missing) byPhone.set(d.phone, [...(byPhone.get(d.phone) ?? []), d.deviceId]);
    const messages: GroupKeyCiphertext[] = [];
    for (const [phone, ids] of byPhone) {
      for (const m of await pairwise.encryptForDevices(phone, ids, bytes)) messages.push({ phone, ...m });
    }
    await this.conn.request('group.distribute', { from: me, groupId, messages }, { retryOnDisconnect: true });
    await this.stores.groups.addHolders(groupId, state.distributionId, missing);
    return state.distributionId;
  }
}
