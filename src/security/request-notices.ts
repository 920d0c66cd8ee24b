/**
 * What the user reads about message requests (src/core/message-requests.ts): the request
 * itself, the summary of what the caps dropped, and what an accepted request could not show
 * (messages that could not be decrypted, and stored ones the bridge could not read back).
 * The preview is already inert (src/convert/inert-preview.ts); the rest is ours.
 */
import { line, notice, type Notice } from './notices';

/** how the contact's safety number stands, in words */
export type SafetyStatus = 'new' | 'verified' | 'changed' | 'unverified';

const SAFETY_WORDS: Record<SafetyStatus, string> = {
  new: 'new, never verified',
  unverified: 'known, not verified',
  verified: 'verified by you',
  changed: 'changed since you last saw it, not verified',
};

export function requestNotice(args: {
  phone: string; provider: string; e2ee: boolean; safety: SafetyStatus; preview: string; unreadable: boolean;
}): Notice {
  const encryption = args.e2ee ? 'end-to-end encrypted up to this bridge' : 'no end-to-end encryption (the network can read it)';
  return notice(
    `📨 Message request from ${args.phone}`,
    line(`Someone you never wrote to wants to chat: ${args.phone}, on the provider "${args.provider}" (${encryption}). Safety number: ${SAFETY_WORDS[args.safety]}.`),
    line(args.unreadable ? 'Their first message could not be decrypted.' : `Preview (links and mentions disabled): ${args.preview}`),
    line(
      `\`accept ${args.phone}\` opens a chat with everything they sent, in order; \`decline ${args.phone}\` deletes it; ` +
        `\`block ${args.phone}\` deletes it and blocks them. Until you accept, they learn nothing from you: no read status, no typing, no profile.`,
    ),
  );
}

export function dropSummaryNotice(args: { messages: number; numbers: number; since: number; waiting: number }): Notice {
  const messages = args.messages === 1 ? '1 more message' : `${args.messages} more messages`;
  const numbers = args.numbers === 1 ? '1 unknown number' : `${args.numbers} unknown numbers`;
  return notice(
    `🗑️ ${messages} from ${numbers} were dropped`,
    line(
      `Since ${new Date(args.since).toISOString().slice(0, 16).replace('T', ' ')} UTC, more messages came from numbers you never wrote to ` +
        'than this bridge holds as message requests; the rest were dropped and cannot be brought back.',
    ),
    line(`${args.waiting === 1 ? '1 request is' : `${args.waiting} requests are`} waiting: \`requests\` lists them.`),
  );
}

export function unreadableBeforeAcceptNotice(args: { contactName: string; count: number }): Notice {
  const messages = args.count === 1 ? '1 message' : `${args.count} messages`;
  return notice(`⚠️ ${messages} from ${args.contactName} could not be decrypted`, line('They came before you accepted the message request; what they said is lost.'));
}

/** Held messages whose sealed record no longer opens: they were decrypted and stored, so
 *  "could not be decrypted" would blame the contact's side for the bridge's own storage. */
export function damagedHeldNotice(args: { contactName: string; count: number }): Notice {
  const messages = args.count === 1 ? '1 message' : `${args.count} messages`;
  const were = args.count === 1 ? 'was' : 'were';
  return notice(
    `⚠️ ${messages} from ${args.contactName} ${were} lost in the bridge's storage`,
    line(
      `The bridge received ${args.count === 1 ? 'it' : 'them'} and stored ${args.count === 1 ? 'it' : 'them'} sealed while the message request waited, ` +
        'but could not read it back: its database is damaged. What they said cannot be recovered; the bridge\'s admin may want to check the database.',
    ),
  );
}
