/**
 * The group API of one local account (protocol version 2, docs/interop-protocol.md §17):
 * create, add, remove, leave, rename, avatar, admins, send. Incoming group messages and
 * changes arrive as the client's `groupMessage` and `groupUpdate` events.
 */
import type { Content } from '../protocol/content';
import { GROUPS_VERSION, type DeviceAddress, type GroupInfo, type Phone } from '../protocol/frames';
import { parseContent } from '../protocol/validate';
import type { InteropConnection } from './connection';
import type { GroupSender } from './group-sender';
import type { GroupSendResult } from './types';

export class GroupApi {
  constructor(
    private readonly conn: InteropConnection,
    private readonly from: () => DeviceAddress,
    private readonly sender: GroupSender,
  ) {}

  private check(): void {
    if (this.conn.protocolVersion < GROUPS_VERSION) {
      throw new Error(`groups need protocol version ${GROUPS_VERSION}; this connection speaks ${this.conn.protocolVersion}`);
    }
  }

  private seen(group: GroupInfo): GroupInfo {
    this.sender.remember(group);
    return group;
  }

  /** This account becomes the group's first admin; `members` are added at once. */
  async create(name: string, members: Phone[] = [], avatarMediaId?: string): Promise<GroupInfo> {
    this.check();
    const { group } = await this.conn.request('group.create', { from: this.from(), name, members, ...(avatarMediaId && { avatarMediaId }) });
    return this.seen(group);
  }

  async get(groupId: string): Promise<GroupInfo> {
    this.check();
    return this.seen((await this.conn.request('group.get', { phone: this.from().phone, groupId })).group);
  }

  async list(): Promise<GroupInfo[]> {
    this.check();
    return (await this.conn.request('group.list', { phone: this.from().phone })).groups.map((g) => this.seen(g));
  }

  async rename(groupId: string, name: string): Promise<GroupInfo> {
    this.check();
    return this.seen((await this.conn.request('group.update', { from: this.from(), groupId, name }, { retryOnDisconnect: true })).group);
  }

  /** a media ID uploaded with `uploadPublic` (avatars are public, like profile avatars); null removes it */
  async setAvatar(groupId: string, avatarMediaId: string | null): Promise<GroupInfo> {
    this.check();
    return this.seen((await this.conn.request('group.update', { from: this.from(), groupId, avatarMediaId }, { retryOnDisconnect: true })).group);
  }

  async add(groupId: string, members: Phone[]): Promise<GroupInfo> {
    this.check();
    return this.seen((await this.conn.request('group.add', { from: this.from(), groupId, members }, { retryOnDisconnect: true })).group);
  }

  /** The next group message from this account starts a new sender key (the rotation rule). */
  async remove(groupId: string, members: Phone[]): Promise<GroupInfo> {
    this.check();
    return this.seen((await this.conn.request('group.remove', { from: this.from(), groupId, members }, { retryOnDisconnect: true })).group);
  }

  async leave(groupId: string): Promise<GroupInfo> {
    this.check();
    const { group } = await this.conn.request('group.leave', { from: this.from(), groupId });
    await this.sender.left(groupId);
    return group;
  }

  async promote(groupId: string, member: Phone): Promise<GroupInfo> {
    this.check();
    return this.seen((await this.conn.request('group.promote', { from: this.from(), groupId, member }, { retryOnDisconnect: true })).group);
  }

  async demote(groupId: string, member: Phone): Promise<GroupInfo> {
    this.check();
    return this.seen((await this.conn.request('group.demote', { from: this.from(), groupId, member }, { retryOnDisconnect: true })).group);
  }

  /** Sends content to every other member; content.messageId is the idempotency key. */
  async send(groupId: string, content: Content): Promise<GroupSendResult> {
    this.check();
    const checked = parseContent(content);
    if (!checked.ok) throw new Error(`refusing to send invalid content: ${checked.error}`);
    return this.sender.send(groupId, content.messageId, new TextEncoder().encode(JSON.stringify(content)));
  }
}
