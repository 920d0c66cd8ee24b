/**
 * What makes two appservice transactions "the same": the events they carry, by event ID,
 * and everything else in the body (ephemeral events, to-device messages) as it is. A
 * transaction ID alone is not enough: a homeserver may start its IDs again after a restart
 * (Synapse on SQLite did), and the bridge answered new events "already handled". Timeline
 * events count by ID only because a homeserver re-serialises them on a retry (Synapse
 * recomputes `unsigned.age` each time), which must not make a retry look new.
 */
import { createHash } from 'node:crypto';

export interface TransactionBody {
  events?: unknown;
  ephemeral?: unknown;
  'de.sorunome.msc2409.ephemeral'?: unknown;
  [key: string]: unknown;
}

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function eventKey(event: unknown): unknown {
  const id = typeof event === 'object' && event !== null ? (event as { event_id?: unknown }).event_id : undefined;
  return typeof id === 'string' ? id : event;
}

/** A hex SHA-256 of the transaction's contents (events by ID, the rest as sent). */
export function transactionHash(body: TransactionBody): string {
  const events = Array.isArray(body.events) ? body.events.map(eventKey) : body.events;
  return createHash('sha256').update(canonical({ ...body, events })).digest('hex');
}
