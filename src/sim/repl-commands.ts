/**
 * Commands of the interop-sim REPL, separated from the terminal handling so they can be
 * exercised by tests with plain strings. Messages are referred to by their number in
 * `history <phone>` (1 = oldest) or by their messageId.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AttachmentKind } from '../protocol/content';
import { textOf, type ChatMessage } from './chat-log';
import { GROUP_HELP, runGroupCommand } from './group-commands';
import type { SimUser } from './sim-user';

export const HELP = `commands:
  send <phone> <text>             send a text message
  reply <phone> <n|id> <text>     reply to message n of 'history <phone>'
  react <phone> <n|id> <emoji>    react (an empty emoji: react <phone> <n> -  removes it)
  edit <phone> <n|id> <text>      edit one of your messages
  delete <phone> <n|id>           delete one of your messages
  file <phone> <path> [caption]   send a file (encrypted, uploaded to the network)
  typing <phone> [on|off]         typing indicator
  read <phone>                    mark their messages read (sends a read receipt)
  chats                           list chats
  history <phone>                 show a chat
  safety <phone>                  show the safety number(s) with that contact
  profile <phone>                 show a contact's profile
  whoami                          this phone number and device
${GROUP_HELP}
  help, quit`;

const KIND_BY_EXT: Record<string, { kind: AttachmentKind; mime: string }> = {
  png: { kind: 'image', mime: 'image/png' },
  jpg: { kind: 'image', mime: 'image/jpeg' },
  jpeg: { kind: 'image', mime: 'image/jpeg' },
  gif: { kind: 'image', mime: 'image/gif' },
  mp4: { kind: 'video', mime: 'video/mp4' },
  ogg: { kind: 'voice', mime: 'audio/ogg' },
  mp3: { kind: 'audio', mime: 'audio/mpeg' },
  pdf: { kind: 'file', mime: 'application/pdf' },
  txt: { kind: 'file', mime: 'text/plain' },
};

export function formatMessage(m: ChatMessage, index: number): string {
  const who = m.from === 'me' ? 'me' : 'them';
  const flags = [
    m.inReplyTo ? `↪ ${m.inReplyTo.slice(0, 8)}` : '',
    m.edited ? '(edited)' : '',
    m.encrypted ? '' : '(NOT end-to-end encrypted)',
    m.bridged ? '(via a bridge)' : '',
    m.status ? `[${m.status}]` : '',
    m.reactions.size ? [...m.reactions.values()].join('') : '',
  ].filter(Boolean);
  const body = m.deleted
    ? '(message deleted)'
    : m.unsupported
      ? `(unsupported ${m.unsupported.original}) ${m.unsupported.fallbackText ?? ''}`
      : textOf(m.parts);
  return `${String(index).padStart(3)}. ${who}: ${body} ${flags.join(' ')}  {${m.messageId.slice(0, 8)}}`.trimEnd();
}

function resolveTarget(sim: SimUser, peer: string, ref: string | undefined): string {
  if (!ref) throw new Error('which message? give its number from history, or its id');
  const history = sim.history(peer);
  if (/^\d+$/.test(ref)) {
    const m = history[Number(ref) - 1];
    if (!m) throw new Error(`no message ${ref} in the chat with ${peer}`);
    return m.messageId;
  }
  const m = history.find((x) => x.messageId === ref || x.messageId.startsWith(ref));
  if (!m) throw new Error(`no message ${ref} in the chat with ${peer}`);
  return m.messageId;
}

function needPhone(p: string | undefined): string {
  if (!p || !/^\+[1-9][0-9]{6,14}$/.test(p)) throw new Error(`"${p ?? ''}" is not an E.164 phone number like +4915112345678`);
  return p;
}

/** Runs one command line; returns the text to print. Throws Error with a readable message. */
export async function runCommand(sim: SimUser, line: string): Promise<string> {
  const [cmd, ...args] = line.trim().split(/\s+/);
  const rest = (n: number) => args.slice(n).join(' ');
  switch (cmd) {
    case '':
    case undefined:
      return '';
    case 'help':
      return HELP;
    case 'whoami':
      return `${sim.phone} device ${sim.deviceId ?? '(not registered)'}`;
    case 'send': {
      const to = needPhone(args[0]);
      if (!rest(1)) throw new Error('nothing to send');
      const id = await sim.sendText(to, rest(1));
      return `sent {${id.slice(0, 8)}}`;
    }
    case 'reply': {
      const to = needPhone(args[0]);
      const id = await sim.reply(to, resolveTarget(sim, to, args[1]), rest(2));
      return `replied {${id.slice(0, 8)}}`;
    }
    case 'react': {
      const to = needPhone(args[0]);
      const emoji = args[2] === '-' || args[2] === undefined ? '' : args[2];
      await sim.react(to, resolveTarget(sim, to, args[1]), emoji);
      return emoji ? `reacted ${emoji}` : 'reaction removed';
    }
    case 'edit': {
      const to = needPhone(args[0]);
      await sim.edit(to, resolveTarget(sim, to, args[1]), rest(2));
      return 'edited';
    }
    case 'delete': {
      const to = needPhone(args[0]);
      await sim.delete(to, resolveTarget(sim, to, args[1]));
      return 'deleted';
    }
    case 'file': {
      const to = needPhone(args[0]);
      if (!args[1]) throw new Error('which file?');
      const data = await readFile(args[1]);
      const guess = KIND_BY_EXT[args[1].split('.').pop()?.toLowerCase() ?? ''] ?? { kind: 'file', mime: 'application/octet-stream' };
      const { messageId } = await sim.sendFile(to, data, {
        fileName: basename(args[1]),
        mimeType: guess.mime,
        kind: guess.kind,
        caption: rest(2) || undefined,
      });
      return `file sent {${messageId.slice(0, 8)}} (${data.length} bytes)`;
    }
    case 'typing': {
      const to = needPhone(args[0]);
      const state = args[1] === 'off' ? 'stopped' : 'started';
      await sim.typing(to, state);
      return `typing ${state}`;
    }
    case 'read': {
      const ids = await sim.markRead(needPhone(args[0]));
      return ids.length ? `marked ${ids.length} read` : 'nothing unread';
    }
    case 'chats': {
      const list = sim.chatList();
      if (list.length === 0) return '(no chats yet)';
      return list.map((c) => `${c.peer}  ${c.messages} messages, ${c.unread} unread  ${c.last ?? ''}`).join('\n');
    }
    case 'history': {
      const peer = needPhone(args[0]);
      const h = sim.history(peer);
      return h.length ? h.map((m, i) => formatMessage(m, i + 1)).join('\n') : `(no messages with ${peer})`;
    }
    case 'safety': {
      const peer = needPhone(args[0]);
      const numbers = await sim.safetyNumbers(peer);
      if (numbers.length === 0) return `no session with ${peer} yet (send or receive a message first)`;
      return numbers.map((n) => `device ${n.deviceId}: ${n.safetyNumber}\n  key fingerprint ${n.fingerprint}`).join('\n');
    }
    case 'profile': {
      const p = await sim.profile(needPhone(args[0]));
      return `${p.phone} on ${p.provider}: ${p.displayName ?? '(no name)'}`;
    }
    default: {
      const out = await runGroupCommand(sim, cmd, args);
      if (out === undefined) throw new Error(`unknown command "${cmd}" (try help)`);
      return out;
    }
  }
}
