/**
 * The bridge bot: joins management rooms that permitted users invite it to, greets them,
 * and runs their commands. Users the config does not permit get one clear refusal and
 * nothing else.
 *
 * Commands stay off the transaction path (one slow start-chat must not hold up everyone's
 * messages), but their receipt is durable: accept() records each command or invite in the
 * store before the transaction is answered, then runs it in the room's queue and marks it
 * done. What is still pending at the next start was interrupted by a restart: an invite is
 * handled again (joining is idempotent), a command is answered "interrupted, send it again"
 * rather than re-run blindly, since it may have had side effects.
 */
import type { BridgeConfig } from '../config/types';
import type { BridgeStore } from '../store';
import { escapeHtml, noticeContent } from '../convert';
import { accessOf, allows, type Access } from './permissions';
import { KeyedQueue } from '../lib/keyed-queue';
import { argumentProblem, suggest, type CommandRegistry } from './commands/registry';
import type { MatrixEvent } from './transaction-intake';

/** What the bot needs from its Matrix identity (an Intent of matrix-appservice-bridge fits). */
export interface BotIdentity {
  join(roomId: string): Promise<unknown>;
  leave(roomId: string, reason?: string): Promise<unknown>;
  sendMessage(roomId: string, content: Record<string, unknown>): Promise<unknown>;
  /** security.encryption not `off`: the bot's device exists before it joins, so the owner's
   *  client shares the room keys of its first command with it */
  prepareDevice?(): Promise<void>;
  /** after joining a management room: encryption as the config wants it there; false when the
   *  room must not be used (`require`, and encryption could not be turned on) */
  secureManagementRoom?(roomId: string): Promise<{ usable: true } | { usable: false; reason: string }>;
}

export interface Logger {
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

export const REFUSAL =
  'Sorry, you are not allowed to use this bridge. Ask the homeserver admin to add you to ' +
  'bridge.permissions in its configuration.';

/** How long stop() waits for running commands; what is still running stays pending (interrupted). */
const STOP_GRACE_MS = 3000;

/** The command word of a text, as dispatch() will read it. `codeExpected`: the sender's login
 *  asks for a code now, so a code on its own is its answer; otherwise digits are no command. */
function commandWords(text: string, codeExpected: boolean): string[] {
  const normalised = codeExpected && /^\d[\d -]{2,14}$/.test(text) ? `code ${text.replace(/\D/g, '')}` : text;
  return normalised.split(/\s+/);
}

export class BridgeBot {
  private readonly queue = new KeyedQueue();
  /** set once stop() gave up waiting: late completions must not touch the closed store */
  private stopped = false;

  constructor(
    private readonly botUserId: string,
    private readonly config: BridgeConfig,
    private readonly store: BridgeStore,
    private readonly commands: CommandRegistry,
    private readonly identity: BotIdentity,
    private readonly log: Logger,
    /** users the bridge itself puppets (ghosts): never treated as people talking to the bot */
    private readonly isBridgeUser: (mxid: string) => boolean,
    /** whether `mxid`'s login asks for a code now (core decides; see BridgeCore.expectsCode) */
    private readonly expectsCode: (mxid: string) => Promise<boolean> = () => Promise.resolve(true),
  ) {}

  /**
   * Takes an event from the transaction path: records what the bot must do durably and
   * schedules it, without waiting for it. A retried event that was accepted before is not
   * run again. Throws only if the store cannot record it (the transaction then fails).
   */
  async accept(event: MatrixEvent): Promise<void> {
    if (!event.room_id || !event.sender || !event.event_id || this.isBridgeUser(event.sender)) return;
    const { room_id: roomId, sender, event_id: eventId } = event;
    if (event.type === 'm.room.member' && event.state_key === this.botUserId) {
      if (event.content?.membership !== 'invite') return;
      if (await this.store.botCommands.accept({ eventId, roomId, sender, kind: 'invite', name: 'invite' })) {
        this.schedule(roomId, eventId, () => this.onInvite(roomId, sender), true);
      }
      return;
    }
    if (event.type === 'm.room.member' && event.content?.membership === 'leave' && event.state_key === sender) {
      await this.onOwnerLeft(roomId, sender);
      return;
    }
    if (event.type !== 'm.room.message' || event.content?.msgtype !== 'm.text' || typeof event.content.body !== 'string') return;
    const text = await this.commandText(roomId, sender, event.content.body);
    if (text === undefined || text === '') return;
    // only a registered command's name is kept: the text may hold a phone number or a code
    const name = this.commands.get(commandWords(text, await this.expectsCode(sender))[0])?.name ?? '';
    if (await this.store.botCommands.accept({ eventId, roomId, sender, kind: 'command', name })) {
      this.schedule(roomId, eventId, () => this.onCommand(roomId, sender, text));
    }
  }

  /** Answers what a previous run accepted but did not finish; call once at start. */
  async resumeInterrupted(): Promise<void> {
    for (const pending of (await this.store.botCommands.pending())) {
      const { roomId, sender, eventId } = pending;
      if (pending.kind === 'invite') {
        this.schedule(roomId, eventId, () => this.onInvite(roomId, sender), true);
        continue;
      }
      const what = pending.name ? `Your command "${pending.name}"` : 'Your last command';
      this.schedule(roomId, eventId, () =>
        this.identity.sendMessage(
          roomId,
          noticeContent(`${what} was interrupted by a bridge restart before it finished; please send it again.`),
        ),
        true,
      );
    }
  }

