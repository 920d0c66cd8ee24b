/**
 * A Matrix room event → remote `Content`, or a "cannot bridge" with a reason people can
 * read (the caller posts `notice` in the room), or "ignore" for events that are not
 * messages at all (state, poll votes, …).
 *
 * Pure: the caller first asks `matrixRelations(event)` which Matrix events this one points
 * at, maps them to remote message IDs, and passes those in `refs`. Media is described
 * (`PendingAttachment`, with the mxc:// URL to fetch); the caller downloads, encrypts,
 * uploads and then calls `completeMediaMessage`.
 *
 * Only the owner's own messages and reactions can be changed on the network: an edit of the
 * contact's message is refused with a notice, a redaction of it (or of the contact's
 * reaction) stays on Matrix, because sending it would delete the contact's words as if they
 * had written the delete themselves.
 */
import type { AttachmentPart, Content, MessageContent } from '../protocol/content';
import { htmlToWaMarkup } from './html-to-wa';
import { HTML_FORMAT, LOCATION_KEY, type MatrixRoomEvent, type TextMessageContent } from './matrix-types';
import { isObject, isSingleEmoji, matrixRelations, parseGeoUri, str, stripReplyFallback, type Json } from './matrix-read';
import { firstCodePoints, mediaAttachment, type PendingAttachment } from './matrix-media';
import { cleanQuoted, undeliverableNotice } from './notices';

export { matrixRelations, type MatrixRelations } from './matrix-read';
export type { PendingAttachment } from './matrix-media';

/** Remote IDs the caller resolved for the relations of one Matrix event. */
export interface MatrixToRemoteRefs {
  /** remote message ID for the content this event becomes (chosen by the caller, unique per sender) */
  messageId: string;
  /** remote message ID of relations.replyTo, if known */
  replyTo?: string;
  /** remote message ID of relations.replaces or relations.reactsTo, if known */
  target?: string;
  /** relations.replaces is a message the owner wrote (only those can be edited) */
  targetIsOwn?: boolean;
  /** what relations.redacts was, per the caller's ID map; `own`: the owner wrote it */
  redacted?: { kind: 'message'; remoteId: string; own: boolean } | { kind: 'reaction'; targetRemoteId: string; own: boolean };
  /** used for m.emote ("* Alice waves") */
  senderName?: string;
  /** used when the event has no origin_server_ts */
  now?: number;
}

export type MatrixToRemote =
  | { type: 'send'; content: Content }
  /** upload `attachment`, then `completeMediaMessage(base, attachment, uploaded)` */
  | { type: 'send-media'; base: Omit<MessageContent, 'parts'>; attachment: PendingAttachment }
  | { type: 'cannot-bridge'; what: string; reason: string; notice: TextMessageContent }
  /** nothing to send; `notice`, if set, tells the room why */
  | { type: 'ignore'; why: string; notice?: TextMessageContent };

export interface UploadedMedia {
  mediaId: string;
  /** base64 secretbox key */
  key: string;
  /** base64 SHA-256 of the encrypted blob */
  digest: string;
  /** plaintext size in bytes, as downloaded */
  size: number;
}

export function completeMediaMessage(
  base: Omit<MessageContent, 'parts'>,
  attachment: PendingAttachment,
  uploaded: UploadedMedia,
): MessageContent {
  const { mxcUrl: _mxc, encryptedFile: _file, size: _size, ...described } = attachment;
  const part: AttachmentPart = { type: 'attachment', ...described, ...uploaded };
  return { ...base, parts: [part] };
}

/** the content schema's limit for a text part or caption, in code points */
const MAX_TEXT = 65_536;

/** origin_server_ts if it is a timestamp the content schema takes, else the caller's clock */
function timestampOf(event: MatrixRoomEvent, refs: MatrixToRemoteRefs): number {
  const ts = event.origin_server_ts;
  if (typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0) return ts;
  return refs.now ?? 0;
}

function cannotBridge(what: string, reason: string): MatrixToRemote {
  return { type: 'cannot-bridge', what, reason, notice: undeliverableNotice(what, reason) };
}

