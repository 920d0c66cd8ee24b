/**
 * What a simulated phone shows: chats by peer, messages in order, with edits, deletes,
 * reactions and receipts applied. In memory only; the Signal keys are what persists.
 */
import type { Content, ContentPart, MessageContent } from '../protocol/content';
import { isDelete, isEdit } from '../protocol/content';

export interface ChatMessage {
  messageId: string;
  from: 'me' | 'them';
  /** current parts (after edits); empty once deleted */
  parts: ContentPart[];
  timestamp: number;
  serverTimestamp?: number;
  inReplyTo?: string;
  edited: boolean;
  deleted: boolean;
  /** reactions by reacting phone */
  reactions: Map<string, string>;
  /** my messages: how far they got */
  status?: 'sent' | 'delivered' | 'read';
  /** their messages: whether I marked them read */
  readByMe?: boolean;
  /** false when it crossed the network in plaintext (provider without e2ee) */
  encrypted: boolean;
  /** the sender's device is behind a bridge */
  bridged?: boolean;
  /** kinds this version cannot show (e.g. "poll"), with the fallback text */
  unsupported?: { original: string; fallbackText?: string };
}

export interface ChatSummary {
  peer: string;
  messages: number;
  unread: number;
  last?: string;
}

const STATUS_RANK = { sent: 0, delivered: 1, read: 2 } as const;

export function textOf(parts: ContentPart[]): string {
  return parts
    .map((p) => {
      if (p.type === 'text') return p.body;
      if (p.type === 'attachment') return `[${p.kind}: ${p.fileName ?? p.mimeType}, ${p.size} bytes]${p.caption ? ` ${p.caption}` : ''}`;
      return `[location ${p.latitude},${p.longitude}${p.name ? ` ${p.name}` : ''}]`;
    })
    .join(' ');
}

export class ChatLog {
  private readonly chats = new Map<string, ChatMessage[]>();
  /** peer → messageId → message, so lookups stay cheap in long chats */
  private readonly index = new Map<string, Map<string, ChatMessage>>();
  /** reactions, edits and deletes already applied (they have no entry of their own) */
  private readonly seenSideEffects = new Set<string>();

  history(peer: string): ChatMessage[] {
    return this.chats.get(peer) ?? [];
  }

  find(peer: string, messageId: string): ChatMessage | undefined {
    return this.index.get(peer)?.get(messageId);
  }

  private list(peer: string): ChatMessage[] {
    let l = this.chats.get(peer);
    if (!l) this.chats.set(peer, (l = []));
    return l;
  }

  /**
   * Applies content sent by me or received from `peer`. Returns false for a repeat
   * (same messageId seen before): the network may deliver twice, the phone shows once.
   */
  apply(peer: string, from: 'me' | 'them', content: Content, extra: { serverTimestamp?: number; encrypted: boolean; bridged?: boolean }): boolean {
    const list = this.list(peer);
    if (this.find(peer, content.messageId) || this.seenSideEffects.has(`${peer}/${content.messageId}`)) return false;
    if (content.kind === 'reaction') {
      this.seenSideEffects.add(`${peer}/${content.messageId}`);
      const target = this.find(peer, content.target);
      const who = from === 'me' ? 'me' : peer;
      if (target) {
        if (content.emoji === '') target.reactions.delete(who);
        else target.reactions.set(who, content.emoji);
      }
      return true;
    }
    if (content.kind === 'message' && content.replaces !== undefined) {
      this.seenSideEffects.add(`${peer}/${content.messageId}`);
      const target = this.find(peer, content.replaces);
      // Only the author may edit or delete a message.
      if (target && target.from === from) {
        if (isDelete(content)) {
          target.deleted = true;
          target.parts = [];
        } else if (isEdit(content)) {
          target.edited = true;
          target.parts = content.parts;
        }
      }
      return true;
    }
    const message = content.kind === 'message' ? (content as MessageContent) : undefined;
    const entry: ChatMessage = {
      messageId: content.messageId,
      from,
      parts: message?.parts ?? [],
      timestamp: content.timestamp,
      serverTimestamp: extra.serverTimestamp,
      inReplyTo: message?.inReplyTo,
      edited: false,
      deleted: false,
      reactions: new Map(),
      status: from === 'me' ? 'sent' : undefined,
      readByMe: from === 'them' ? false : undefined,
      encrypted: extra.encrypted,
      bridged: extra.bridged,
      unsupported: content.kind === 'unsupported' ? { original: content.original, fallbackText: content.fallbackText } : undefined,
    };
    list.push(entry);
    let byId = this.index.get(peer);
    if (!byId) this.index.set(peer, (byId = new Map()));
    byId.set(entry.messageId, entry);
    return true;
  }

  /** Receipts only move forward: a late "delivered" does not undo "read". */
  applyStatus(peer: string, status: 'delivered' | 'read', messageIds: string[]): void {
    for (const id of messageIds) {
      const m = this.find(peer, id);
      if (m && m.from === 'me' && STATUS_RANK[status] > STATUS_RANK[m.status ?? 'sent']) m.status = status;
    }
  }

  /** Marks their unread messages read; returns the ids that changed. */
  markRead(peer: string): string[] {
    const ids: string[] = [];
    for (const m of this.history(peer)) {
      if (m.from === 'them' && !m.readByMe) {
        m.readByMe = true;
        ids.push(m.messageId);
      }
    }
    return ids;
  }

  summaries(): ChatSummary[] {
    return [...this.chats.entries()].map(([peer, list]) => {
      const last = list[list.length - 1];
      return {
        peer,
        messages: list.length,
        unread: list.filter((m) => m.from === 'them' && !m.readByMe).length,
        last: last ? (last.deleted ? '(deleted)' : textOf(last.parts)) : undefined,
      };
    });
  }
}
