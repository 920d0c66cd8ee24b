/**
 * Management-room commands are plain data: a name, a one-line help, the permission they
 * need and a handler. Later features add commands by registering more of them; the
 * dispatcher and `help` never change.
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

export interface Command {
  name: string;
  /** e.g. `<phone number>`; shown in help */
  usage?: string;
  help: string;
  permission: PermissionLevel;
  handler(ctx: CommandContext): Promise<void>;
}

export class CommandRegistry {
  private readonly commands = new Map<string, Command>();

  register(...commands: Command[]): this {
    for (const command of commands) {
      if (this.commands.has(command.name)) throw new Error(`command ${command.name} registered twice`);
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
