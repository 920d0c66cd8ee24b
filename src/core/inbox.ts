/**
 * Where a user's portals sit in their Matrix client (issue: the DMA's separate inbox). With
 * `inbox separate`, the default, the bot keeps a Space "Third-party chats" for the user, with
 * every portal as a child (m.space.child in the Space, m.space.parent in the portal); with
 * `inbox merged` there is no Space and the portals sit among the user's other rooms.
 * Switching moves the existing portals. Every step may be repeated: the Space is recorded as
 * soon as it exists, and a child is a state event, set again to the same content.
 */
import type { CoreContext } from './context';
import { isPermanent } from './errors';
import { readSettings, writeSetting, type InboxMode } from './user-settings';

export const INBOX_SPACE_NAME = 'Third-party chats';
const INBOX_SPACE_TOPIC =
  'Your chats with people on other messaging networks, bridged by the interop bridge. Send "inbox merged" to the bridge bot to keep them among your other rooms instead.';

export interface InboxSwitch {
  /** portals now where the setting says */
  moved: number;
  /** why the others are not (each room is tried again at the next switch) */
  failed: string[];
}

export class Inbox {
  private readonly creating = new Map<string, Promise<string>>();

  constructor(private readonly ctx: CoreContext) {}

  /** Puts a portal where its owner's setting says; called while the portal is set up, so an
   *  outage is retried with the rest of that setup, and a refusal costs only the placement. */
  async place(owner: string, roomId: string): Promise<void> {
    if ((await readSettings(this.ctx.store, owner)).inbox !== 'separate') return;
    try {
      await this.link(await this.space(owner), roomId);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      this.ctx.log.warn(`portal ${roomId} not added to the inbox space of ${owner}: ${(error as Error).message}`);
    }
  }

  /** A portal the owner left leaves their Space too. An outage throws, so the leave is handled
   *  again (the caller runs this before it forgets the room); a refusal costs only the link. */
  async remove(owner: string, roomId: string): Promise<void> {
    const space = (await this.ctx.store.users.get(owner))?.inboxSpace;
    if (!space) return;
    try {
      await this.unlink(space, roomId);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      this.ctx.log.warn(`portal ${roomId} not removed from the inbox space of ${owner}: ${(error as Error).message}`);
    }
  }

  /** Records the setting and moves every existing portal of `owner` accordingly. */
  async switchTo(owner: string, mode: InboxMode): Promise<InboxSwitch> {
    const { store, matrix } = this.ctx;
    await writeSetting(store, owner, 'inbox', mode);
    const rooms = (await store.portals.ofOwner(owner)).flatMap((p) => (p.roomId ? [p.roomId] : []));
    let space: string | null | undefined = (await store.users.get(owner))?.inboxSpace;
    if (mode === 'separate') {
      space = await this.space(owner);
      // they may have left or declined it while the inbox was merged
      const membership = await matrix.membership(space, owner);
      if (membership !== 'join' && membership !== 'invite') await matrix.invite(matrix.botUserId, space, owner);
    }
    const result: InboxSwitch = { moved: 0, failed: [] };
    for (const roomId of rooms) {
      if (!space) {
        result.moved++; // merged and never had a Space: nothing to undo
        continue;
      }
      try {
        await (mode === 'separate' ? this.link(space, roomId) : this.unlink(space, roomId));
        result.moved++;
      } catch (error) {
        result.failed.push(`${roomId}: ${(error as Error).message}`);
      }
    }
    return result;
  }

  /** The owner's Space, created (once, also when asked for twice at the same time) on first need. */
  private async space(owner: string): Promise<string> {
    const existing = (await this.ctx.store.users.get(owner))?.inboxSpace;
    if (existing) return existing;
    let creation = this.creating.get(owner);
    if (!creation) {
      creation = this.createSpace(owner).finally(() => this.creating.delete(owner));
      this.creating.set(owner, creation);
    }
    return creation;
  }

  /** one creation per owner at a time (space keeps it in `creating`) */
  private async createSpace(owner: string): Promise<string> {
    const { store, matrix } = this.ctx;
    // read again once this is the owner's only creation: one that ended while the caller
    // read the store may have made the Space already
    const made = (await store.users.get(owner))?.inboxSpace;
    if (made) return made;
    const roomId = await matrix.createSpace({ owner, name: INBOX_SPACE_NAME, topic: INBOX_SPACE_TOPIC });
    await store.users.ensure(owner);
    await store.users.setInboxSpace(owner, roomId);
    this.ctx.log.info(`inbox space ${roomId} created for ${owner}`);
    return roomId;
  }

  private async link(space: string, roomId: string): Promise<void> {
    const { matrix, config } = this.ctx;
    const via = [config.homeserver.domain];
    await matrix.setState(matrix.botUserId, space, 'm.space.child', roomId, { via });
    await matrix.setState(matrix.botUserId, roomId, 'm.space.parent', space, { via, canonical: true });
  }

  /** An m.space.child / m.space.parent without `via` is no link (the spec's way to remove one). */
  private async unlink(space: string, roomId: string): Promise<void> {
    const { matrix } = this.ctx;
    await matrix.setState(matrix.botUserId, space, 'm.space.child', roomId, {});
    await matrix.setState(matrix.botUserId, roomId, 'm.space.parent', space, {});
  }
}
