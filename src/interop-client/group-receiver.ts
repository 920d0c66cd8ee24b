/**
 * Inbound group envelopes (protocol version 2, §17): sender keys, group messages and group
 * changes. A sender key arrives in the sender's pairwise session and is bound to the group it
 * came for; a group message is decrypted only with the key its sender announced for that very
 * group, so a message replayed from another group, or from before a rotation the receiver
 * missed, is unreadable rather than misattributed.
 */
import {
  ErrorCode, LibSignalErrorBase, ProtocolAddress, SenderKeyDistributionMessage, SenderKeyMessage, groupDecrypt,
  processSenderKeyDistributionMessage,
} from '@signalapp/libsignal-client';
import type {
  EnvelopeEvent, EnvelopeGroupKeyPayload, EnvelopeGroupMessagePayload, EnvelopeGroupPayload, EnvelopeGroupUpdatePayload,
} from '../protocol/frames';
import { parseContent } from '../protocol/validate';
import { DuplicateMessageError, type SignalSessions } from './signal/sessions';
import type { SignalAccountStores } from './signal/stores';
import { fromBase64 } from './sodium';
import type { Delivery, IncomingGroupMessage, IncomingGroupUpdate, UnreadableMessage } from './types';

export interface GroupSink {
  groupMessage(m: IncomingGroupMessage): void;
  groupUpdate(u: IncomingGroupUpdate): void;
  unreadable(u: UnreadableMessage): void;
  warning(err: Error): void;
  /** seen before the consumer: the sender's view of the group, rotation, leaving */
  changed(payload: EnvelopeGroupUpdatePayload): Promise<void>;
}

/** What the envelope receiver lends: the delivery base (with ack), and handing over. */
export interface DeliveryTools {
  base(): Delivery;
  deliver(hand: () => void): Promise<void>;
  ackNow(): Promise<void>;
}

export class GroupReceiver {
  constructor(
    private readonly sessions: SignalSessions | undefined,
    private readonly stores: SignalAccountStores,
    private readonly sink: GroupSink,
  ) {}

  async process(ev: EnvelopeEvent, payload: EnvelopeGroupPayload, tools: DeliveryTools): Promise<void> {
    if (payload.kind === 'group_key') return this.key(ev, payload, tools);
    if (payload.kind === 'group_message') return this.message(ev, payload, tools);
    await this.sink.changed(payload);
    await tools.deliver(() => this.sink.groupUpdate({ ...tools.base(), groupId: payload.groupId, change: payload.change, group: payload.group }));
  }

  /** A sender key is the library's own business: stored, bound to its group, acknowledged. */
  private async key(ev: EnvelopeEvent, payload: EnvelopeGroupKeyPayload, tools: DeliveryTools): Promise<void> {
    const sender = { phone: ev.sender.phone, deviceId: ev.sender.deviceId };
    try {
      let bytes = await this.stores.pending.get(ev.envelopeId);
      if (!bytes) {
        if (!this.sessions) throw new Error('sender key received by an account without end-to-end encryption');
        bytes = await this.sessions.decrypt(sender.phone, sender.deviceId, payload.type, payload.body, ev.envelopeId);
      }
      const skdm = SenderKeyDistributionMessage.deserialize(new Uint8Array(bytes));
      await processSenderKeyDistributionMessage(ProtocolAddress.new(sender.phone, sender.deviceId), skdm, this.stores.senderKey);
      await this.stores.groups.bindSender(payload.groupId, sender, skdm.distributionId());
    } catch (err) {
      if (err instanceof Error && err.name === 'SqliteError') throw err;
      if (!(err instanceof DuplicateMessageError)) {
        // its group messages will show as unreadable; nothing else the receiver can do
        this.sink.warning(new Error(`a sender key for a group could not be read: ${(err as Error).message}`));
      }
    }
    await tools.ackNow();
  }

  private async message(ev: EnvelopeEvent, payload: EnvelopeGroupMessagePayload, tools: DeliveryTools): Promise<void> {
    const encrypted = payload.type === 'senderkey';
    const unreadable = (reason: UnreadableMessage['reason'], error: string) =>
      tools.deliver(() => this.sink.unreadable({
        ...tools.base(), reason, error, clientMessageId: payload.clientMessageId, encrypted, groupId: payload.groupId,
      }));
    let plaintext: Uint8Array;
    try {
      plaintext = (await this.stores.pending.get(ev.envelopeId)) ?? (await this.open(ev, payload));
    } catch (err) {
      if (err instanceof Error && err.name === 'SqliteError') throw err;
      if (err instanceof LibSignalErrorBase && err.code === ErrorCode.DuplicatedMessage) return tools.ackNow();
      return unreadable('decrypt_failed', (err as Error).message);
    }
    const parsed = parseContent(plaintext);
    if (!parsed.ok) return unreadable('invalid_content', parsed.error);
    await tools.deliver(() => this.sink.groupMessage({
      ...tools.base(), groupId: payload.groupId, content: parsed.content, encrypted, clientMessageId: payload.clientMessageId,
    }));
  }

  private async open(ev: EnvelopeEvent, payload: EnvelopeGroupMessagePayload): Promise<Uint8Array> {
    if (payload.type === 'plaintext') return fromBase64(payload.body, 'plaintext body');
    const bytes = fromBase64(payload.body, 'ciphertext');
    const sender = { phone: ev.sender.phone, deviceId: ev.sender.deviceId };
    const announced = await this.stores.groups.senderDistribution(payload.groupId, sender);
    const used = SenderKeyMessage.deserialize(new Uint8Array(bytes)).distributionId();
    if (announced !== used) throw new Error('no sender key from this sender for this group (not distributed to us, or for another group)');
    // the sender key's step and the kept plaintext in one transaction (signal/staged-writes.ts)
    const d = this.stores.decryption();
    const plaintext = await groupDecrypt(ProtocolAddress.new(sender.phone, sender.deviceId), d.senderKey, new Uint8Array(bytes));
    await d.pending.put(ev.envelopeId, plaintext);
    d.commit();
    return plaintext;
  }
}
