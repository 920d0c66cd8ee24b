/**
 * Who is asking, and for whom. The caller (an integration manager, an admin tool) proves
 * itself with the shared secret as a bearer token; it acts for the Matrix user named in
 * `?user_id=` (the mautrix provisioning convention), who needs `user` permission in
 * `bridge.permissions`, the same rule the bot applies in the management room.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { PermissionLevel } from '../config/types';
import { accessOf, allows, type Access } from '../matrix/permissions';
import { ApiError, ERRCODE } from './errors';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Compares in constant time: equal-length digests, so neither length nor content leaks. */
export function secretMatches(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret));
}

/** Throws 401 unless the request carries `Authorization: Bearer <secret>`. */
export function checkSecret(headers: IncomingHttpHeaders, secret: string): void {
  const header = headers.authorization;
  if (!header) throw new ApiError(401, ERRCODE.missingToken, 'missing Authorization: Bearer <provisioning.shared_secret>');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new ApiError(401, ERRCODE.missingToken, 'the Authorization header must be "Bearer <provisioning.shared_secret>"');
  if (!secretMatches(match[1], secret)) throw new ApiError(401, ERRCODE.unknownToken, 'wrong provisioning secret');
}

const MATRIX_USER_ID = /^@[^\s:]+:[A-Za-z0-9.:[\]-]+$/;

export interface ActingUser {
  userId: string;
  access: Access;
}

/** The Matrix user the request acts for: present, well-formed, not one of the bridge's own, permitted. */
export function actingUser(
  query: URLSearchParams,
  permissions: Record<string, PermissionLevel>,
  isBridgeUser: (mxid: string) => boolean,
): ActingUser {
  const userId = query.get('user_id');
  if (userId === null || userId === '') throw new ApiError(400, ERRCODE.missingParam, 'missing query parameter user_id (the Matrix user to act for)');
  if (userId.length > 255 || !MATRIX_USER_ID.test(userId)) {
    throw new ApiError(400, ERRCODE.invalidParam, `user_id ${JSON.stringify(userId.slice(0, 80))} is not a Matrix user ID (@localpart:server)`);
  }
  if (isBridgeUser(userId)) throw new ApiError(403, ERRCODE.forbidden, `${userId} is one of the bridge's own users`);
  const access = accessOf(permissions, userId);
  if (!allows(access, 'user')) throw new ApiError(403, ERRCODE.forbidden, `${userId} may not use the bridge (bridge.permissions)`);
  return { userId, access };
}
