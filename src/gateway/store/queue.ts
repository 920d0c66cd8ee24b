/**
 * Per-device store-and-forward queues and the record of accepted submissions (idempotency).
 * Each device's queue is read per sender (indexed by sender phone): delivery keeps one window
 * per sender, so one contact's unacknowledged backlog never hides another contact's envelopes.
 */
import type { EnvelopeEvent, SenderInfo } from '../../protocol/frames';
import type { Db } from './database';

type Payload = EnvelopeEvent['payload'];

interface RawEnvelope {
  seq: number;
  serverTs: number;
  sender: string;
  payload: string;
}

export class QueueStore {
  private readonly enqueueStmt;
  private readonly afterStmt;
  private readonly sendersStmt;
  private readonly countStmt;
  private readonly ackStmt;
  private readonly findSubmissionStmt;
  private readonly recordSubmissionStmt;
  private readonly pruneStmt;
  private readonly enqueueTx;
  private readonly submitTx;

  constructor(db: Db) {
    this.enqueueStmt = db.prepare<[string, number, string, string, number, string]>(
      'INSERT INTO queue (phone, device_id, sender_phone, sender, server_ts, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.afterStmt = db.prepare<[string, number, string, number, number], RawEnvelope>(
      `SELECT seq, server_ts AS serverTs, sender, payload FROM queue
       WHERE phone = ? AND device_id = ? AND sender_phone = ? AND seq > ? ORDER BY seq LIMIT ?`,
    );
    // distinct senders by skipping through the index: one lookup per sender, however long
    // each sender's backlog is (a plain GROUP BY would walk every queued row)
    this.sendersStmt = db.prepare<[{ phone: string; deviceId: number }], { sender: string }>(
      `WITH RECURSIVE s(sender) AS (
         SELECT MIN(sender_phone) FROM queue WHERE phone = @phone AND device_id = @deviceId
         UNION ALL
         SELECT (SELECT MIN(sender_phone) FROM queue WHERE phone = @phone AND device_id = @deviceId AND sender_phone > s.sender)
         FROM s WHERE s.sender IS NOT NULL
       ) SELECT sender FROM s WHERE sender IS NOT NULL`,
    );
    this.countStmt = db.prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM queue WHERE phone = ? AND device_id = ?');
    this.ackStmt = db.prepare<[number, string, number]>('DELETE FROM queue WHERE seq = ? AND phone = ? AND device_id = ?');
    this.findSubmissionStmt = db.prepare<[string, string], { serverTs: number }>(
      'SELECT server_ts AS serverTs FROM submissions WHERE sender_phone = ? AND client_message_id = ?',
    );
    this.recordSubmissionStmt = db.prepare<[string, string, number]>(
      'INSERT INTO submissions (sender_phone, client_message_id, server_ts) VALUES (?, ?, ?)',
    );
    this.pruneStmt = db.prepare<[number]>('DELETE FROM submissions WHERE server_ts < ?');
    // transaction wrappers built once: building one per call costs more than the inserts
    this.enqueueTx = db.transaction(
      (phone: string, deviceIds: readonly number[], sender: SenderInfo, serverTs: number, payloads: readonly Payload[]) => {
        const senderJson = JSON.stringify(sender);
        return deviceIds.map((deviceId, i) =>
          Number(this.enqueueStmt.run(phone, deviceId, sender.phone, senderJson, serverTs, JSON.stringify(payloads[i])).lastInsertRowid),
        );
      },
    );
    this.submitTx = db.transaction(
      (senderPhone: string, clientMessageId: string, recipientPhone: string, deviceIds: readonly number[],
        sender: SenderInfo, serverTs: number, payloads: readonly Payload[]) => {
        this.recordSubmissionStmt.run(senderPhone, clientMessageId, serverTs);
        return this.enqueueTx(recipientPhone, deviceIds, sender, serverTs, payloads);
      },
    );
  }

  /** Queues one payload for each listed device, all in one transaction; returns their sequence numbers. */
  enqueue(phone: string, deviceIds: readonly number[], sender: SenderInfo, serverTs: number, payloads: readonly Payload[]): number[] {
    return this.enqueueTx(phone, deviceIds, sender, serverTs, payloads);
  }

  /** Phones of everyone with envelopes queued for a device. */
  senders(phone: string, deviceId: number): string[] {
    return this.sendersStmt.all({ phone, deviceId }).map((r) => r.sender);
  }

  /** Envelopes from one sender to a device after `afterSeq`, oldest first. */
  after(phone: string, deviceId: number, senderPhone: string, afterSeq: number, limit: number): { seq: number; event: EnvelopeEvent }[] {
    return this.afterStmt.all(phone, deviceId, senderPhone, afterSeq, limit).map((r) => ({
      seq: r.seq,
      event: {
        recipient: { phone, deviceId },
        envelopeId: String(r.seq),
        sender: JSON.parse(r.sender) as SenderInfo,
        serverTimestamp: r.serverTs,
        payload: JSON.parse(r.payload) as Payload,
      },
    }));
  }

  count(phone: string, deviceId: number): number {
    return this.countStmt.get(phone, deviceId)?.n ?? 0;
  }

  /** true if the envelope was there (and is now gone). */
  ack(phone: string, deviceId: number, seq: number): boolean {
    return this.ackStmt.run(seq, phone, deviceId).changes > 0;
  }

  findSubmission(senderPhone: string, clientMessageId: string): number | undefined {
    return this.findSubmissionStmt.get(senderPhone, clientMessageId)?.serverTs;
  }

  /** Records a submission and queues its envelopes atomically: both or neither survive a crash. */
  submit(
    senderPhone: string,
    clientMessageId: string,
    recipientPhone: string,
    deviceIds: readonly number[],
    sender: SenderInfo,
    serverTs: number,
    payloads: readonly Payload[],
  ): number[] {
    return this.submitTx(senderPhone, clientMessageId, recipientPhone, deviceIds, sender, serverTs, payloads);
  }

  /** Records an accepted submission whose envelopes were queued separately in the same
   *  transaction (a group message: one enqueue per member). */
  remember(senderPhone: string, clientMessageId: string, serverTs: number): void {
    this.recordSubmissionStmt.run(senderPhone, clientMessageId, serverTs);
  }

  pruneSubmissions(olderThan: number): number {
    return this.pruneStmt.run(olderThan).changes;
  }
}
