/**
 * Rows as both engines return them, and the records they become, for the tables whose columns
 * read the same in SQLite and PostgreSQL (text, and integers the PostgreSQL pool parses to
 * numbers). Tables with flags stay with their engine: SQLite gives 0/1, PostgreSQL booleans.
 * Types, not interfaces: node-postgres wants a row type with an implicit index signature.
 */
import type { BridgeUser } from './repositories';
import type { GhostRecord, LoginRecord, MessageRecord, ReactionRecord } from './chat-repositories';

export type UserRow = {
  mxid: string;
  management_room: string | null;
  settings: string;
  inbox_space: string | null;
  created_at: number;
};
export type LoginRow = { mxid: string; phone: string; state: string; created_at: number };
export type GhostRow = {
  phone: string; mxid: string; display_name: string | null; avatar_ref: string | null;
  avatar_mxc: string | null; profile_updated_at: number | null;
};
export type MessageRow = {
  owner: string; contact: string; remote_id: string; part: number; sender: string;
  room_id: string; event_id: string; timestamp: number;
};
export type ReactionRow = {
  owner: string; contact: string; target_remote_id: string; sender: string; emoji: string; room_id: string; event_id: string;
};

export const toUser = (row: UserRow): BridgeUser => ({
  mxid: row.mxid,
  managementRoom: row.management_room,
  settings: JSON.parse(row.settings) as Record<string, unknown>,
  inboxSpace: row.inbox_space,
  createdAt: row.created_at,
});
export const toLogin = (r: LoginRow): LoginRecord => ({
  mxid: r.mxid, phone: r.phone, state: JSON.parse(r.state) as Record<string, unknown>, createdAt: r.created_at,
});
export const toGhost = (r: GhostRow): GhostRecord => ({
  phone: r.phone, mxid: r.mxid, displayName: r.display_name, avatarRef: r.avatar_ref,
  avatarMxc: r.avatar_mxc, profileUpdatedAt: r.profile_updated_at,
});
export const toMessage = (r: MessageRow): MessageRecord => ({
  owner: r.owner, contact: r.contact, remoteId: r.remote_id, part: r.part, sender: r.sender,
  roomId: r.room_id, eventId: r.event_id, timestamp: r.timestamp,
});
export const toReaction = (r: ReactionRow): ReactionRecord => ({
  owner: r.owner, contact: r.contact, targetRemoteId: r.target_remote_id, sender: r.sender,
  emoji: r.emoji, roomId: r.room_id, eventId: r.event_id,
});
