/**
 * Moves the attachments of a remote message to the homeserver's media repository before the
 * message is bridged: download from the network (digest checked, decrypted), upload as the
 * ghost. A part that cannot be moved becomes a `{ failed }` entry, which the converter turns
 * into a notice, so nothing is half-sent and nothing is silently dropped.
 */
import type { MediaUpload } from '../convert';
import type { RemoteSession } from '../network/remote-network';
import type { Content } from '../protocol/content';
import type { CoreContext } from './context';

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export async function moveRemoteMedia(
  ctx: CoreContext,
  session: RemoteSession | undefined,
  ghost: string,
  content: Content,
): Promise<Record<number, MediaUpload>> {
  const media: Record<number, MediaUpload> = {};
  if (content.kind !== 'message') return media;
  const limit = ctx.config.bridge.max_media_bytes;
  for (const [index, part] of content.parts.entries()) {
    if (part.type !== 'attachment') continue;
    if (part.size > limit) {
      media[index] = { failed: `it is ${megabytes(part.size)}, over this bridge's limit of ${megabytes(limit)}` };
      continue;
    }
    if (!session) {
      media[index] = { failed: 'the bridge is not connected to the network' };
      continue;
    }
    try {
      const bytes = await session.downloadAttachment(part);
      if (bytes.length > limit) {
        media[index] = { failed: `it is ${megabytes(bytes.length)}, over this bridge's limit of ${megabytes(limit)}` };
        continue;
      }
      media[index] = await ctx.matrix.uploadMedia(ghost, bytes, part.mimeType, part.fileName);
    } catch (error) {
      ctx.log.warn(`attachment ${index} of ${content.messageId} not bridged: ${(error as Error).message}`);
      media[index] = { failed: `it could not be fetched from the network (${(error as Error).message})` };
    }
  }
  return media;
}
