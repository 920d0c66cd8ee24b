/**
 * What logging in means, said before the one-time code is asked for: logging in is the opt-in
 * to third-party chats, and under the DMA a person decides with the facts in front of them
 * (who can reach them, what the other side learns, who can read along). Kept true to what
 * the bridge does: no profile is published unless the user shares it, anyone who knows the
 * number reaches the user (as a message request, unless the admin turned requests off), and
 * the bridge host reads every message.
 */
import { escapeHtml } from '../convert';
import { displayPhone, type E164 } from '../network/phone';

export function optInNotice(phone: E164, networkName: string, messageRequests: boolean): [plain: string, html: string] {
  const number = displayPhone(phone);
  const title = `Before ${number} is linked: what this means`;
  const firstMessage = messageRequests
    ? 'A first message from someone you never wrote to arrives as a message request: a notice here, and no chat room until you accept it; until then they learn nothing from you.'
    : 'Their first message opens a chat room here and invites you.';
  const points = [
    `Who can reach you: anyone on the ${networkName} who knows ${number}, also people you never wrote to. ${firstMessage} "block <number>" stops someone at the network.`,
    'What the network and the people you chat with learn: your number, and that you read through a bridge (its device is marked as bridged, and every message says which hops it crossed). Your Matrix name and avatar are not shared.',
    `Who can read your messages: the ${networkName}'s end-to-end encryption ends at this bridge. Whoever runs the bridge's server can read every message, both ways, and your homeserver keeps them unless the chat room is encrypted.`,
    '"logout" undoes it at any time: the bridge\'s device and keys for your number are deleted.',
  ];
  const plain = [title, ...points.map((p) => `• ${p}`)].join('\n');
  const html = `<p><strong>${escapeHtml(title)}</strong></p><ul>${points.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul>`;
  return [plain, html];
}
