/**
 * What the group handlers share: reading a group as members see it (every member's provider,
 * e2ee capability, bridged devices and device IDs), the membership checks, and queueing a
 * change for everyone concerned as a durable `group_update` envelope.
 */
import type { EnvelopeEvent, GroupChange, GroupInfo, GroupMember, SenderInfo } from '../../protocol/frames';
import { GatewayError, type RequestContext } from '../context';
import type { GroupRow, MemberRow } from '../store/groups';
import { ownDevice, providerE2ee } from './common';

export function senderOf(ctx: RequestContext, from: { phone: string; deviceId: number }): SenderInfo {
  const device = ownDevice(ctx, from.phone, from.deviceId, '/params/from');
  return { ...from, provider: ctx.provider.id, bridged: device.attributes.bridged, e2ee: ctx.provider.e2ee };
}

export function requireGroup(ctx: RequestContext, groupId: string): GroupRow {
  const group = ctx.services.groups.get(groupId);
  if (!group) throw new GatewayError('group_not_found', `no group ${groupId}`, '/params/groupId');
  return group;
}

/** The acting account's membership; a non-member learns nothing more than that. */
export function requireMember(ctx: RequestContext, group: GroupRow, phone: string, field = '/params/from/phone'): MemberRow {
  const member = ctx.services.groups.members(group.groupId).find((m) => m.phone === phone);
  if (!member) throw new GatewayError('not_group_member', `${phone} is not a member of group ${group.groupId}`, field);
  return member;
}

export function requireAdmin(ctx: RequestContext, group: GroupRow, phone: string): void {
  if (!requireMember(ctx, group, phone).admin) {
    throw new GatewayError('not_group_admin', `only an admin of group ${group.groupId} may do this; ${phone} is not one`, '/params/from/phone');
  }
}

export function memberView(ctx: RequestContext, m: MemberRow): GroupMember {
  const { accounts, devices } = ctx.services;
  const provider = accounts.get(m.phone)?.provider ?? 'unknown';
  const list = devices.list(m.phone);
  return {
    phone: m.phone,
    provider,
    e2ee: providerE2ee(ctx, provider),
    admin: m.admin,
    bridged: list.some((d) => d.attributes.bridged),
    devices: list.map((d) => d.deviceId),
  };
}

export function groupView(ctx: RequestContext, groupId: string): GroupInfo {
  const row = requireGroup(ctx, groupId);
  const info: GroupInfo = {
    groupId: row.groupId,
    name: row.name,
    revision: row.revision,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    members: ctx.services.groups.members(groupId).map((m) => memberView(ctx, m)),
  };
  if (row.avatarMediaId !== null) info.avatarMediaId = row.avatarMediaId;
  return info;
}

/**
 * Queue a `group_update` for every device of every member after the change and of everyone it
 * removed (`alsoTell`), except the acting device, and push them once the answer is out.
 */
export function publishChange(ctx: RequestContext, sender: SenderInfo, groupId: string, change: GroupChange, alsoTell: readonly string[] = []): GroupInfo {
  const { groups, queue, devices, now, hub } = ctx.services;
  groups.bumpRevision(groupId);
  const group = groupView(ctx, groupId);
  const payload = { kind: 'group_update' as const, groupId, change, group };
  const serverTimestamp = now();
  const events: EnvelopeEvent[] = [];
  const recipients = new Set([...group.members.map((m) => m.phone), ...alsoTell]);
  for (const phone of recipients) {
    const ids = devices.ids(phone).filter((id) => !(phone === sender.phone && id === sender.deviceId));
    if (ids.length === 0) continue;
    const seqs = queue.enqueue(phone, ids, sender, serverTimestamp, ids.map(() => payload));
    ids.forEach((deviceId, i) => events.push({ recipient: { phone, deviceId }, envelopeId: String(seqs[i]), sender, serverTimestamp, payload }));
  }
  ctx.afterReply(() => events.forEach((e) => hub.queued(e)));
  return group;
}
