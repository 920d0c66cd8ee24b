/**
 * What people read about security, in plain words: where messages are readable, and what
 * changed. Each function returns the plain `body` and the `html` for formatted_body; wrap
 * them with `noticeContent` (src/convert) to get an m.notice. Contact names come from the remote side
 * (untrusted): control characters are stripped, length capped and HTML escaped.
 */
import { cleanQuoted } from '../convert/notices';
import { escapeHtml } from '../convert';

export interface Notice {
  body: string;
  html: string;
}

const MAX_NAME = 100;

/** A notice made of paragraphs: the first is the title (bold in HTML). */
export function notice(title: string, ...paragraphs: Array<Line | undefined>): Notice {
  const present = paragraphs.filter((p): p is Line => p !== undefined);
  return {
    body: [title, ...present.map((p) => p.text)].join('\n'),
    html: [`<p><strong>${escapeHtml(title)}</strong></p>`, ...present.map((p) => p.html)].join(''),
  };
}

export interface Line {
  text: string;
  html: string;
}

/** a paragraph of plain text; `code` spans in backticks become <code> in HTML */
export function line(text: string): Line {
  const html = text
    .split(/(`[^`]*`)/)
    .map((piece) => (piece.startsWith('`') && piece.endsWith('`') && piece.length > 1 ? `<code>${escapeHtml(piece.slice(1, -1))}</code>` : escapeHtml(piece)))
    .join('');
  return { text, html: `<p>${html}</p>` };
}

function list(items: string[]): Line {
  return { text: items.map((i) => `• ${i}`).join('\n'), html: `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>` };
}

function name(contactName: string): string {
  return cleanQuoted(contactName, MAX_NAME) || 'this contact';
}

/** Digits of a safety number in groups of five, as Signal shows them (60 digits: 12 groups). */
export function safetyNumberGroups(safetyNumber: string): string[] {
  return safetyNumber.replace(/\D/g, '').match(/.{1,5}/g) ?? [];
}

/** Rows of four groups (three rows for a 60-digit number), as Signal's verification screen lays them out. */
function safetyNumberBlock(safetyNumber: string): Line {
  const groups = safetyNumberGroups(safetyNumber);
  const rows: string[] = [];
  for (let i = 0; i < groups.length; i += 4) rows.push(groups.slice(i, i + 4).join(' '));
  return { text: rows.join('\n'), html: `<pre><code>${escapeHtml(rows.join('\n'))}</code></pre>` };
}

/**
 * What `verify … confirm` must be given: the first two groups of each device's safety number.
 * Typing them binds the confirmation to the number the person compared: if the key changes
 * in between, the digits no longer match and nothing is verified.
 */
export function confirmCode(safetyNumbers: string[]): string {
  return safetyNumbers.map((n) => safetyNumberGroups(n).slice(0, 2).join(' ')).join(' ');
}

function confirmHow(who: string, phone: string | undefined, code: string): Line {
  const command = `\`verify ${phone ?? '<phone number>'} confirm ${code}\``;
  return line(
    `To check: compare it with the safety number ${who} sees in their app (in person, or on a call you trust). ` +
      `If they match, send ${command} in your management room with the bridge bot.`,
  );
}

/** `bridgeEncrypts`: security.encryption is on, so the bridge reads and writes an encrypted room itself.
 *  `network`: which of the network's places read the chat (their labels, from the connector's
 *  description, networkExposure) and whether its way is end-to-end encrypted throughout;
 *  absent, the network as one place named `networkName` that reads the chat unless the
 *  contact is known to have end-to-end encryption. */
export function portalCreatedNotice(args: {
  contactName: string; networkName: string; contactE2ee: boolean | null; roomEncrypted: boolean; bridgeEncrypts?: boolean;
  network?: { readers: string[]; endToEnd: boolean };
}): Notice {
  const who = name(args.contactName);
  const endToBridge = args.roomEncrypted && args.bridgeEncrypts === true;
  const exposure = args.network ?? { readers: args.contactE2ee === true ? [] : [args.networkName], endToEnd: args.contactE2ee === true };
  const readers = [
    'the bridge host (the server running this bridge), because the bridge decrypts every message to pass it on',
  ];
  if (!endToBridge) {
    readers.push(args.roomEncrypted
      ? 'your homeserver, because the bridge posts messages here unencrypted even though this room is encrypted'
      : 'your homeserver, because this room is not encrypted');
  }
  for (const label of exposure.readers.map((l) => cleanQuoted(l, MAX_NAME))) {
    if (args.contactE2ee === false) readers.push(`the ${label}, because ${who}'s provider has no end-to-end encryption`);
    else if (args.contactE2ee === null) readers.push(`possibly the ${label}: it is not known yet whether ${who}'s provider uses end-to-end encryption`);
    else readers.push(`the ${label}, which the messages cross unencrypted on their way`);
  }
  return notice(
    '🔓 Where messages in this chat can be read',
    line(`This room bridges your chat with ${who} on the ${cleanQuoted(args.networkName, MAX_NAME)}. It is not end-to-end encrypted: besides you and ${who}, messages can be read by:`),
    list(readers),
    args.contactE2ee === true && exposure.endToEnd
      ? line(`Between the bridge and ${who}'s device, messages are end-to-end encrypted (Signal protocol): the network itself cannot read them.`)
      : undefined,
    endToBridge ? line(ENCRYPTED_TO_BRIDGE) : undefined,
    args.roomEncrypted && !endToBridge
      ? line(`This room is encrypted, and this bridge is set up not to read encrypted rooms (its admin can change that): messages you send here will not reach ${who}.`)
      : undefined,
  );
}

const ENCRYPTED_TO_BRIDGE =
  'This room is encrypted, and the bridge reads and writes it encrypted, each contact from a device of its own: your homeserver cannot read the messages, ' +
  'only who talks when. Files are encrypted too: your homeserver sees only how large they are and when they were sent.';

export function identityChangedNotice(args: {
  contactName: string; safetyNumber: string; wasVerified: boolean; held: boolean; phone?: string;
  /** the confirm code of every current device (default: this safety number's) */
  code?: string;
}): Notice {
  const who = name(args.contactName);
  return notice(
    `⚠️ ${who}'s security key changed`,
    line(`This happens when someone reinstalls their app or changes phone. It can also mean that someone is intercepting the chat.`),
    args.wasVerified ? line(`You had verified ${who}; that verification is now cleared.`) : undefined,
    args.held
      ? line(`New messages from ${who} are held, not shown, until you confirm the new key.`)
      : line(`Messages from ${who} keep arriving; they now come from the new key.`),
    line('New safety number:'),
    safetyNumberBlock(args.safetyNumber),
    confirmHow(who, args.phone, args.code ?? confirmCode([args.safetyNumber])),
  );
}

/** A verified contact added a device: its key was not compared, so the mark is cleared. */
export function newDeviceNotice(args: { contactName: string; phone: string; safetyNumbers: string[] }): Notice {
  const who = name(args.contactName);
  return notice(
    `ℹ️ ${who} has a new device`,
    line(`${who}'s other keys are unchanged, so messages keep arriving. You had verified ${who}; the new device's key was not compared, so that verification is cleared.`),
    confirmHow(who, args.phone, confirmCode(args.safetyNumbers)),
  );
}

export function encryptionEnabledNotice(bridgeEncrypts = false): Notice {
  if (bridgeEncrypts) return notice('🔒 Encryption was turned on in this room', line(ENCRYPTED_TO_BRIDGE), line('The bridge host still reads every message, as before.'));
  return notice(
    '🔒 Encryption was turned on in this room',
    line('This bridge is set up not to read encrypted Matrix rooms (its admin can change that). Messages sent here from now on will not be delivered to the other side, and the bridge will never mark them as delivered.'),
    line('Messages from the other side still appear here, but the bridge posts them unencrypted, so your homeserver can still read them.'),
  );
}

export function unencryptedProviderNotice(args: { contactName: string; provider: string; refused: boolean }): Notice {
  const who = name(args.contactName);
  const provider = cleanQuoted(args.provider, MAX_NAME);
  if (args.refused) {
    return notice(
      `⛔ Messages with ${who} are refused`,
      line(`${who} uses ${provider}, a provider without end-to-end encryption, and this bridge is set to refuse such contacts (security.refuse_unencrypted_providers).`),
      line(`Nothing is sent to ${who} and nothing from ${who} is shown here.`),
    );
  }
  return notice(
    `⚠️ ${who} uses ${provider}, a provider without end-to-end encryption`,
    line(`Messages with ${who} cross the network unencrypted: the network operator can read them, as well as the bridge host and your homeserver. Treat this chat as not private.`),
  );
}

export function refusedMessageNotice(args: { contactName: string; reason: string }): Notice {
  const who = name(args.contactName);
  return notice(`⛔ Not delivered: a message between you and ${who} was refused`, line(cleanQuoted(args.reason, 1000)));
}

export function heldMessagesNotice(args: { contactName: string; count: number; phone: string }): Notice {
  const who = name(args.contactName);
  const messages = args.count === 1 ? '1 message' : `${args.count} messages`;
  return notice(
    `⏸️ ${messages} from ${who} held`,
    line(`${who}'s security key changed, and this bridge holds their messages until you confirm it is really them.`),
    line(
      `To release them: in your management room with the bridge bot, send \`verify ${args.phone}\` to see the safety number, ` +
        `compare it with ${who} (in person, or on a call you trust), then send the \`verify ${args.phone} confirm …\` it shows.`,
    ),
  );
}

export function safetyNumberText(args: {
  contactName: string; safetyNumber: string; verified: boolean; phone?: string;
  /** with several devices: each device's safety number, in device order */
  devices?: { deviceId: number; safetyNumber: string }[];
}): Notice {
  const who = name(args.contactName);
  const several = args.devices !== undefined && args.devices.length > 1;
  const numbers = several ? args.devices!.map((d) => d.safetyNumber) : [args.safetyNumber];
  const blocks = several
    ? args.devices!.flatMap((d) => [line(`Device ${d.deviceId}:`), safetyNumberBlock(d.safetyNumber)])
    : [safetyNumberBlock(args.safetyNumber)];
  return notice(
    several ? `🔑 Safety numbers with ${who} (${numbers.length} devices, compare each)` : `🔑 Safety number with ${who}`,
    ...blocks,
    args.verified
      ? line(`✅ Verified. If ${who}'s security key changes, the verification is cleared and you are warned.`)
      : line('Not verified yet.'),
    args.verified ? undefined : confirmHow(who, args.phone, confirmCode(numbers)),
  );
}

/** A login's connection to the network has been down longer than a blip. */
export function connectionLostNotice(args: { phone: string; networkName: string; reason: string }): Notice {
  const network = cleanQuoted(args.networkName, MAX_NAME);
  return notice(
    `📴 ${args.phone} is not connected to the ${network}`,
    line(`The bridge lost its connection (${cleanQuoted(args.reason, 200)}) and keeps reconnecting on its own; you do not need to do anything.`),
    line('Until it is back, messages to you wait at the network and your messages wait here; nothing is lost. Send `status` to see the state.'),
  );
}

/** The connection is back after a drop that was told. */
export function connectionRestoredNotice(args: { phone: string; networkName: string }): Notice {
  return notice(
    `✅ ${args.phone} is connected to the ${cleanQuoted(args.networkName, MAX_NAME)} again`,
    line('Messages that waited on either side are being delivered now.'),
  );
}

const ENDED: Record<string, string> = {
  device_removed: 'the network removed the bridge\'s device for this number',
  replaced: 'another connection took over this number\'s device (is the bridge running twice?)',
  account_removed: 'the account of this number was removed at the network',
  auth_failed: 'the network no longer accepts the bridge\'s stored login for this number',
};

/** The network ended a login for good: the person must log in again. */
export function loginEndedNotice(args: { phone: string; reason: string }): Notice {
  return notice(
    `⛔ ${args.phone} is logged out`,
    line(`${ENDED[args.reason] ?? cleanQuoted(args.reason, 200)}. Messages to this number no longer reach you here, and the bridge will not reconnect by itself.`),
    line(`To link it again, send \`login ${args.phone}\` here. Your chat rooms stay.`),
  );
}
