/**
 * Reading untrusted Matrix event content: relations, reply fallbacks, geo: URIs, media
 * fields. Every field is type-checked here, because events come from any client on any
 * server and a wrong type must become a clear "cannot bridge", never an exception.
 */
import type { MatrixRoomEvent } from './matrix-types';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;

/** The Matrix event IDs an event points at, which the caller maps to remote message IDs. */
export interface MatrixRelations {
  /** the message this one answers (threads are flattened into replies to their root) */
  replyTo?: string;
  /** the original message this edit replaces */
  replaces?: string;
  /** the message a reaction is on */
  reactsTo?: string;
  /** the event a redaction removes */
  redacts?: string;
}

export function matrixRelations(event: MatrixRoomEvent): MatrixRelations {
  const content = isObject(event.content) ? event.content : {};
  const relations: MatrixRelations = {};
  if (event.type === 'm.room.redaction') {
    // room v11 moved `redacts` into content; older rooms have it at the top level
    const redacts = str(content.redacts) ?? str(event.redacts);
    if (redacts) relations.redacts = redacts;
    return relations;
  }
  const rel = isObject(content['m.relates_to']) ? content['m.relates_to'] : undefined;
  if (!rel) return relations;
  const relType = str(rel.rel_type);
  const target = str(rel.event_id);
  const inReplyTo = isObject(rel['m.in_reply_to']) ? str(rel['m.in_reply_to'].event_id) : undefined;
  if (relType === 'm.replace' && target) relations.replaces = target;
  else if (relType === 'm.annotation' && target) relations.reactsTo = target;
  else if (relType === 'm.thread' && target) {
    // WhatsApp has no threads: a threaded message answers the message it explicitly
    // replies to, or else the thread root (is_falling_back marks a reply that is not one)
    relations.replyTo = inReplyTo && rel.is_falling_back !== true ? inReplyTo : target;
  } else if (inReplyTo) relations.replyTo = inReplyTo;
  return relations;
}

/**
 * Strip a rich-reply fallback from a plain body: the leading `> <@user:server> …` quote
 * lines and the blank line after them. Only that shape is stripped (the fallback always
 * starts by naming the quoted sender), so a reply that itself opens with a quote of the
 * user's own keeps it. Clients stopped sending fallbacks with Matrix v1.13 (MSC2781);
 * older clients still do.
 */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  if (!/^> (\* )?<[@!]?[^>\s]+> /.test(lines[0] ?? '')) return body;
  let i = 0;
  while (i < lines.length && lines[i].startsWith('>')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

export interface GeoPoint {
  latitude: number;
  longitude: number;
}

const GEO_NUMBER = '(-?\\d{1,3}(?:\\.\\d+)?)';
const GEO_URI = new RegExp(`^geo:${GEO_NUMBER},${GEO_NUMBER}(?:,-?\\d+(?:\\.\\d+)?)?((?:;[^;]*)*)$`, 'i');

/**
 * Parse an RFC 5870 `geo:` URI (`geo:lat,lon[,alt][;crs=wgs84][;u=…]`). Returns undefined
 * for anything that is not a WGS-84 point in range.
 */
export function parseGeoUri(uri: string): GeoPoint | undefined {
  const match = GEO_URI.exec(uri.trim());
  if (!match) return undefined;
  const latitude = Number(match[1]);
  const longitude = Number(match[2]);
  const params = match[3].toLowerCase();
  const crs = /;crs=([^;]*)/.exec(params)?.[1];
  if (crs !== undefined && crs !== 'wgs84') return undefined;
  if (!(Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180)) return undefined;
  return { latitude, longitude };
}

/** A reaction key WhatsApp-style networks accept: exactly one emoji. */
export function isSingleEmoji(key: string): boolean {
  if (key.length > 32) return false;
  // an RGI emoji sequence, or one pictograph with or without the emoji variation selector
  return new RegExp('^\\p{RGI_Emoji}$', 'v').test(key) || /^\p{Extended_Pictographic}\uFE0F?$/u.test(key);
}
