/**
 * What the user reads about providers they blocked (src/core/provider-summary.ts): one summary
 * of what was dropped, at most once per bridge.providers.summary_interval_hours. Provider IDs
 * come from the network (checked against the provider-ID pattern there), never from a sender.
 */
import { line, notice, type Notice } from './notices';

export function providerDropSummaryNotice(args: { messages: number; byProvider: ReadonlyMap<string, number>; since?: number }): Notice {
  const messages = args.messages === 1 ? '1 message' : `${args.messages} messages`;
  const each = [...args.byProvider].map(([provider, n]) => `${provider} (${n})`).join(', ');
  const since = args.since === undefined ? '' : ` since ${new Date(args.since).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return notice(
    `🚫 ${messages} from providers you blocked ${args.messages === 1 ? 'was' : 'were'} dropped${since}: ${each}`,
    line('They were dropped before any chat room or message request existed, and cannot be brought back; the senders were not told.'),
    line('`providers` shows who may reach you; `allow <provider>` lets a provider reach you again (new messages only).'),
  );
}
