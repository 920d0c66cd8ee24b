/**
 * Matrix → remote content that the contact's chat cannot carry (the connector's
 * ChatCapabilities), named in words for the room's "Not delivered" notice. Edits, deletes,
 * reactions and media are checked; replies and text always go (a reply without its quote is
 * still the message).
 */
import type { ChatCapabilities } from '../network/remote-network';
import type { Content } from '../protocol/content';

/** what `content` needs that `capabilities` lacks, as words ("edits"); undefined: it can go */
export function missingCapability(content: Content, capabilities: ChatCapabilities | undefined): string | undefined {
  if (!capabilities) return undefined;
  if (content.kind === 'reaction') return capabilities.reactions === false ? 'reactions' : undefined;
  if (content.kind !== 'message') return undefined;
  if (content.replaces !== undefined && content.parts.length === 0) return capabilities.deletes === false ? 'deleting messages' : undefined;
  if (content.replaces !== undefined && capabilities.edits === false) return 'edits';
  if (capabilities.media === false && content.parts.some((p) => p.type === 'attachment')) return MEDIA;
  return undefined;
}

export const MEDIA = 'files and media';

/** the reason the room reads: "<network> does not carry edits in this chat" */
export function cannotCarry(network: string, missing: string): string {
  return `${network} does not carry ${missing} in this chat`;
}
