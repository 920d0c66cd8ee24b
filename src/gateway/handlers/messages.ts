/**
 * message.submit, envelope.ack(_many), signal.send: store-and-forward per device. A sender the
 * recipient has blocked (blocklist.set) gets exactly the answer a delivered submit or signal
 * gets, after exactly the same checks, and nothing is queued or pushed: the block is
 * invisible to the sender, and what was sent while blocked is gone, not held.
 */
import type { DeviceCiphertext, EnvelopeEvent, RequestParams, RequestResult, SenderInfo } from '../../protocol/frames';
import { eventFrame, GatewayError, type RequestContext } from '../context';
import { anyAccount, ownDevice, providerE2ee } from './common';

function senderInfo(ctx: RequestContext, from: { phone: string; deviceId: number }): SenderInfo {
  const device = ownDevice(ctx, from.phone, from.deviceId, '/params/from');
  return { ...from, provider: ctx.provider.id, bridged: device.attributes.bridged, e2ee: ctx.provider.e2ee };
}

/** The per-device set must be exactly the recipient's devices, so no device silently misses a message. */
function checkDeviceSet(messages: readonly DeviceCiphertext[], deviceIds: readonly number[]): void {
  const given = new Set<number>();
  messages.forEach((m, i) => {
    if (given.has(m.deviceId)) {
      throw new GatewayError('invalid_params', `device ${m.deviceId} appears twice`, `/params/messages/${i}/deviceId`);
    }
    given.add(m.deviceId);
  });
  const current = new Set(deviceIds);
  const missing = deviceIds.filter((id) => !given.has(id));
  const extra = [...given].filter((id) => !current.has(id)).sort((a, b) => a - b);
  if (missing.length > 0 || extra.length > 0) {
    throw new GatewayError('stale_devices', "ciphertexts do not match the recipient's devices", '/params/messages', { missing, extra });
  }
}

/** Plaintext exactly when one side has no end-to-end encryption; Signal ciphertext otherwise. */
function checkEncryption(messages: readonly DeviceCiphertext[], senderE2ee: boolean, recipientE2ee: boolean, to: string): void {
  const plaintextRequired = !senderE2ee || !recipientE2ee;
  messages.forEach((m, i) => {
    if (plaintextRequired && m.type !== 'plaintext') {
      const who = senderE2ee ? `${to} has` : 'your provider has';
      throw new GatewayError('encryption_mismatch', `${who} no end-to-end encryption: send type plaintext`, `/params/messages/${i}/type`);
    }
    if (!plaintextRequired && m.type === 'plaintext') {
      throw new GatewayError(
        'encryption_mismatch',
        'both sides have end-to-end encryption: plaintext is refused',
        `/params/messages/${i}/type`,
      );
    }
  });
}

/** Hand freshly queued envelopes to the delivery hub (pushed now if their device listens). */
function announce(
  ctx: RequestContext,
  phone: string,
  deviceIds: readonly number[],
  seqs: readonly number[],
  sender: SenderInfo,
  serverTimestamp: number,
  payloads: readonly EnvelopeEvent['payload'][],
): void {
  deviceIds.forEach((deviceId, i) => {
    ctx.services.hub.queued({ recipient: { phone, deviceId }, envelopeId: String(seqs[i]), sender, serverTimestamp, payload: payloads[i] });
  });
}

/** the recipient blocked this sender: said in the log without either number */
function blockedBy(ctx: RequestContext, recipient: string, sender: string, what: string): boolean {
  if (!ctx.services.blocks.isBlocked(recipient, sender)) return false;
  ctx.services.log.info(`${what} from a blocked sender dropped`, { provider: ctx.provider.id });
  return true;
}