const POLL_TYPES = new Set(['m.poll.start', 'org.matrix.msc3381.poll.start']);
const POLL_FOLLOW_UPS = new Set(['m.poll.response', 'org.matrix.msc3381.poll.response', 'm.poll.end', 'org.matrix.msc3381.poll.end']);
const MEDIA_TYPES = new Set(['m.image', 'm.video', 'm.audio', 'm.file']);

/** Text of a text-like message as WhatsApp markup, reply fallbacks stripped. */
function messageText(content: Json, isReply: boolean): { text: string; format: 'plain' | 'markdown-wa' } {
  const html = content.format === HTML_FORMAT ? str(content.formatted_body) : undefined;
  // <mx-reply> fallbacks are dropped by the HTML converter (a real parser, not a regex)
  if (html !== undefined) return htmlToWaMarkup(html);
  const body = str(content.body) ?? '';
  return { text: isReply ? stripReplyFallback(body) : body, format: 'plain' };
}

function fromMessage(event: MatrixRoomEvent, refs: MatrixToRemoteRefs): MatrixToRemote {
  const relations = matrixRelations(event);
  // an edit carries its real content in m.new_content, without fallbacks or the "* " prefix;
  // an edit of a message the remote side never got is sent as a new message, not lost
  const newContent = event.content['m.new_content'];
  const content = relations.replaces !== undefined && isObject(newContent) ? newContent : event.content;
  const isEdit = relations.replaces !== undefined && refs.target !== undefined;
  if (isEdit && refs.targetIsOwn !== true) {
    return cannotBridge('an edit of the contact’s message', 'Only your own messages can be edited; the contact still sees their message as they wrote it.');
  }
  const base: Omit<MessageContent, 'parts'> = {
    kind: 'message',
    messageId: refs.messageId,
    timestamp: timestampOf(event, refs),
    ...(isEdit ? { replaces: refs.target } : refs.replyTo ? { inReplyTo: refs.replyTo } : {}),
  };
  const isReply = relations.replyTo !== undefined && relations.replaces === undefined;
  const msgtype = str(content.msgtype);
  if (typeof content.body !== 'string') return cannotBridge('a malformed message', 'It has no text body.');

  if (msgtype === 'm.text' || msgtype === 'm.notice' || msgtype === 'm.emote') {
    const { text: said, format } = messageText(content, isReply);
    const text = msgtype === 'm.emote' ? `* ${refs.senderName ? `${refs.senderName} ` : ''}${said}` : said;
    if (text.trim() === '') return { type: 'ignore', why: 'the message is empty once reply fallbacks are removed' };
    return { type: 'send', content: { ...base, parts: [{ type: 'text', body: firstCodePoints(text, MAX_TEXT), format }] } };
  }
  if (msgtype !== undefined && MEDIA_TYPES.has(msgtype)) return fromMedia(content, base, isReply, false);
  if (msgtype === 'm.location') {
    const geoUri = str(content.geo_uri) ?? '';
    const point = parseGeoUri(geoUri);
    if (!point) return cannotBridge('a location', `Its geo: URI (“${cleanQuoted(geoUri, 80)}”) is not a valid location.`);
    const extensible = isObject(content[LOCATION_KEY]) ? content[LOCATION_KEY] : {};
    // Element's body is "Location geo:… at <time>": only worth sending as a name when it is one
    const described = str(extensible.description) ?? (/geo:/i.test(content.body) ? undefined : content.body);
    const name = described ? cleanQuoted(described, 300) : undefined;
    return { type: 'send', content: { ...base, parts: [{ type: 'location', ...point, ...(name ? { name } : {}) }] } };
  }
  if (msgtype === 'm.key.verification.request') return { type: 'ignore', why: 'key verification is between Matrix devices' };
  return cannotBridge(`a message of type “${cleanQuoted(msgtype ?? 'none', 60)}”`, 'This bridge does not know how to carry it.');
}

