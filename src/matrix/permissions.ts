/**
 * Who may use the bridge. Config maps a user ID, a server name or `*` to a level; the most
 * specific entry wins, so an admin can be named inside a server that only has `user`.
 */
import type { PermissionLevel } from '../config/types';

export type Access = PermissionLevel | 'none';

const rank: Record<Access, number> = { none: 0, user: 1, admin: 2 };

export function accessOf(permissions: Record<string, PermissionLevel>, mxid: string): Access {
  if (permissions[mxid]) return permissions[mxid];
  const server = mxid.slice(mxid.indexOf(':') + 1);
  if (mxid.startsWith('@') && server && permissions[server]) return permissions[server];
  return permissions['*'] ?? 'none';
}

/** Whether `access` is enough for something that needs `needed`. */
export function allows(access: Access, needed: PermissionLevel): boolean {
  return rank[access] >= rank[needed];
}