export function submit(ctx: RequestContext, p: RequestParams<'message.submit'>): RequestResult<'message.submit'> {
  const sender = senderInfo(ctx, p.from);
  const { queue, devices, now } = ctx.services;
  const earlier = queue.findSubmission(p.from.phone, p.clientMessageId);
  if (earlier !== undefined) return { serverTimestamp: earlier, duplicate: true };
  const recipient = anyAccount(ctx, p.to, '/params/to');
  const deviceIds = devices.ids(p.to);
  checkDeviceSet(p.messages, deviceIds);
  checkEncryption(p.messages, sender.e2ee, providerE2ee(ctx, recipient.provider), p.to);
  const byDevice = new Map(p.messages.map((m) => [m.deviceId, m]));
  const payloads = deviceIds.map((id) => {
    const m = byDevice.get(id) as DeviceCiphertext;
    return { kind: 'message' as const, clientMessageId: p.clientMessageId, type: m.type, body: m.body };
  });
  const serverTimestamp = now();
  if (blockedBy(ctx, p.to, p.from.phone, 'message')) {
    // remembered like a delivered one, so a resubmission answers `duplicate: true` as usual
    queue.submit(p.from.phone, p.clientMessageId, p.to, [], sender, serverTimestamp, []);
    return { serverTimestamp, duplicate: false };
  }
  const seqs = queue.submit(p.from.phone, p.clientMessageId, p.to, deviceIds, sender, serverTimestamp, payloads);
  ctx.afterReply(() => announce(ctx, p.to, deviceIds, seqs, sender, serverTimestamp, payloads));
  return { serverTimestamp, duplicate: false };
}

/** Remove one envelope of a device checked by the caller; false if it was not queued. */
function removeEnvelope(ctx: RequestContext, phone: string, deviceId: number, envelopeId: string): boolean {
  // envelope IDs are the queue's sequence numbers; anything else was never ours
  if (!/^[0-9]{1,15}$/.test(envelopeId)) return false;
  const seq = Number(envelopeId);
  const removed = ctx.services.queue.ack(phone, deviceId, seq);
  ctx.services.hub.acked(phone, deviceId, seq);
  return removed;
}

export function ack(ctx: RequestContext, p: RequestParams<'envelope.ack'>): RequestResult<'envelope.ack'> {
  ownDevice(ctx, p.phone, p.deviceId);
  return { removed: removeEnvelope(ctx, p.phone, p.deviceId, p.envelopeId) };
}

/** Like one envelope.ack per ID, in one request (and one transaction): answered per ID. */
export function ackMany(ctx: RequestContext, p: RequestParams<'envelope.ack_many'>): RequestResult<'envelope.ack_many'> {
  ownDevice(ctx, p.phone, p.deviceId);
  return { removed: p.envelopeIds.map((id) => removeEnvelope(ctx, p.phone, p.deviceId, id)) };
}

export function signalSend(ctx: RequestContext, p: RequestParams<'signal.send'>): RequestResult<'signal.send'> {
  const sender = senderInfo(ctx, p.from);
  anyAccount(ctx, p.to, '/params/to');
  const { devices, hub, queue, now } = ctx.services;
  const deviceIds = devices.ids(p.to);
  const serverTimestamp = now();
  const blocked = blockedBy(ctx, p.to, p.from.phone, p.signal.kind === 'typing' ? 'typing signal' : 'receipt');
  if (p.signal.kind === 'typing') {
    // transient: only devices listening right now; a stale typing notice is worse than none
    let reached = 0;
    for (const deviceId of deviceIds) {
      const conn = hub.connectionFor(p.to, deviceId);
      if (!conn) continue;
      // counted as reached all the same: the count must not tell the sender about the block
      if (!blocked) conn.send(eventFrame(conn, 'typing', { recipient: { phone: p.to, deviceId }, sender, state: p.signal.state, serverTimestamp }));
      reached++;
    }
    return { serverTimestamp, devices: reached };
  }
  if (blocked) return { serverTimestamp, devices: deviceIds.length };
  const payload = { kind: 'status' as const, status: p.signal.status, messageIds: p.signal.messageIds };
  const payloads = deviceIds.map(() => payload);
  const seqs = queue.enqueue(p.to, deviceIds, sender, serverTimestamp, payloads);
  ctx.afterReply(() => announce(ctx, p.to, deviceIds, seqs, sender, serverTimestamp, payloads));
  return { serverTimestamp, devices: deviceIds.length };
}
