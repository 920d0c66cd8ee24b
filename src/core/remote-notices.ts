/**
 * What the room is told when remote → Matrix delivery did not go as it should: a message that
 * could not be bridged at all (why, in plain words), and the start of a stretch of messages
 * that arrive late (the bridge could not deliver them at the time). Pure text; no I/O.
 */
import { noticeContent, undeliverableNotice } from '../convert';
import { isServerError } from './errors';
import type { Ending } from './persistence';

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} seconds`;
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `${Math.round(minutes / 60)} hours`;
}

/** The notice that stands for a remote message the bridge gave up on. */
export function givenUpNotice(contactName: string, sentAt: number, ending: Ending, maxAgeSeconds: number): object {
  const reason = ending.error.message;
  const why =
    ending.kind === 'refused'
      ? `the homeserver refused it (${reason})`
      : ending.kind === 'poison'
        ? isServerError(ending.error)
          ? `the homeserver failed on this message again and again while it handled everything else (${reason})`
          : `the bridge failed on this message again and again (${reason})`
        : `it could not be delivered within ${duration(maxAgeSeconds * 1000)} (last error: ${reason})`;
  return undeliverableNotice(`a message from ${contactName}`, `It was sent at ${clock(sentAt)} and could not be shown here: ${why}. Ask them to send it again.`);
}

/** Before the first of a stretch of late messages: they are dated when they were sent. */
export function lateNotice(contactName: string, sentAt: number, now: number): Record<string, unknown> {
  return noticeContent(
    `⏳ Delayed: the messages from ${contactName} that follow could not be delivered at the time and arrive ` +
      `${duration(now - sentAt)} late (the first was sent at ${clock(sentAt)}). Each is dated when it was sent.`,
  );
}

/** Stands for an unreadable remote message; `earlier` counts those of the last stretch that
 *  got no notice of their own and were not summarised yet (a restart in between). */
export function unreadableNotice(contactPhone: string, reason: string, earlier?: { count: number; since: number }): object {
  const before = earlier && earlier.count > 0
    ? ` Before it, ${plural(earlier.count, 'more message')} from them since ${clock(earlier.since)} could not be read either.`
    : '';
  return undeliverableNotice('a message', `It arrived from ${contactPhone} but could not be read (${reason}). Ask them to send it again.${before}`);
}

/** Ends a stretch of unreadable messages that were counted instead of each getting a notice. */
export function unreadableSummaryNotice(contactPhone: string, count: number, since: number, until: number): object {
  return undeliverableNotice(
    plural(count, 'more message'),
    `They arrived from ${contactPhone} between ${clock(since)} and ${clock(until)} and could not be read either; ` +
      'the bridge counts such messages instead of posting a notice for each. Ask them to send again what is missing.',
  );
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
