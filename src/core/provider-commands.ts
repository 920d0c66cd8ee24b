/**
 * `providers`, `allow <provider>`, `block <provider>`: which providers of the network may reach
 * the user (provider-policy.ts). `block` is one command for numbers and providers: its handler
 * (block-commands.ts) hands over an argument that is no phone number but is a known provider's
 * ID or a word without digits; everything else stays a number, with the number's error.
 *
 * Blocking a provider is one way and bridge-side: the network is not asked (it has no such
 * list), the provider's people are not told, and the user can still write to them. Waiting
 * message requests from that provider are declined with the block, as `block <number>` does.
 */
import type { Command, CommandContext } from '../matrix/commands/registry';
import type { ProviderDefault } from '../config/types';
import type { E164 } from '../network/phone';
import type { CoreContext } from './context';
import type { MessageRequests } from './message-requests';
import { PROVIDER_ID, type KnownProvider, type ProviderCatalog, type ProviderPolicy } from './provider-policy';

const PROVIDER_ARG = [{ name: 'provider', required: true }];

const DEFAULT_WORDS: Record<ProviderDefault, string> = {
  allow: 'every provider may reach you unless you block it',
  block: 'no provider may reach you unless you allow it',
  'allow-e2ee-only': 'providers with end-to-end encryption may reach you; those without are blocked unless you allow them',
};

function encryption(e2ee: boolean | undefined): string {
  if (e2ee === undefined) return 'encryption unknown';
  return e2ee ? 'end-to-end encrypted' : 'no end-to-end encryption';
}

function every(hours: number): string {
  if (hours === 24) return 'once a day';
  return hours === 1 ? 'once an hour' : `once every ${hours} hours`;
}

function named(p: Pick<KnownProvider, 'id' | 'displayName'>): string {
  return p.displayName ? `${p.id} ("${p.displayName}")` : p.id;
}

function state(p: KnownProvider): string {
  return `${p.allowed ? 'allowed' : 'blocked'} (${p.chosen ? 'your choice' : 'default'})`;
}

/** a note on where the list came from, when not from the network just now */
function sourceNote(catalog: ProviderCatalog): string | undefined {
  if (catalog.source === 'network') return undefined;
  if (catalog.source === 'earlier') return `The network's list is as it last answered: ${catalog.missing ?? 'it did not answer now'}.`;
  return `Only providers the bridge has seen are listed: ${catalog.missing ?? 'the network gave no list'}.`;
}

export interface ProviderCommands {
  /** `providers` and `allow` */
  commands: Command[];
  /** the provider side of `block`: handles the argument and returns true when it names a
   *  provider (or reads as one), false to leave it to the number path */
  block(ctx: CommandContext, input: string): Promise<boolean>;
}

