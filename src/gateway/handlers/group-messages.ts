/**
 * group.distribute and group.submit (protocol version 2, §17). The gateway never sees a sender
 * key: `group.distribute` carries each member device's copy inside its pairwise Signal session,
 * and `group.submit` one libsignal SenderKeyMessage for all of them, which the gateway fans
 * out per member device. It checks what it can: the sender is a member, each copy goes to a
 * member's device, and the sender names exactly the devices of every other member with
 * end-to-end encryption (`stale_devices` otherwise), so a device added since the sender last
 * distributed is never silently left out, and one removed since is noticed by the sender.
 * Block lists (§14) are for 1:1 chats; they do not filter group traffic in version 2.
 */
import type { DeviceAddress, EnvelopeEvent, GroupMember, RequestParams, RequestResult, SenderInfo } from '../../protocol/frames';
import { GatewayError, type RequestContext } from '../context';
import { groupView, requireGroup, requireMember, senderOf } from './group-common';

const addressKey = (a: DeviceAddress): string => `${a.phone}/${a.deviceId}`;

type Payload = EnvelopeEvent['payload'];

/** Queue payloads per recipient device and push them after the answer. */
function fanOut(ctx: RequestContext, sender: SenderInfo, serverTimestamp: number, items: Array<{ to: DeviceAddress; payload: Payload }>): void {
  const { queue, hub } = ctx.services;
  const events: EnvelopeEvent[] = [];
  for (const { to, payload } of items) {
    const [seq] = queue.enqueue(to.phone, [to.deviceId], sender, serverTimestamp, [payload]);
    events.push({ recipient: to, envelopeId: String(seq), sender, serverTimestamp, payload });
  }
  ctx.afterReply(() => events.forEach((e) => hub.queued(e)));
}

export function distribute(ctx: RequestContext, p: RequestParams<'group.distribute'>): RequestResult<'group.distribute'> {
  const sender = senderOf(ctx, p.from);
  const group = requireGroup(ctx, p.groupId);
  requireMember(ctx, group, p.from.phone);
  if (!sender.e2ee) {
    throw new GatewayError('encryption_mismatch', 'your provider has no end-to-end encryption: it has no sender keys to distribute', '/params');
  }
  const members = new Map(groupView(ctx, p.groupId).members.map((m) => [m.phone, m]));
  const seen = new Set<string>();
  p.messages.forEach((m, i) => {
    const field = `/params/messages/${i}`;
    const member = members.get(m.phone);
    if (!member) throw new GatewayError('not_group_member', `${m.phone} is not a member of group ${p.groupId}`, `${field}/phone`);
    if (!member.e2ee) throw new GatewayError('encryption_mismatch', `${m.phone} has no end-to-end encryption: it gets plaintext, not a sender key`, `${field}/phone`);
    if (!member.devices.includes(m.deviceId)) throw new GatewayError('device_not_found', `no device ${m.deviceId} for ${m.phone}`, `${field}/deviceId`);
    if (m.phone === p.from.phone && m.deviceId === p.from.deviceId) throw new GatewayError('invalid_params', 'a device does not send its sender key to itself', field);
    if (seen.has(addressKey(m))) throw new GatewayError('invalid_params', `device ${m.deviceId} of ${m.phone} appears twice`, field);
    seen.add(addressKey(m));
  });
  const serverTimestamp = ctx.services.now();
  fanOut(ctx, sender, serverTimestamp, p.messages.map((m) => ({
    to: { phone: m.phone, deviceId: m.deviceId },
    payload: { kind: 'group_key', groupId: p.groupId, type: m.type, body: m.body },
  })));
  return { serverTimestamp, devices: p.messages.length };
}

function staleCheck(given: readonly DeviceAddress[], expected: readonly DeviceAddress[]): void {
  const givenKeys = new Set<string>();
  given.forEach((d, i) => {
    if (givenKeys.has(addressKey(d))) throw new GatewayError('invalid_params', `device ${d.deviceId} of ${d.phone} appears twice`, `/params/devices/${i}`);
    givenKeys.add(addressKey(d));
  });
  const expectedKeys = new Set(expected.map(addressKey));
  const missing = expected.filter((d) => !givenKeys.has(addressKey(d)));
  const extra = given.filter((d) => !expectedKeys.has(addressKey(d)));
  if (missing.length > 0 || extra.length > 0) {
    throw new GatewayError('stale_devices', "devices do not match the group members' devices", '/params/devices', { missing, extra });
  }
}

const devicesOf = (members: readonly GroupMember[]): DeviceAddress[] =>
  members.flatMap((m) => m.devices.map((deviceId) => ({ phone: m.phone, deviceId })));

export function submit(ctx: RequestContext, p: RequestParams<'group.submit'>): RequestResult<'group.submit'> {
  const sender = senderOf(ctx, p.from);
  const group = requireGroup(ctx, p.groupId);
  requireMember(ctx, group, p.from.phone);
  const { queue, now } = ctx.services;
  const earlier = queue.findSubmission(p.from.phone, p.clientMessageId);
  if (earlier !== undefined) return { serverTimestamp: earlier, duplicate: true };
  const others = groupView(ctx, p.groupId).members.filter((m) => m.phone !== p.from.phone);
  const sealed = sender.e2ee ? devicesOf(others.filter((m) => m.e2ee)) : [];
  const plain = sender.e2ee ? devicesOf(others.filter((m) => !m.e2ee)) : devicesOf(others);
  if (!sender.e2ee && p.ciphertext !== undefined) {
    throw new GatewayError('encryption_mismatch', 'your provider has no end-to-end encryption: send plaintext only', '/params/ciphertext');
  }
  if (sealed.length > 0 && p.ciphertext === undefined) {
    throw new GatewayError('encryption_mismatch', 'members with end-to-end encryption need a sender-key ciphertext', '/params/ciphertext');
  }
  if (p.ciphertext !== undefined) staleCheck(p.devices ?? [], sealed);
  if (plain.length > 0 && p.plaintext === undefined) {
    throw new GatewayError('encryption_mismatch', 'members without end-to-end encryption need plaintext', '/params/plaintext');
  }
  if (plain.length === 0 && p.plaintext !== undefined) {
    throw new GatewayError('encryption_mismatch', 'no member without end-to-end encryption: plaintext is refused', '/params/plaintext');
  }
  const serverTimestamp = now();
  queue.remember(p.from.phone, p.clientMessageId, serverTimestamp);
  const base = { kind: 'group_message' as const, groupId: p.groupId, clientMessageId: p.clientMessageId };
  fanOut(ctx, sender, serverTimestamp, [
    ...sealed.map((to) => ({ to, payload: { ...base, type: 'senderkey' as const, body: p.ciphertext as string } })),
    ...plain.map((to) => ({ to, payload: { ...base, type: 'plaintext' as const, body: p.plaintext as string } })),
  ]);
  return { serverTimestamp, duplicate: false };
}
