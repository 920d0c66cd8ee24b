/**
 * Management-room commands are plain data: a name, a one-line help, the permission they
 * need, the arguments they take and a handler. Later features add commands by registering
 * more of them; the dispatcher and `help` never change.
 *
 * Arguments are declared so that the dispatcher can refuse what a command does not take:
 * `logout +49…` must not log the caller out as if the number were not there.
 */
import type { PermissionLevel } from '../../config/types';
import type { Access } from '../permissions';

export interface CommandContext {
  /** Matrix user who sent the command */
  sender: string;
  access: Access;
  roomId: string;
  /** words after the command name */
  args: string[];
  /** sends a notice to the room the command came from */
  reply(text: string, html?: string): Promise<void>;
}

/** One argument a command takes, in order. */
export interface CommandArg {
  /** shown in usage and in refusals, e.g. `phone number` */
  name: string;
  /** refused when missing */
  required?: boolean;
  /** takes every remaining word (a phone number may be written with spaces); last only */
  rest?: boolean;
}

export interface Command {
  name: string;
  /** e.g. `<phone number>`; shown in help (derived from `args` when not given) */
  usage?: string;
  help: string;
  permission: PermissionLevel;
  /**
   * The arguments it takes; `[]` for none. Words beyond them are refused with a clear
   * message and the handler does not run. Not declared: the handler gets whatever was typed
   * (for commands not yet converted; every command should declare).
   */
  args?: CommandArg[];
  handler(ctx: CommandContext): Promise<void>;
}

/** `<phone number>` for a required argument, `[confirm]` for an optional one. */
export function usageOf(command: Command): string | undefined {
  if (command.usage !== undefined || command.args === undefined) return command.usage;
  const text = command.args.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)).join(' ');
  return text || undefined;
}

/** Why `words` do not fit what `command` declares, as a reply for the user; undefined if they fit. */
export function argumentProblem(command: Command, words: readonly string[]): string | undefined {
  const declared = command.args;
  if (declared === undefined) return undefined;
  const usage = usageOf(command);
  const how = `Usage: ${command.name}${usage ? ` ${usage}` : ''}`;
  const missing = declared.slice(words.length).find((a) => a.required);
  if (missing) return `"${command.name}" needs ${missing.name}; nothing was done. ${how}`;
  const takesRest = declared.at(-1)?.rest === true;
  if (!takesRest && words.length > declared.length) {
    const plural = (n: number) => (n === 1 ? `${n} argument` : `${n} arguments`);
    const what = declared.length === 0 ? 'takes no arguments' : `takes at most ${plural(declared.length)}`;
    return `"${command.name}" ${what}, but ${words.length} ${words.length === 1 ? 'was' : 'were'} given; nothing was done. ${how}`;
  }
  return undefined;
}

export class CommandRegistry {
  private readonly commands = new Map<string, Command>();

  register(...commands: Command[]): this {
    for (const command of commands) {
      if (this.commands.has(command.name)) throw new Error(`command ${command.name} registered twice`);
      if (command.args?.slice(0, -1).some((a) => a.rest)) throw new Error(`command ${command.name}: only its last argument can take the rest`);
      this.commands.set(command.name, command);
    }
    return this;
  }

  get(name: string): Command | undefined {
    return this.commands.get(name.toLowerCase());
  }

  /** The commands a user with `access` may run, in registration order. */
  visibleTo(access: Access): Command[] {
    return [...this.commands.values()].filter((c) => access === 'admin' || c.permission === 'user');
  }

  names(): string[] {
    return [...this.commands.keys()];
  }
}

/** Closest command name, for "did you mean …?" on a typo. */
export function suggest(registry: CommandRegistry, word: string): string | undefined {
  const lower = word.toLowerCase();
  return registry.names().find((name) => name.startsWith(lower.slice(0, 3)) || lower.startsWith(name));
}
