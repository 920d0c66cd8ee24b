/**
 * Remote read statuses as Matrix read receipts. A status names messages; its receipt marks
 * the newest of them that reached Matrix. Statuses wait their turn in the chat's line like
 * messages (remote-intake.ts), and after an outage several may wait there: a receipt for a
 * newer message says the older ones too, so a status that a newer one arrived after sends no
 * receipt of its own.
 */
import { remoteStatusToMatrix } from '../convert';
import type { MessageRepository } from '../store';

export class ReadReceipts {
  /** per contact, the timestamp of the newest message a read status that arrived names */
  private readonly newest = new Map<string, number>();

  constructor(private readonly messages: MessageRepository, private readonly owner: string) {}

  /** When a status arrives, before it waits in line: it may be the newest read so far. */
  async arrived(from: string, status: 'delivered' | 'read', messageIds: readonly string[]): Promise<void> {
    const target = await this.target(from, status, messageIds);
    if (target) this.newest.set(from, Math.max(this.newest.get(from) ?? 0, target.ts));
  }

  /** At its turn: the event to mark read, or undefined (not a read, nothing bridged, or a
   *  newer read status covers it). */
  async due(from: string, status: 'delivered' | 'read', messageIds: readonly string[]): Promise<string | undefined> {
    const target = await this.target(from, status, messageIds);
    if (!target || target.ts < (this.newest.get(from) ?? 0)) return undefined;
    return target.eventId;
  }

  private async target(from: string, status: 'delivered' | 'read', messageIds: readonly string[]): Promise<{ eventId: string; ts: number } | undefined> {
    const events: { eventId: string; ts: number }[] = [];
    for (const id of messageIds) {
      const first = (await this.messages.byRemoteId(this.owner, from, id)).find((m) => m.eventId.startsWith('$'));
      if (first) events.push({ eventId: first.eventId, ts: first.timestamp });
    }
    const action = remoteStatusToMatrix(status, events);
    return action.type === 'read-receipt' ? events.find((e) => e.eventId === action.eventId) : undefined;
  }
}
