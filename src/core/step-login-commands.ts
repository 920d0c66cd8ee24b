/**
 * The bot's side of a step login (step-login.ts): `login` starts one (or answers the step it
 * asks, `login <answer>`), `code` and a bare code answer a step that asks for a code, and
 * `cancel` gives it up. login-commands.ts registers these; step logins are the one login path.
 */
import type { CommandContext } from '../matrix/commands/registry';
import { displayPhone, type E164 } from '../network/phone';
import type { CoreContext } from './context';
import { codeField } from '../network/login-steps';
import type { StepLogins } from './step-login';
import { stepReply } from './step-login-replies';

export function stepLoginHandlers(core: CoreContext, steps: StepLogins) {
  const { network, store } = core;
  const requests = core.config.bridge.message_requests.enabled;
  const render = (ctx: CommandContext) => (event: Parameters<typeof stepReply>[0]) => ctx.reply(...stepReply(event, network.displayName, requests));

  const answer = async (ctx: CommandContext, text: string) => {
    const outcome = await steps.submit(ctx.sender, text, render(ctx));
    if (outcome === 'no_login') await ctx.reply('No login is in progress. Start with: login');
    if (outcome === 'not_asking') await ctx.reply('This step of the login asks for nothing: it waits for what is shown above. "cancel" gives it up.');
  };

  return {
    async login(ctx: CommandContext): Promise<void> {
      const text = ctx.args.join(' ').trim();
      if (text && steps.current(ctx.sender)) return answer(ctx, text);
      // `login <answer>`: the first step is answered at once rather than shown, when it asks
      // for something (`login +49…` asks for no number it was just given)
      let first: Parameters<typeof stepReply>[0] | undefined;
      const shown = render(ctx);
      const outcome = await steps.begin(ctx.sender, async (event) => {
        if (text && !first && event.kind === 'step') first = event;
        else await shown(event);
      });
      if (outcome === 'already_logged_in') {
        const phone = (await store.logins.get(ctx.sender))!.phone as E164;
        await ctx.reply(`You are already logged in as ${displayPhone(phone)}. Send "logout" first to link another account.`);
        return;
      }
      if (outcome === 'network_unreachable') {
        await ctx.reply(`The ${network.displayName} is not reachable right now, so the login could not start. Send "login" again in a moment.`);
        return;
      }
      if (!text) return;
      if (steps.current(ctx.sender)?.kind === 'user_input') return answer(ctx, text);
      if (first) await shown(first);
      await ctx.reply(`"${text.slice(0, 40)}" was not used: this login does not start by asking for anything.`);
    },
    /** `code <code>` (and a bare code, which the bot turns into it): the answer to a step that asks for a code */
    async code(ctx: CommandContext): Promise<void> {
      if (steps.current(ctx.sender) && !codeField(steps.current(ctx.sender))) {
        await ctx.reply('This step of the login does not ask for a code; what it asks is shown above. "cancel" gives it up.');
        return;
      }
      await answer(ctx, ctx.args.join(''));
    },
  };
}