export function providerCommands(core: CoreContext, policy: ProviderPolicy, requests: MessageRequests): ProviderCommands {
  const { store } = core;

  /** the provider the user named, by id or display name (any case); a clear refusal otherwise */
  const resolve = async (ctx: CommandContext, input: string, known?: ProviderCatalog): Promise<KnownProvider | undefined> => {
    const catalog = known ?? await policy.catalog(ctx.sender);
    const wanted = input.trim().toLowerCase();
    const found = catalog.providers.find((p) => p.id === wanted || p.displayName?.toLowerCase() === wanted);
    if (found) return found;
    const ids = catalog.providers.map((p) => p.id).join(', ') || 'none yet';
    const shown = JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
    await ctx.reply(
      `There is no provider ${shown}; nothing was changed. Known providers: ${ids}. ` +
        '"providers" lists them; to block a number, write it with its country code (+49…).',
    );
    return undefined;
  };

  /** requests waiting from the provider's people, declined with the block */
  const declineRequests = async (owner: string, provider: string): Promise<number> => {
    const waiting = (await store.requests.list(owner)).filter((r) => r.provider === provider);
    for (const r of waiting) await requests.decline(owner, r.contact as E164, 'blocked');
    return waiting.length;
  };

  /** the user's chats with contacts last seen on the provider */
  const chatsOn = async (owner: string, provider: string): Promise<number> => {
    let count = 0;
    for (const p of await store.portals.ofOwner(owner)) {
      if (p.roomId && (await store.contacts.get(owner, p.contact))?.provider === provider) count += 1;
    }
    return count;
  };

  const blockProvider = async (ctx: CommandContext, p: KnownProvider): Promise<void> => {
    if (!p.allowed && p.chosen) return ctx.reply(`${named(p)} is already blocked. "providers" shows who may reach you.`);
    await store.users.ensure(ctx.sender);
    await store.providers.setChoice(ctx.sender, p.id, false);
    const declined = await declineRequests(ctx.sender, p.id);
    const chats = await chatsOn(ctx.sender, p.id);
    const parts = [
      `Blocked ${named(p)}: messages, receipts and typing from anyone on it are dropped before they reach you (no chat room, no invitation, no message request); they are not told, and you can still write to them.`,
      p.allowed ? undefined : 'It was blocked by default already; now it stays blocked whatever the default.',
      declined > 0 ? `${declined === 1 ? '1 waiting message request' : `${declined} waiting message requests`} from it ${declined === 1 ? 'was' : 'were'} declined and what ${declined === 1 ? 'it' : 'they'} held deleted.` : undefined,
      chats > 0
        ? `You have ${chats === 1 ? 'a chat' : `${chats} chats`} with people on it: ${chats === 1 ? 'it stays' : 'they stay'}, but nothing more from them arrives while the provider is blocked.`
        : undefined,
      `What is dropped is counted and summarised here at most ${every(core.config.bridge.providers.summary_interval_hours)}; "allow ${p.id}" undoes this (new messages only).`,
    ];
    await ctx.reply(parts.filter(Boolean).join(' '));
  };

  const commands: Command[] = [
    {
      name: 'providers',
      help: 'List the providers of the network, their end-to-end encryption, and whether each may reach you.',
      permission: 'user',
      args: [],
      async handler(ctx) {
        const catalog = await policy.catalog(ctx.sender);
        const drops = await store.providers.drops(ctx.sender);
        const defaultLine = `Default: ${DEFAULT_WORDS[core.config.bridge.providers.default]}.`;
        const note = sourceNote(catalog);
        if (catalog.providers.length === 0) {
          return ctx.reply(['No providers are known yet.', defaultLine, note].filter(Boolean).join('\n'));
        }
        const lines = catalog.providers.map((p) => `• ${named(p)}: ${encryption(p.e2ee)}; ${state(p)}`);
        const dropped = drops
          ? `Dropped since the last summary: ${[...drops.byProvider].map(([id, n]) => `${id} (${n})`).join(', ')}.`
          : undefined;
        await ctx.reply(
          [`${catalog.providers.length} provider(s):`, ...lines, defaultLine, 'Change with "allow <provider>" or "block <provider>".', dropped, note]
            .filter(Boolean).join('\n'),
        );
      },
    },
    {
      name: 'allow',
      help: 'Let a provider reach you (new messages only: what it sent while blocked is gone).',
      permission: 'user',
      args: PROVIDER_ARG,
      async handler(ctx) {
        const p = await resolve(ctx, ctx.args.join(' '));
        if (!p) return;
        if (p.allowed && p.chosen) return ctx.reply(`${named(p)} is already allowed. "providers" shows who may reach you.`);
        await store.users.ensure(ctx.sender);
        await store.providers.setChoice(ctx.sender, p.id, true);
        const plain = p.e2ee === false
          ? ' It has no end-to-end encryption: the network and the provider can read what its people send you and what you send them.'
          : '';
        const requestsOn = core.config.bridge.message_requests.enabled ? ' A first message from someone new arrives as a message request.' : '';
        await ctx.reply(`Allowed ${named(p)}: people on it can reach you again (new messages only; what they sent while it was blocked is gone).${plain}${requestsOn}`);
      },
    },
  ];

  return {
    commands,
    async block(ctx, input) {
      const word = input.trim().toLowerCase();
      // the ID of a known provider (IDs may hold digits), or a word without digits (a provider
      // name, perhaps mistyped); anything else with digits is a number, with the number's error
      const catalog = PROVIDER_ID.test(word) ? await policy.catalog(ctx.sender) : undefined;
      if (!catalog || (/[0-9]/.test(word) && !catalog.providers.some((p) => p.id === word))) return false;
      const p = await resolve(ctx, input, catalog);
      if (p) await blockProvider(ctx, p);
      return true;
    },
  };
}
