/**
 * Remote `Content` → the Matrix actions the caller performs as the sender's ghost.
 *
 * Pure: the caller resolves IDs first (remote message IDs → Matrix event IDs, via its
 * message map) and uploads media (passing the mxc:// URIs); this file only decides what
 * to send.
 *
 * Replies carry only `m.relates_to.m.in_reply_to`, no quoted fallback in body or
 * formatted_body: Matrix v1.13 removed reply fallbacks (MSC2781), every current client
 * renders replies from the relation, and a fallback would put the quoted text into the
 * event a second time.
 */
import type { Content, MessageContent, ReactionContent, UnsupportedContent } from '../protocol/content';
import type { ReactionEventContent, RoomMessageContent, StickerContent, TextMessageContent } from './matrix-types';
import { cleanQuoted, undeliverableNotice } from './notices';
import { partEvents, type MediaUpload, type PartEvent } from './remote-parts';
import { wellFormed } from './well-formed';

export type { MediaUpload } from './remote-parts';

export type MatrixAction =
  /** send an event; `primary` marks the one that stands for the remote message (edits, replies and reactions point at it) */
  | { type: 'message'; eventType: 'm.room.message'; content: RoomMessageContent; primary: boolean }
  | { type: 'message'; eventType: 'm.sticker'; content: StickerContent; primary: boolean }
  | { type: 'reaction'; eventType: 'm.reaction'; content: ReactionEventContent }
  | { type: 'redact'; eventId: string; reason: string }
  /** tell the room that something did not arrive (sent as m.room.message, msgtype m.notice) */
  | { type: 'notice'; eventType: 'm.room.message'; content: TextMessageContent };

/** Matrix-side IDs and uploads the caller resolved for one piece of remote content. */
export interface RemoteToMatrixRefs {
  /** Matrix event of `inReplyTo`; undefined when the bridge never saw that message */
  replyTo?: string;
  /**
   * Matrix events that carry the message named by `replaces` (edit, delete) or by a
   * reaction's `target`, primary event first. A delete redacts them all.
   */
  targets?: readonly string[];
  /** this sender's current reaction on the target: redacted when they change or remove it */
  previousReaction?: string;
  /** upload result per part index of `content.parts` */
  media?: Readonly<Record<number, MediaUpload>>;
}

function toAction(part: PartEvent, primary: boolean): MatrixAction {
  if (part.notice) return { type: 'notice', eventType: 'm.room.message', content: part.content };
  if (part.eventType === 'm.sticker') return { type: 'message', eventType: 'm.sticker', content: part.content, primary };
  return { type: 'message', eventType: 'm.room.message', content: part.content, primary };
}

function newMessage(content: MessageContent, refs: RemoteToMatrixRefs): MatrixAction[] {
  const events = partEvents(content.parts, refs.media);
  const firstReal = events.findIndex((e) => !e.notice);
  return events.map((event, i) => {
    const action = toAction(event, i === firstReal);
    // the reply relation goes on the first event: that is the one people read first
    if (i === 0 && refs.replyTo && action.type !== 'redact' && action.type !== 'reaction') {
      action.content['m.relates_to'] = { 'm.in_reply_to': { event_id: refs.replyTo } };
    }
    return action;
  });
}

function editMessage(content: MessageContent, target: string, refs: RemoteToMatrixRefs): MatrixAction[] {
  const [first, ...rest] = partEvents(content.parts, refs.media);
  if (first.notice || first.eventType !== 'm.room.message') {
    return [noticeAction(undeliverableNotice('an edit', 'Its new content cannot replace a message in Matrix.'))];
  }
  const newContent = { ...first.content };
  const star = (s: string) => `* ${s}`;
  const edit = {
    ...first.content,
    body: star(first.content.body),
    ...(first.content.formatted_body ? { formatted_body: star(first.content.formatted_body) } : {}),
    'm.new_content': newContent,
    'm.relates_to': { rel_type: 'm.replace', event_id: target },
  } as RoomMessageContent;
  const actions: MatrixAction[] = [{ type: 'message', eventType: 'm.room.message', content: edit, primary: false }];
  if (rest.length > 0) {
    actions.push(noticeAction(undeliverableNotice('part of an edit', 'Matrix can only change one message per edit; only the first part was updated.')));
  }
  return actions;
}

function noticeAction(content: TextMessageContent): MatrixAction {
  return { type: 'notice', eventType: 'm.room.message', content };
}

function messageActions(content: MessageContent, refs: RemoteToMatrixRefs): MatrixAction[] {
  const targets = refs.targets ?? [];
  if (content.replaces !== undefined) {
    if (content.parts.length === 0) {
      // delete: a message the bridge never showed needs nothing
      return targets.map((eventId) => ({ type: 'redact', eventId, reason: 'Deleted by the sender' }));
    }
    // an edit of a message Matrix never saw: show the new text rather than lose it
    if (targets.length > 0) return editMessage(content, targets[0], refs);
  }
  return newMessage(content, refs);
}

/**
 * WhatsApp-style reactions: one per person per message, a new one replaces the old one,
 * an empty emoji removes it. Matrix allows many, so the old one is redacted first.
 */
function reactionActions(content: ReactionContent, refs: RemoteToMatrixRefs): MatrixAction[] {
  const actions: MatrixAction[] = [];
  if (refs.previousReaction) actions.push({ type: 'redact', eventId: refs.previousReaction, reason: 'Reaction removed' });
  const target = refs.targets?.[0];
  if (content.emoji !== '' && target) {
    actions.push({
      type: 'reaction',
      eventType: 'm.reaction',
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: cleanQuoted(content.emoji, 64) } },
    });
  }
  return actions;
}

function unsupportedActions(content: UnsupportedContent): MatrixAction[] {
  const name = cleanQuoted(String(content.original ?? ''), 60) || 'message';
  const what = /^[aeiou]/i.test(name) ? `an ${name}` : `a ${name}`;
  const why = `The sender's app sent something this bridge cannot show in Matrix yet (“${name}”).`;
  const fallback = typeof content.fallbackText === 'string' ? content.fallbackText : undefined;
  return [noticeAction(undeliverableNotice(what, why, fallback))];
}

/** Remote content → the Matrix actions to perform, in order. Never throws on odd content.
 *  Lone surrogates in its strings become U+FFFD: the homeserver fails on them (5xx). */
export function remoteToMatrix(remote: Content, refs: RemoteToMatrixRefs = {}): MatrixAction[] {
  const content = wellFormed(remote);
  switch (content.kind) {
    case 'message':
      return messageActions({ ...content, parts: Array.isArray(content.parts) ? content.parts : [] }, refs);
    case 'reaction':
      return reactionActions(content, refs);
    case 'unsupported':
      return unsupportedActions(content);
    default: {
      const kind = cleanQuoted(String((content as { kind?: unknown }).kind), 40);
      return [noticeAction(undeliverableNotice(`a message of kind “${kind}”`, 'This bridge does not know that kind of content.'))];
    }
  }
}
