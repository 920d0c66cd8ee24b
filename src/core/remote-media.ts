/**
 * Moves the attachments of a remote message to the homeserver's media repository before the
 * message is bridged: download from the network (digest checked, decrypted), upload as the
 * ghost (encrypted first into an encrypted portal). A part that cannot be moved becomes a
 * `{ failed }` entry, which the converter turns into a notice, so nothing is half-sent and
 * nothing is silently dropped.
 *
 * Per part and only once: the caller names the parts whose events are still missing and
 * keeps the results between attempts, so a retry (after a failed send of a later part, say)
 * neither loses an attachment nor uploads it a second time. An upload that fails transiently
 * (homeserver down) throws, and the caller retries; only a refusal becomes a notice.
 */
import { partEventIndex, type MediaUpload } from '../convert';
import type { RemoteSession } from '../network/remote-network';
import type { Content } from '../protocol/content';
import type { CoreContext } from './context';
import { isPermanent } from './errors';

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Fills `moved` (part index → upload result) for every attachment part in `wanted` that has
 * no result yet, and returns all results.
 */
/** The parts whose events are still missing (by part index): their media is needed. An edit
 *  of a known message replaces it with its first part only. */
export function wantedParts(content: Content, editing: boolean, done: ReadonlySet<number>): Set<number> {
  if (content.kind !== 'message') return new Set();
  const eventOf = partEventIndex(content.parts);
  return new Set(content.parts.flatMap((_, i) => (done.has(eventOf[i]) || (editing && eventOf[i] !== 0) ? [] : [i])));
}

export async function moveRemoteMedia(
  ctx: CoreContext,
  session: RemoteSession | undefined,
  ghost: string,
  roomId: string,
  content: Content,
  wanted: ReadonlySet<number>,
  moved: Map<number, MediaUpload>,
): Promise<Record<number, MediaUpload>> {
  if (content.kind !== 'message') return {};
  const limit = ctx.config.bridge.max_media_bytes;
  const tooBig = (bytes: number) => ({ failed: `it is ${megabytes(bytes)}, over this bridge's limit of ${megabytes(limit)}` });
  for (const [index, part] of content.parts.entries()) {
    if (part.type !== 'attachment' || !wanted.has(index) || moved.has(index)) continue;
    if (part.size > limit) {
      moved.set(index, tooBig(part.size));
      continue;
    }
    // transient: the session comes back, or the intake stops and the network redelivers
    if (!session) throw new Error('the bridge is not connected to the network');
    let bytes: Uint8Array;
    try {
      bytes = await session.downloadAttachment(part);
    } catch (error) {
      // the connector already retried across disconnects; a blob that is gone or fails its
      // digest will not come back
      ctx.log.warn(`attachment ${index} of ${content.messageId} could not be fetched: ${(error as Error).message}`);
      moved.set(index, { failed: `it could not be fetched from the network (${(error as Error).message})` });
      continue;
    }
    if (bytes.length > limit) {
      moved.set(index, tooBig(bytes.length));
      continue;
    }
    try {
      // into an encrypted portal, the port uploads ciphertext and answers with the event's `file`
      moved.set(index, await ctx.matrix.uploadRoomMedia(ghost, roomId, bytes, part.mimeType, part.fileName));
    } catch (error) {
      if (!isPermanent(error)) throw error;
      ctx.log.warn(`attachment ${index} of ${content.messageId} refused by the homeserver: ${(error as Error).message}`);
      moved.set(index, { failed: `the homeserver refused the file (${(error as Error).message})` });
    }
  }
  return Object.fromEntries(moved);
}
