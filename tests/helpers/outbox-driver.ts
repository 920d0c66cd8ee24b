// Drives the outbox through the core harness: the owner's Matrix events go in through
// matrixIntake like the homeserver's, and tests wait for what must happen (delivery after
// N failed rounds, a notice) instead of sleeping for a guessed time. Kept apart from
// core-harness.ts so the outbox tests add no names to the shared harness.
import { startCoreHarness, type CoreHarness, type SentEvent } from './core-harness';
import type { E164 } from '../../src/network/phone';
import type { Content } from '../../src/protocol/content';

let counter = 0;

/** Polls `check` until it returns something truthy; fails the test after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Sends an event as `sender` into `roomId` through the intake; returns its event ID. */
export async function fromMatrix(h: CoreHarness, roomId: string, sender: string, type: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<string> {
  const eventId = `$ev${++counter}-${Date.now()}`;
  await h.core.matrixIntake.onEvent({ type, event_id: eventId, room_id: roomId, sender, content, origin_server_ts: Date.now(), ...extra });
  return eventId;
}

export const text = (body: string): Record<string, unknown> => ({ msgtype: 'm.text', body });

/** The text bodies that reached the network, in order. */
export function sentTexts(sent: { content: Content }[]): string[] {
  return sent.flatMap((s) => (s.content.kind === 'message' ? s.content.parts : []).flatMap((p) => (p.type === 'text' ? [p.body] : [])));
}

/** Notices the bot posted in a room (m.notice bodies), in order; only those after the
 *  first `after` events of the fake homeserver (to skip the portal's security notice). */
export function notices(h: CoreHarness, roomId: string, after = 0): string[] {
  return h.matrix.events
    .slice(after)
    .filter((e) => e.roomId === roomId)
    .filter((e) => e.asUser === h.matrix.botUserId && e.eventType === 'm.room.message' && e.content.msgtype === 'm.notice')
    .map((e) => String(e.content.body));
}

/** com.beeper.message_send_status events about one Matrix event, in order. */
export function statuses(h: CoreHarness, eventId: string): SentEvent[] {
  return h.matrix.events.filter(
    (e) => e.eventType === 'com.beeper.message_send_status' && (e.content['m.relates_to'] as { event_id?: string } | undefined)?.event_id === eventId,
  );
}

/** The owner logged in with a portal to the contact (made by core, no message yet): what most outbox
 *  tests start from. `said()` lists the notices sent to the room since. */
export async function ownerWithPortal(t: { after: (fn: () => Promise<void>) => void }, owner: string, ownerPhone: E164, contact: E164) {
  const h = await startCoreHarness();
  t.after(() => h.stop());
  const session = await h.login(owner, ownerPhone);
  const { roomId } = await h.core.portals.ensure(owner, contact);
  const before = h.matrix.events.length;
  return { h, session, roomId, said: () => notices(h, roomId, before) };
}
