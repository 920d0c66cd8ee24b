/**
 * The bot's side of a step login (step-login.ts): `login` starts one (or answers the step it
 * asks, `login <answer>`), `code` and a bare code answer a step that asks for a code, and
 * `cancel` gives it up. login-commands.ts routes here when the network logs in by steps.
 */
import type { CommandContext } from '../matrix/commands/registry';
import { displayPhone, type E164 } from '../network/phone';
import type { CoreContext } from './context';
import type { StepLogins } from './step-login';
import { stepReply } from './step-login-replies';

export function stepLoginHandlers(core: CoreContext, steps: StepLogins) {
  const { network, store } = core;
  const render = (ctx: CommandContext) => (event: Parameters<typeof stepReply>[0]) => ctx.reply(...stepReply(event, network.displayName));

  const answer = async (ctx: CommandContext, text: string) => {
    const outcome = await steps.submit(ctx.sender, text, render(ctx));
    if (outcome === 'no_login') await ctx.reply('No login is in progress. Start with: login');
    if (outcome === 'not_asking') await ctx.reply('This step of the login asks for nothing: it waits for what is shown above. "cancel" gives it up.');
  };

  return {
    async login(ctx: CommandContext): Promise<void> {
      const text = ctx.args.join(' ').trim();
      if (text && steps.current(ctx.sender)) return answer(ctx, text);
      const outcome = await steps.begin(ctx.sender, render(ctx));
      if (outcome === 'already_logged_in') {
        const phone = store.logins.get(ctx.sender)!.phone as E164;
        await ctx.reply(`You are already logged in as ${displayPhone(phone)}. Send "logout" first to link another account.`);
        return;
      }
      if (outcome === 'network_unreachable') {
        await ctx.reply(`The ${network.displayName} is not reachable right now, so the login could not start. Send "login" again in a moment.`);
        return;
      }
      if (!text) return;
      // `login <answer>`: the answer to the first step, when it asks for one
      if (steps.current(ctx.sender)?.kind === 'user_input') return answer(ctx, text);
      await ctx.reply(`"${text.slice(0, 40)}" was not used: this login does not start by asking for anything.`);
    },
    /** true when `code` was meant for a step login (always, on a network that logs in by steps) */
    async code(ctx: CommandContext): Promise<boolean> {
      if (!steps.supported) return false;
      await answer(ctx, ctx.args.join(''));
      return true;
    },
  };
}
