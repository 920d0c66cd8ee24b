/**
 * The bridge bot: joins management rooms that permitted users invite it to, greets them,
 * and runs their commands. Users the config does not permit get one clear refusal and
 * nothing else.
 */
import type { BridgeConfig } from '../config/types';
import type { BridgeStore } from '../store';
import { escapeHtml, noticeContent } from '../convert';
import { accessOf, allows, type Access } from './permissions';
import { suggest, type CommandRegistry } from './commands/registry';
import type { MatrixEvent } from './transaction-intake';

/** What the bot needs from its Matrix identity (an Intent of matrix-appservice-bridge fits). */
export interface BotIdentity {
  join(roomId: string): Promise<unknown>;
  leave(roomId: string, reason?: string): Promise<unknown>;
  sendMessage(roomId: string, content: Record<string, unknown>): Promise<unknown>;
}

export interface Logger {
  info(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  error(...parts: unknown[]): void;
}

export const REFUSAL =
  'Sorry, you are not allowed to use this bridge. Ask the homeserver admin to add you to ' +
  'bridge.permissions in its configuration.';

export class BridgeBot {
  constructor(
    private readonly botUserId: string,
    private readonly config: BridgeConfig,
    private readonly store: BridgeStore,
    private readonly commands: CommandRegistry,
    private readonly identity: BotIdentity,
    private readonly log: Logger,
    /** users the bridge itself puppets (ghosts): never treated as people talking to the bot */
    private readonly isBridgeUser: (mxid: string) => boolean,
  ) {}

  async onEvent(event: MatrixEvent): Promise<void> {
    if (!event.room_id || !event.sender || this.isBridgeUser(event.sender)) return;
    if (event.type === 'm.room.member' && event.state_key === this.botUserId) {
      if (event.content?.membership === 'invite') await this.onInvite(event.room_id, event.sender);
      return;
    }
    if (event.type === 'm.room.member' && event.content?.membership === 'leave' && event.state_key === event.sender) {
      this.onOwnerLeft(event.room_id, event.sender);
      return;
    }
    if (event.type === 'm.room.message' && event.content?.msgtype === 'm.text' && typeof event.content.body === 'string') {
      await this.onText(event.room_id, event.sender, event.content.body);
    }
  }

  private async onInvite(roomId: string, inviter: string): Promise<void> {
    const access = accessOf(this.config.bridge.permissions, inviter);
    await this.identity.join(roomId);
    if (access === 'none') {
      this.log.info(`refused invite from ${inviter}: not permitted`);
      await this.identity.sendMessage(roomId, noticeContent(REFUSAL));
      await this.identity.leave(roomId, 'not permitted to use this bridge');
      return;
    }
    this.store.users.ensure(inviter);
    this.store.users.setManagementRoom(inviter, roomId);
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

  private onOwnerLeft(roomId: string, mxid: string): void {
    const owner = this.store.users.findByManagementRoom(roomId);
    if (owner?.mxid === mxid) this.store.users.setManagementRoom(mxid, null);
  }

  /** The command text, if this message addresses the bot; undefined otherwise. */
  private commandText(roomId: string, sender: string, body: string): string | undefined {
    const prefix = this.config.bridge.command_prefix;
    const trimmed = body.trim();
    if (prefix && trimmed.startsWith(prefix + ' ')) return trimmed.slice(prefix.length + 1).trim();
    if (prefix && trimmed === prefix) return 'help';
    const owner = this.store.users.findByManagementRoom(roomId);
    return owner?.mxid === sender ? trimmed : undefined;
  }

  private async onText(roomId: string, sender: string, body: string): Promise<void> {
    const text = this.commandText(roomId, sender, body);
    if (text === undefined || text === '') return;
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
    // a one-time code on its own is the answer to `login`
    const normalised = /^\d[\d -]{2,14}$/.test(text) ? `code ${text.replace(/\D/g, '')}` : text;
    const [name, ...args] = normalised.split(/\s+/);
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
    try {
      await command.handler({ sender, access, roomId, args, reply });
    } catch (error) {
      this.log.error(`command ${command.name} failed for ${sender}:`, (error as Error).message);
      await reply(`"${command.name}" failed: ${(error as Error).message}`);
    }
  }
}
