/**
 * What the other side learns of the user beyond their number (issue: the DMA's "what the
 * other side learns"): with `profile share on` the user's Matrix display name and avatar are
 * published to the network as their profile; with `off`, the default, nothing is, and a
 * profile published before is cleared. A change of the Matrix profile is followed (seen as
 * the owner's member event in a portal). Checked again at every connect, so a change made while
 * the network was unreachable takes effect once it is back, and a profile someone else set for
 * the number is not kept behind the user's back.
 */
import type { CoreContext } from './context';
import { imageMimeType } from './image-type';
import { readSettings, writeSetting } from './user-settings';

/** larger avatars are left out (the name is still shared): a profile picture needs no more */
export const MAX_SHARED_AVATAR_BYTES = 5 * 1024 * 1024;

const profileKey = (displayName: string | undefined, avatarMxc: string | undefined): string => JSON.stringify([displayName ?? null, avatarMxc ?? null]);

export type ShareOutcome =
  | { outcome: 'published'; displayName: string | null; avatar: boolean; avatarNote?: string }
  | { outcome: 'cleared' }
  /** no connected session: the setting is kept and applied at the next connect */
  | { outcome: 'later' };

export class ProfileShare {
  /** per owner, the Matrix profile last published (its name and avatar URL), so a profile
   *  change seen in many portals is published once, and a per-room nickname not at all */
  private readonly published = new Map<string, string>();
  /** per owner, the refresh running now: the next waits for it, then compares */
  private readonly refreshing = new Map<string, Promise<void>>();

  constructor(private readonly ctx: CoreContext) {}

  /**
   * The owner's membership in one of their portals changed its name or avatar (Synapse sends
   * one such event per room when a user changes their profile): with sharing on, the network's
   * copy follows the Matrix profile. Failures are logged; the next change or connect tries again.
   */
  profileChanged(owner: string): void {
    const previous = this.refreshing.get(owner) ?? Promise.resolve();
    const next = previous.then(() => this.refresh(owner)).catch((error: Error) => {
      this.ctx.log.warn(`profile of ${owner} not brought in line with "profile share" after a profile change: ${error.message}`);
    });
    this.refreshing.set(owner, next);
    void next.finally(() => {
      if (this.refreshing.get(owner) === next) this.refreshing.delete(owner);
    });
  }

  private async refresh(owner: string): Promise<void> {
    if (!this.ctx.session(owner) || !(await readSettings(this.ctx.store, owner)).profileShare) return;
    const { displayName, avatarMxc } = await this.ctx.matrix.userProfile(owner);
    if (this.published.get(owner) === profileKey(displayName, avatarMxc)) return;
    await this.apply(owner);
  }

  /** Records the choice and applies it now if the user is connected. */
  async set(owner: string, share: boolean): Promise<ShareOutcome> {
    await writeSetting(this.ctx.store, owner, 'profileShare', share);
    return this.apply(owner);
  }

  /** After a (re)connect: the network's copy made to match the setting; failures are logged, and the next connect tries again. */
  connected(owner: string): void {
    void this.apply(owner).catch((error: Error) => this.ctx.log.warn(`profile of ${owner} not brought in line with "profile share": ${error.message}`));
  }

  private async apply(owner: string): Promise<ShareOutcome> {
    const session = this.ctx.session(owner);
    if (!session) return { outcome: 'later' };
    if ((await readSettings(this.ctx.store, owner)).profileShare) {
      const { displayName, avatarMxc } = await this.ctx.matrix.userProfile(owner);
      const { avatar, note } = await this.avatar(avatarMxc);
      await session.publishProfile({ displayName: displayName ?? null, avatar });
      this.published.set(owner, profileKey(displayName, avatarMxc));
      return { outcome: 'published', displayName: displayName ?? null, avatar: avatar !== null, ...(note && { avatarNote: note }) };
    }
    const current = await session.fetchProfile(session.phone);
    // nothing shared and nothing there: publish nothing at all, not even an empty profile
    if (current.displayName !== undefined || current.avatarRef !== undefined) await session.publishProfile({ displayName: null, avatar: null });
    this.published.delete(owner);
    return { outcome: 'cleared' };
  }

  private async avatar(mxc: string | undefined): Promise<{ avatar: Uint8Array | null; note?: string }> {
    if (!mxc) return { avatar: null };
    const { bytes } = await this.ctx.matrix.downloadMedia(mxc);
    if (bytes.length > MAX_SHARED_AVATAR_BYTES) return { avatar: null, note: `your avatar is over ${MAX_SHARED_AVATAR_BYTES / 1024 / 1024} MB, so it was left out` };
    if (!imageMimeType(bytes)) return { avatar: null, note: 'your avatar is not a PNG, JPEG, GIF or WebP image, so it was left out' };
    return { avatar: bytes };
  }
}
