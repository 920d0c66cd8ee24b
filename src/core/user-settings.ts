/**
 * A user's own choices, kept in the store's free-form settings column and read through one
 * schema here: a value that does not fit (a hand-edited database, an older release's key)
 * falls back to its default instead of breaking the commands that read it, and keys this
 * release does not know are kept when another setting is written.
 */
import Ajv, { type JSONSchemaType } from 'ajv';
import type { BridgeStore } from '../store';

export type InboxMode = 'separate' | 'merged';
export const INBOX_MODES: readonly InboxMode[] = ['separate', 'merged'];

export interface UserSettings {
  /** separate: portals are children of a "Third-party chats" Space; merged: no Space */
  inbox: InboxMode;
  /** `pause`d: no session, nothing sent either way, until `resume` (the login stays) */
  paused: boolean;
  /** whether the user's Matrix display name and avatar are published to the network */
  profileShare: boolean;
}

export const DEFAULT_SETTINGS: UserSettings = { inbox: 'separate', paused: false, profileShare: false };

const ajv = new Ajv({ allErrors: true });
/** one validator per setting, so one bad value costs only that setting */
const valid: { [K in keyof UserSettings]: (value: unknown) => value is UserSettings[K] } = {
  inbox: ajv.compile<InboxMode>({ type: 'string', enum: [...INBOX_MODES] } satisfies JSONSchemaType<InboxMode>),
  paused: ajv.compile<boolean>({ type: 'boolean' } satisfies JSONSchemaType<boolean>),
  profileShare: ajv.compile<boolean>({ type: 'boolean' } satisfies JSONSchemaType<boolean>),
};

export async function readSettings(store: BridgeStore, mxid: string): Promise<UserSettings> {
  const stored = (await store.users.get(mxid))?.settings ?? {};
  return {
    inbox: valid.inbox(stored.inbox) ? stored.inbox : DEFAULT_SETTINGS.inbox,
    paused: valid.paused(stored.paused) ? stored.paused : DEFAULT_SETTINGS.paused,
    profileShare: valid.profileShare(stored.profileShare) ? stored.profileShare : DEFAULT_SETTINGS.profileShare,
  };
}

export async function writeSetting<K extends keyof UserSettings>(store: BridgeStore, mxid: string, key: K, value: UserSettings[K]): Promise<void> {
  // read and write in one transaction: another setting written in between would be lost
  await store.atomically(async (tx) => {
    const user = await tx.users.ensure(mxid);
    await tx.users.updateSettings(mxid, { ...user.settings, [key]: value });
  });
}

/** What each setting now means, in the words the `settings` command answers with. */
export function describeSettings(settings: UserSettings): string[] {
  return [describeInbox(settings.inbox), describePaused(settings.paused), describeProfileShare(settings.profileShare)];
}

export function describeProfileShare(share: boolean): string {
  return share
    ? 'profile share on: your Matrix display name and avatar are your profile on the network; everyone there who looks up your number sees them. "profile share off" takes them back.'
    : 'profile share off: the network and your contacts get your number only, no name or avatar. "profile share on" publishes your Matrix display name and avatar.';
}

export function describePaused(paused: boolean): string {
  return paused
    ? 'paused: nothing is bridged, either way, until you send "resume" (you stay logged in).'
    : 'not paused: your chats are bridged both ways. "pause" stops that without logging out.';
}

export async function isPaused(store: BridgeStore, mxid: string): Promise<boolean> {
  return (await readSettings(store, mxid)).paused;
}

export function describeInbox(mode: InboxMode): string {
  return mode === 'separate'
    ? 'inbox separate: your chats with interop contacts are kept together in the Space "Third-party chats" (your Matrix client shows it apart from your other rooms). Change it with "inbox merged".'
    : 'inbox merged: your chats with interop contacts sit among your other Matrix rooms, in no Space. Change it with "inbox separate".';
}
