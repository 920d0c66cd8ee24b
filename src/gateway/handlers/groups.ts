/**
 * Group membership and metadata (protocol version 2, docs/interop-protocol.md §17). Only
 * members see a group; only admins change its members, name and avatar; anyone may leave.
 * Every change bumps the revision and reaches every member as a `group_update` envelope.
 * Adding someone already in the group, or removing someone not in it, changes nothing and
 * answers the group as it is, so a request retried after a lost answer is harmless.
 */
import { MAX_GROUP_MEMBERS, type GroupChange, type RequestParams, type RequestResult } from '../../protocol/frames';
import { GatewayError, type RequestContext } from '../context';
import { randomId } from '../crypto';
import { anyAccount, ownAccount } from './common';
import { groupView, publishChange, requireAdmin, requireGroup, requireMember, senderOf } from './group-common';

function checkRoom(ctx: RequestContext, groupId: string, adding: number): void {
  const size = ctx.services.groups.members(groupId).length;
  if (size + adding > MAX_GROUP_MEMBERS) {
    throw new GatewayError('group_full', `a group has at most ${MAX_GROUP_MEMBERS} members (${size} now, ${adding} to add)`, '/params/members');
  }
}

function checkAvatar(ctx: RequestContext, mediaId: string | null | undefined): void {
  if (typeof mediaId === 'string' && !ctx.services.media.exists(mediaId)) {
    throw new GatewayError('media_not_found', `no media ${mediaId}`, '/params/avatarMediaId');
  }
}

export function create(ctx: RequestContext, p: RequestParams<'group.create'>): RequestResult<'group.create'> {
  const sender = senderOf(ctx, p.from);
  const others = (p.members ?? []).filter((m) => m !== p.from.phone);
  others.forEach((m, i) => anyAccount(ctx, m, `/params/members/${i}`));
  if (others.length + 1 > MAX_GROUP_MEMBERS) {
    throw new GatewayError('group_full', `a group has at most ${MAX_GROUP_MEMBERS} members`, '/params/members');
  }
  checkAvatar(ctx, p.avatarMediaId);
  const { groups, now } = ctx.services;
  const groupId = randomId();
  groups.create(groupId, p.name, p.avatarMediaId ?? null, p.from.phone, now());
  groups.addMember(groupId, p.from.phone, true);
  for (const m of others) groups.addMember(groupId, m, false);
  const group = publishChange(ctx, sender, groupId, { action: 'created', actor: p.from.phone, members: others });
  ctx.services.log.info('group created', { provider: ctx.provider.id, members: group.members.length });
  return { group };
}

export function get(ctx: RequestContext, p: RequestParams<'group.get'>): RequestResult<'group.get'> {
  ownAccount(ctx, p.phone);
  const group = requireGroup(ctx, p.groupId);
  requireMember(ctx, group, p.phone, '/params/phone');
  return { group: groupView(ctx, p.groupId) };
}

export function list(ctx: RequestContext, p: RequestParams<'group.list'>): RequestResult<'group.list'> {
  ownAccount(ctx, p.phone);
  return { groups: ctx.services.groups.groupsOf(p.phone).map((id) => groupView(ctx, id)) };
}

export function update(ctx: RequestContext, p: RequestParams<'group.update'>): RequestResult<'group.update'> {
  const sender = senderOf(ctx, p.from);
  const group = requireGroup(ctx, p.groupId);
  requireAdmin(ctx, group, p.from.phone);
  checkAvatar(ctx, p.avatarMediaId);
  const fields: Array<'name' | 'avatar'> = [];
  if (p.name !== undefined && p.name !== group.name) {
    ctx.services.groups.setName(p.groupId, p.name);
    fields.push('name');
  }
  if (p.avatarMediaId !== undefined && p.avatarMediaId !== group.avatarMediaId) {
    ctx.services.groups.setAvatar(p.groupId, p.avatarMediaId);
    fields.push('avatar');
  }
  if (fields.length === 0) return { group: groupView(ctx, p.groupId) };
  return { group: publishChange(ctx, sender, p.groupId, { action: 'updated', actor: p.from.phone, members: [], fields }) };
}