function fromMedia(content: Json, base: Omit<MessageContent, 'parts'>, isReply: boolean, sticker: boolean): MatrixToRemote {
  const media = mediaAttachment(content, sticker);
  if ('problem' in media) return cannotBridge(media.what, media.problem);
  const filename = str(content.filename);
  const hasCaption = !sticker && filename !== undefined && filename !== content.body;
  const attachment: PendingAttachment = { ...media.attachment };
  if (hasCaption) {
    const caption = messageText(content, isReply).text;
    if (caption.trim() !== '') attachment.caption = firstCodePoints(caption, MAX_TEXT);
  }
  return { type: 'send-media', base, attachment };
}

const REMOVED_HERE_ONLY =
  'Removed on Matrix only: the bridge cannot delete the contact’s messages or reactions, so they still have them.';

function fromRedaction(event: MatrixRoomEvent, refs: MatrixToRemoteRefs): MatrixToRemote {
  const timestamp = timestampOf(event, refs);
  const redacted = refs.redacted;
  if (!redacted) return { type: 'ignore', why: 'the redacted event was never bridged' };
  if (!redacted.own) {
    return { type: 'ignore', why: 'the redacted event is the contact’s', notice: { msgtype: 'm.notice', body: REMOVED_HERE_ONLY, 'm.mentions': {} } };
  }
  if (redacted.kind === 'reaction') {
    return { type: 'send', content: { kind: 'reaction', messageId: refs.messageId, timestamp, target: redacted.targetRemoteId, emoji: '' } };
  }
  return { type: 'send', content: { kind: 'message', messageId: refs.messageId, timestamp, replaces: redacted.remoteId, parts: [] } };
}

function fromReaction(event: MatrixRoomEvent, refs: MatrixToRemoteRefs): MatrixToRemote {
  const rel = isObject(event.content['m.relates_to']) ? event.content['m.relates_to'] : {};
  const key = str(rel.key);
  if (rel.rel_type !== 'm.annotation' || key === undefined) return { type: 'ignore', why: 'not an annotation' };
  if (refs.target === undefined) return { type: 'ignore', why: 'reaction to a message that was never bridged' };
  if (!isSingleEmoji(key)) {
    return cannotBridge(`the reaction “${cleanQuoted(key, 40)}”`, 'WhatsApp-style chats only take a single emoji as a reaction.');
  }
  const timestamp = timestampOf(event, refs);
  return { type: 'send', content: { kind: 'reaction', messageId: refs.messageId, timestamp, target: refs.target, emoji: key } };
}

/** Convert one Matrix room event. Never throws, whatever the event contains. */
export function matrixToRemote(event: MatrixRoomEvent, refs: MatrixToRemoteRefs): MatrixToRemote {
  if (!isObject(event) || typeof event.type !== 'string' || !isObject(event.content)) {
    return cannotBridge('a malformed event', 'It is not a valid Matrix event.');
  }
  if (event.state_key !== undefined) return { type: 'ignore', why: 'state events are not messages' };
  switch (event.type) {
    case 'm.room.message':
      return fromMessage(event, refs);
    case 'm.sticker': {
      const relations = matrixRelations(event);
      const base: Omit<MessageContent, 'parts'> = {
        kind: 'message',
        messageId: refs.messageId,
        timestamp: timestampOf(event, refs),
        ...(relations.replyTo && refs.replyTo ? { inReplyTo: refs.replyTo } : {}),
      };
      return fromMedia(event.content, base, false, true);
    }
    case 'm.reaction':
      return fromReaction(event, refs);
    case 'm.room.redaction':
      return fromRedaction(event, refs);
    case 'm.room.encrypted':
      return cannotBridge('an encrypted message', 'This bridge is set up not to read encrypted Matrix rooms (its admin can change that).');
    case 'm.call.invite':
      return cannotBridge('a call', 'This bridge does not carry calls.');
  }
  if (POLL_TYPES.has(event.type)) return cannotBridge('a poll', 'WhatsApp-style chats on this bridge cannot carry polls.');
  if (POLL_FOLLOW_UPS.has(event.type)) return { type: 'ignore', why: 'polls are not bridged, so neither are their votes' };
  return { type: 'ignore', why: `event type ${cleanQuoted(event.type, 80)} is not a message` };
}