  /** Waits a little for running commands; what has not finished stays pending for the next start. */
  async stop(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.idle(), new Promise((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
    clearTimeout(timer);
    this.stopped = true;
  }

  /**
   * Runs `work` in the room's queue and marks it done once it has finished. A command that
   * failed is done too (it ran, and may have had effects); work that is safe to repeat (joining
   * on an invite, the "interrupted" notice) stays pending when it fails, for the next start.
   */
  private schedule(roomId: string, eventId: string, work: () => Promise<unknown>, safeToRepeat = false): void {
    void this.queue.run(roomId, async () => {
      let failed = false;
      try {
        await work();
      } catch (error) {
        failed = true;
        const next = safeToRepeat ? '; tried again at the next start' : '';
        this.log.error(`bot event ${eventId} in ${roomId} not answered: ${(error as Error).message}${next}`);
      }
      if (!this.stopped && !(failed && safeToRepeat)) await this.store.botCommands.finish(eventId);
    }).catch((error: Error) => this.log.error(`bot event ${eventId} not recorded as done: ${error.message}`));
  }

  private async onInvite(roomId: string, inviter: string): Promise<void> {
    const access = accessOf(this.config.bridge.permissions, inviter);
    if (access !== 'none') await this.identity.prepareDevice?.();
    await this.identity.join(roomId);
    if (access === 'none') {
      this.log.info(`refused invite from ${inviter}: not permitted`);
      await this.identity.sendMessage(roomId, noticeContent(REFUSAL));
      await this.identity.leave(roomId, 'not permitted to use this bridge');
      return;
    }
    const secured = (await this.identity.secureManagementRoom?.(roomId)) ?? { usable: true };
    if (!secured.usable) {
      // nothing can be said in the room itself: the reason of the leave is what the user sees
      this.log.warn(`left ${roomId} of ${inviter}: ${secured.reason}`);
      await this.identity.leave(roomId, secured.reason);
      return;
    }
    await this.store.users.ensure(inviter);
    await this.store.users.setManagementRoom(inviter, roomId);
    this.log.info(`management room ${roomId} for ${inviter}`);
    await this.identity.sendMessage(
      roomId,
      noticeContent(
        'Hello! I am the bridge bot for the interop network. This room is your management room: ' +
          'type `help` to see what I can do.',
        'Hello! I am the bridge bot for the interop network. This room is your management room: ' +
          'type <code>help</code> to see what I can do.',
      ),
    );
  }

  private async onOwnerLeft(roomId: string, mxid: string): Promise<void> {
    const owner = await this.store.users.findByManagementRoom(roomId);
    if (owner?.mxid === mxid) await this.store.users.setManagementRoom(mxid, null);
  }

  /** The command text, if this message addresses the bot; undefined otherwise. */
  private async commandText(roomId: string, sender: string, body: string): Promise<string | undefined> {
    const prefix = this.config.bridge.command_prefix;
    const trimmed = body.trim();
    if (prefix && trimmed.startsWith(prefix + ' ')) return trimmed.slice(prefix.length + 1).trim();
    if (prefix && trimmed === prefix) return 'help';
    const owner = await this.store.users.findByManagementRoom(roomId);
    return owner?.mxid === sender ? trimmed : undefined;
  }

  /** `text` is the command without its prefix, as accept() found it. */
  private async onCommand(roomId: string, sender: string, text: string): Promise<void> {
    const access = accessOf(this.config.bridge.permissions, sender);
    const reply = async (plain: string, html?: string) => {
      await this.identity.sendMessage(roomId, noticeContent(plain, html));
    };
    if (access === 'none') {
      await reply(REFUSAL);
      return;
    }
    await this.dispatch(text, sender, access, roomId, reply);
  }

  private async dispatch(
    text: string,
    sender: string,
    access: Access,
    roomId: string,
    reply: (plain: string, html?: string) => Promise<void>,
  ): Promise<void> {
    const [name, ...args] = commandWords(text, await this.expectsCode(sender));
    const command = this.commands.get(name);
    if (!command) {
      const hint = suggest(this.commands, name);
      const plain = `Unknown command "${name}".${hint ? ` Did you mean "${hint}"?` : ''} Type "help" for the list.`;
      const html =
        `Unknown command <code>${escapeHtml(name)}</code>.` +
        (hint ? ` Did you mean <code>${escapeHtml(hint)}</code>?` : '') +
        ' Type <code>help</code> for the list.';
      await reply(plain, html);
      return;
    }
    if (!allows(access, command.permission)) {
      await reply(`"${command.name}" needs ${command.permission} permission; you have ${access}.`);
      return;
    }
    const problem = argumentProblem(command, args);
    if (problem) {
      await reply(problem);
      return;
    }
    try {
      await command.handler({ sender, access, roomId, args, reply });
    } catch (error) {
      this.log.error(`command ${command.name} failed for ${sender}:`, (error as Error).message);
      await reply(`"${command.name}" failed: ${(error as Error).message}`);
    }
  }
}