export function add(ctx: RequestContext, p: RequestParams<'group.add'>): RequestResult<'group.add'> {
  const sender = senderOf(ctx, p.from);
  const group = requireGroup(ctx, p.groupId);
  requireAdmin(ctx, group, p.from.phone);
  p.members.forEach((m, i) => anyAccount(ctx, m, `/params/members/${i}`));
  const current = new Set(ctx.services.groups.members(p.groupId).map((m) => m.phone));
  const added = p.members.filter((m) => !current.has(m));
  if (added.length === 0) return { group: groupView(ctx, p.groupId) };
  checkRoom(ctx, p.groupId, added.length);
  for (const m of added) ctx.services.groups.addMember(p.groupId, m, false);
  return { group: publishChange(ctx, sender, p.groupId, { action: 'added', actor: p.from.phone, members: added }) };
}

export function remove(ctx: RequestContext, p: RequestParams<'group.remove'>): RequestResult<'group.remove'> {
  const sender = senderOf(ctx, p.from);
  const group = requireGroup(ctx, p.groupId);
  requireAdmin(ctx, group, p.from.phone);
  const self = p.members.indexOf(p.from.phone);
  if (self >= 0) throw new GatewayError('invalid_params', 'to remove yourself, use group.leave', `/params/members/${self}`);
  const removed = p.members.filter((m) => ctx.services.groups.removeMember(p.groupId, m));
  if (removed.length === 0) return { group: groupView(ctx, p.groupId) };
  return { group: publishChange(ctx, sender, p.groupId, { action: 'removed', actor: p.from.phone, members: removed }, removed) };
}

/**
 * The leaver is told too (its other devices). The last admin leaving hands the role to the
 * member who joined first; the last member leaving ends the group.
 */
export function leave(ctx: RequestContext, p: RequestParams<'group.leave'>): RequestResult<'group.leave'> {
  const sender = senderOf(ctx, p.from);
  const group = requireGroup(ctx, p.groupId);
  requireMember(ctx, group, p.from.phone);
  return { group: leaveGroup(ctx, sender, p.groupId, p.from.phone) };
}

export function leaveGroup(ctx: RequestContext, sender: GroupChangeSender, groupId: string, phone: string): RequestResult<'group.leave'>['group'] {
  const { groups } = ctx.services;
  const before = groupView(ctx, groupId);
  groups.removeMember(groupId, phone);
  const rest = groups.members(groupId);
  if (rest.length === 0) {
    groups.delete(groupId);
    return { ...before, revision: before.revision + 1, members: [] };
  }
  const change: GroupChange = { action: 'left', actor: phone, members: [phone] };
  if (!rest.some((m) => m.admin)) {
    groups.setAdmin(groupId, rest[0].phone, true);
    change.promoted = [rest[0].phone];
  }
  return publishChange(ctx, sender, groupId, change, [phone]);
}

type GroupChangeSender = Parameters<typeof publishChange>[1];

export function promote(ctx: RequestContext, p: RequestParams<'group.promote'>): RequestResult<'group.promote'> {
  return setRole(ctx, p, true);
}

export function demote(ctx: RequestContext, p: RequestParams<'group.demote'>): RequestResult<'group.demote'> {
  return setRole(ctx, p, false);
}

function setRole(ctx: RequestContext, p: RequestParams<'group.promote'>, admin: boolean): RequestResult<'group.promote'> {
  const sender = senderOf(ctx, p.from);
  const group = requireGroup(ctx, p.groupId);
  requireAdmin(ctx, group, p.from.phone);
  const target = requireMember(ctx, group, p.member, '/params/member');
  if (target.admin === admin) return { group: groupView(ctx, p.groupId) };
  if (!admin && ctx.services.groups.members(p.groupId).filter((m) => m.admin).length === 1) {
    throw new GatewayError('last_admin', `${p.member} is the only admin of group ${p.groupId}: promote someone else first`, '/params/member');
  }
  ctx.services.groups.setAdmin(p.groupId, p.member, admin);
  return { group: publishChange(ctx, sender, p.groupId, { action: admin ? 'promoted' : 'demoted', actor: p.from.phone, members: [p.member] }) };
}
