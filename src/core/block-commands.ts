/**
 * `block`, `unblock`, `blocked`: who may reach the user. A block stops a number at the
 * network where the network can (block lists, docs/interop-protocol.md §14), and at the
 * bridge in any case (block-filter.ts); the blocked person is not told. What they send while
 * blocked is dropped, not kept: unblocking brings back only new messages. A portal with them
 * stays as it is (history, the chance to write to them), but nothing more arrives in it.
 *
 * Matrix's own block, ignoring the ghost (`m.ignored_user_list`), is not followed: that
 * account data is readable only by the user themselves, never by an appservice (see
 * docs/blocking.md). The homeserver already hides an ignored ghost's events from that user.
 */
import type { Command, CommandContext } from '../matrix/commands/registry';
import { InvalidPhoneNumberError, displayPhone, type E164 } from '../network/phone';
import { MAX_BLOCKLIST } from '../protocol/frames';
import type { BlockSyncState } from '../store';
import { UNSUPPORTED_TEXT, type BlockSync } from './block-sync';
import type { CoreContext } from './context';
import type { MessageRequests } from './message-requests';
import { friendly } from './login-commands';
import { parseKnownPhone, shownTo } from './login-flow';

const PHONE_ARG = [{ name: 'phone number', required: true, rest: true }];
/** `block` also takes a provider (provider-commands.ts): one name, two kinds of argument */
const BLOCK_ARG = [{ name: 'phone number or provider', required: true, rest: true }];

/** the provider side of `block`: true when it took the argument (a provider, or what reads as one) */
export type ProviderBlock = (ctx: CommandContext, input: string) => Promise<boolean>;

/** what the network's state means for the user, in a sentence */
function networkLine(state: BlockSyncState, detail: string | null, tellUnsupported: boolean): string {
  switch (state) {
    case 'network':
      return 'The network drops what they send you (messages, receipts, typing) before it reaches the bridge; they are not told, and to them their messages look sent.';
    case 'pending':
      return `The network has not confirmed this yet (${detail ?? 'no answer'}); the bridge keeps asking and drops anything from them meanwhile. You will be told when the network confirms.`;
    case 'unsupported':
      return tellUnsupported ? UNSUPPORTED_TEXT : 'The bridge drops what they send (this network has no block lists); they are not told.';
    case 'refused':
      return `The network refused the block list (${detail ?? 'no reason given'}); the bridge drops what they send instead.`;
  }
}

export function blockCommands(core: CoreContext, sync: BlockSync, requests: MessageRequests, providerBlock?: ProviderBlock): Command[] {
  const { store } = core;
  /** a number the bridge has shown the user, or one they blocked, is accepted as shown */
  const contactArg = (ctx: CommandContext): Promise<E164> => {
    const shown = shownTo(store, ctx.sender);
    return parseKnownPhone(ctx.args, async (p) => (await shown(p)) || (await store.blocks.isBlocked(ctx.sender, p)));
  };
  const nameOf = async (contact: E164) => {
    const name = (await store.ghosts.get(contact))?.displayName;
    return name ? `${name} (${displayPhone(contact)})` : displayPhone(contact);
  };
  return [
    {
      name: 'block',
      help: 'Stop a number, or a whole provider, from reaching you: what they send is dropped (a number by the network where it can); they are not told.',
      permission: 'user',
      args: BLOCK_ARG,
      handler: friendly(async (ctx) => {
        let contact: E164;
        try {
          contact = await contactArg(ctx);
        } catch (error) {
          // not a phone number: perhaps a provider's name; otherwise the number's error stands
          if (error instanceof InvalidPhoneNumberError && providerBlock && (await providerBlock(ctx, ctx.args.join(' ')))) return;
          throw error;
        }
        const name = await nameOf(contact);
        if ((await store.logins.get(ctx.sender))?.phone === contact) return ctx.reply(`${name} is your own number; nothing was changed.`);
        // checks, then the add, not in one transaction: a user's commands run one at a time
        // (bot.ts, in order per room), and add() is idempotent; at worst a block from the
        // provisioning API at the same moment passes the cap by one
        if (await store.blocks.isBlocked(ctx.sender, contact)) return ctx.reply(`${name} is already blocked. "blocked" lists everyone you blocked.`);
        if (await store.blocks.count(ctx.sender) >= MAX_BLOCKLIST) {
          return ctx.reply(`You have blocked ${MAX_BLOCKLIST} numbers, the most the network keeps; unblock one first. Nothing was changed.`);
        }
        await store.users.ensure(ctx.sender);
        await store.blocks.add(ctx.sender, contact);
        // a waiting request from them is declined with the block: what it held is deleted
        const declined = await requests.decline(ctx.sender, contact, 'blocked') ? ' Their message request is declined and what they sent deleted.' : '';
        const result = await sync.afterChange(ctx.sender);
        const portal = (await store.portals.get(ctx.sender, contact))?.roomId
          ? ' Your chat room with them stays, but nothing more from them arrives in it.'
          : '';
        await ctx.reply(`Blocked ${name}.${declined} ${networkLine(result.state, result.detail, result.tellUnsupported)}${portal}`);
      }),
    },
    {
      name: 'unblock',
      help: 'Let a blocked number reach you again (new messages only: what they sent while blocked is gone).',
      permission: 'user',
      args: PHONE_ARG,
      handler: friendly(async (ctx) => {
        const contact = await contactArg(ctx);
        const name = await nameOf(contact);
        if (!await store.blocks.remove(ctx.sender, contact)) return ctx.reply(`${name} is not blocked; nothing was changed.`);
        const result = await sync.afterChange(ctx.sender);
        const network = result.state === 'pending'
          ? ` The network has not confirmed this yet (${result.detail ?? 'no answer'}); until it does, it may still drop what they send. You will be told when it confirms.`
          : '';
        await ctx.reply(`Unblocked ${name}. New messages from them reach you again; what they sent while blocked is gone.${network}`);
      }),
    },
    {
      name: 'blocked',
      help: 'List the numbers you blocked, and whether the network blocks them too.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        const list = await store.blocks.list(ctx.sender);
        if (list.length === 0) return ctx.reply('You have blocked no one.');
        const record = await store.blocks.syncState(ctx.sender);
        const state: BlockSyncState = record?.state ?? 'pending';
        const status = {
          network: 'The network drops what they send.',
          pending: `The network has not confirmed your latest change yet (${record?.detail ?? 'no answer'}); the bridge drops what they send meanwhile.`,
          unsupported: 'This network has no block lists; the bridge drops what they send.',
          refused: `The network refused the list (${record?.detail ?? 'no reason given'}); the bridge drops what they send.`,
        }[state];
        const lines: string[] = [];
        for (const b of list) lines.push(`• ${await nameOf(b.contact as E164)}, since ${new Date(b.blockedAt).toISOString().slice(0, 10)}`);
        await ctx.reply([`You blocked ${list.length}:`, ...lines, status].join('\n'));
      },
    },
  ];
}
