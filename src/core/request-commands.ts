/**
 * `requests`, `accept`, `decline`: what the user does with message requests
 * (core/message-requests.ts). `block` (block-commands.ts) also declines a waiting request.
 */
import { displayPhone, type E164 } from '../network/phone';
import type { Command, CommandContext } from '../matrix/commands/registry';
import type { CoreContext } from './context';
import { friendly } from './login-commands';
import type { RequestActions } from './request-actions';

const PHONE_ARG = [{ name: 'phone number', required: true, rest: true }];

/** requests listed at most, oldest first: a flood must not make one endless message */
const LISTED_MAX = 20;

export function requestCommands(core: CoreContext, actions: RequestActions): Command[] {
  const { store } = core;
  /** the number of one of the user's requests, typed as the notice showed it or as E.164 */
  const requester = (ctx: CommandContext): Promise<E164> => actions.requester(ctx.sender, ctx.args);
  const noRequest = (contact: E164) => `There is no message request from ${displayPhone(contact)}. "requests" lists the ones waiting.`;
  return [
    {
      name: 'requests',
      help: 'List the message requests waiting: first messages from numbers you never wrote to.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        const waiting = await store.requests.list(ctx.sender);
        const drops = await store.requests.drops(ctx.sender);
        const dropped = drops ? `\n${drops.messages} more message(s) from ${drops.numbers} unknown number(s) were dropped (more came than the bridge holds).` : '';
        if (waiting.length === 0) return ctx.reply(`No message requests are waiting.${dropped}`);
        const lines = waiting.slice(0, LISTED_MAX).map((r) => {
          const encryption = r.e2ee ? 'end-to-end encrypted' : 'no end-to-end encryption';
          const held = r.held === 1 ? '1 message' : `${r.held} messages`;
          const unreadable = r.unreadable > 0 ? `, ${r.unreadable} unreadable` : '';
          const silent = r.notice === 'silent' ? ' (no notice was sent: too many requests came at once)' : '';
          return `• ${displayPhone(r.contact as E164)}, provider "${r.provider}" (${encryption}): ${held}${unreadable}, since ${new Date(r.firstAt).toISOString().slice(0, 16).replace('T', ' ')} UTC${silent}`;
        });
        if (waiting.length > LISTED_MAX) lines.push(`…and ${waiting.length - LISTED_MAX} more, newer ones (answer some to see the rest).`);
        await ctx.reply([`${waiting.length} message request(s) waiting:`, ...lines, 'Answer each with "accept <number>", "decline <number>" or "block <number>" ("decline all" declines every one).'].join('\n') + dropped);
      },
    },
    {
      name: 'accept',
      help: 'Accept a message request: opens a chat with them and delivers what they sent, in order.',
      permission: 'user',
      args: PHONE_ARG,
      handler: friendly(async (ctx) => {
        const contact = await requester(ctx);
        const result = await actions.accept(ctx.sender, contact);
        if (result.outcome === 'no_request') return ctx.reply(noRequest(contact));
        if (result.outcome === 'failed') {
          return ctx.reply(`The request from ${displayPhone(contact)} could not be accepted yet: ${result.reason}. It still waits; nothing was lost.`);
        }
        const delivered = result.delivered === 1 ? '1 message' : `${result.delivered} messages`;
        const unreadable = result.unreadable > 0 ? ` ${result.unreadable} could not be decrypted; the room says so.` : '';
        const damaged = result.damaged > 0 ? ` ${result.damaged} the bridge stored could not be read back (a damaged database); the room says so.` : '';
        await ctx.reply(
          `Accepted ${displayPhone(contact)}: you are invited to a chat with them, with the ${delivered} they sent.${unreadable}${damaged} ` +
            'From now on they are a contact like any other: they see when you read their messages and when you type.',
        );
      }),
    },
    {
      name: 'decline',
      help: 'Decline a message request ("decline all": every one waiting): deletes what they sent; they are not told. If they write again, it is a new request.',
      permission: 'user',
      args: PHONE_ARG,
      handler: friendly(async (ctx) => {
        if (ctx.args.join(' ').trim().toLowerCase() === 'all') {
          const declined = await actions.declineAll(ctx.sender);
          return ctx.reply(declined === 0 ? 'No message requests are waiting.' : `Declined all ${declined} message request(s): what they sent is deleted, and they were not told.`);
        }
        const contact = await requester(ctx);
        if (!await actions.decline(ctx.sender, contact)) return ctx.reply(noRequest(contact));
        await ctx.reply(
          `Declined ${displayPhone(contact)}: what they sent is deleted, and they were not told. ` +
            `If they write again it is a new request; to stop them for good: block ${displayPhone(contact)}`,
        );
      }),
    },
  ];
}
