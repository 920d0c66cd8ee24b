/** account.* and profile.*: registration by one-time code, removal, profiles. */
import type { Profile, RequestParams, RequestResult } from '../../protocol/frames';
import { quote } from '../../protocol/quote';
import { GatewayError, type RequestContext } from '../context';
import { hashCode, randomCode, secretsEqual } from '../crypto';
import type { AccountRow } from '../store/accounts';
import { leaveGroup } from './groups';
import { anyAccount, ownAccount, spendLookup } from './common';

export const MAX_CODE_ATTEMPTS = 5;

export function registerRequest(
  ctx: RequestContext,
  p: RequestParams<'account.register_request'>,
): RequestResult<'account.register_request'> {
  const { accounts, config, now } = ctx.services;
  const existing = accounts.get(p.phone);
  if (existing && existing.provider !== ctx.provider.id) {
    throw new GatewayError('phone_taken', `${p.phone} is registered with another provider`, '/params/phone');
  }
  if (!config.devMode && !ctx.services.deliverCode) {
    throw new GatewayError('unavailable', 'verification code delivery is not configured on this gateway');
  }
  const code = randomCode();
  const expiresAt = now() + config.codeTtlMs;
  accounts.putCode(p.phone, ctx.provider.id, hashCode(p.phone, code), expiresAt);
  if (config.devMode) {
    ctx.services.printDevCode(`[DEV] verification code for ${p.phone}: ${code}`);
    return { phone: p.phone, expiresAt, devCode: code };
  }
  ctx.services.deliverCode?.(p.phone, code);
  return { phone: p.phone, expiresAt };
}

export function registerConfirm(
  ctx: RequestContext,
  p: RequestParams<'account.register_confirm'>,
): RequestResult<'account.register_confirm'> {
  const { accounts, now } = ctx.services;
  const pending = accounts.getCode(p.phone);
  if (!pending || pending.provider !== ctx.provider.id) {
    throw new GatewayError('code_invalid', `no verification code pending for ${p.phone}; request one first`, '/params/code');
  }
  if (pending.expiresAt <= now()) {
    accounts.deleteCode(p.phone);
    throw new GatewayError('code_expired', 'the verification code has expired; request a new one', '/params/code');
  }
  if (pending.attempts >= MAX_CODE_ATTEMPTS) {
    accounts.deleteCode(p.phone);
    throw new GatewayError('code_attempts_exceeded', 'too many wrong codes; request a new one', '/params/code');
  }
  if (!secretsEqual(hashCode(p.phone, p.code), pending.codeHash)) {
    accounts.countFailedAttempt(p.phone);
    throw new GatewayError('code_invalid', 'wrong verification code', '/params/code');
  }
  accounts.deleteCode(p.phone);
  const existing = accounts.get(p.phone);
  if (existing && existing.provider !== ctx.provider.id) {
    throw new GatewayError('phone_taken', `${p.phone} is registered with another provider`, '/params/phone');
  }
  if (!existing) accounts.create(p.phone, ctx.provider.id, now());
  ctx.services.log.info('account verified', { provider: ctx.provider.id, created: !existing });
  return { phone: p.phone, provider: ctx.provider.id, created: !existing };
}

export function unregister(ctx: RequestContext, p: RequestParams<'account.unregister'>): RequestResult<'account.unregister'> {
  ownAccount(ctx, p.phone);
  ctx.services.hub.end(p.phone, undefined, 'account_removed');
  leaveAllGroups(ctx, p.phone);
  ctx.services.accounts.delete(p.phone);
  ctx.services.devices.forget(p.phone); // deleted by cascade
  return {};
}

/** An account that goes away leaves its groups as if it had left each one (the others are told,
 *  and a group it was the last admin of gets a new one) before its memberships are deleted. */
function leaveAllGroups(ctx: RequestContext, phone: string): void {
  const device = ctx.services.devices.list(phone)[0];
  const sender = { phone, deviceId: device?.deviceId ?? 1, provider: ctx.provider.id, bridged: device?.attributes.bridged ?? false, e2ee: ctx.provider.e2ee };
  for (const groupId of ctx.services.groups.groupsOf(phone)) leaveGroup(ctx, sender, groupId, phone);
}

function toProfile(account: AccountRow): Profile {
  const profile: Profile = { phone: account.phone, provider: account.provider };
  if (account.displayName !== null) profile.displayName = account.displayName;
  if (account.avatarMediaId !== null) profile.avatarMediaId = account.avatarMediaId;
  return profile;
}

export function profileSet(ctx: RequestContext, p: RequestParams<'profile.set'>): RequestResult<'profile.set'> {
  ownAccount(ctx, p.phone);
  if (typeof p.avatarMediaId === 'string' && !ctx.services.media.exists(p.avatarMediaId)) {
    throw new GatewayError('media_not_found', `no media ${quote(p.avatarMediaId)}`, '/params/avatarMediaId');
  }
  ctx.services.accounts.setProfile(p.phone, p.displayName, p.avatarMediaId);
  return toProfile(anyAccount(ctx, p.phone));
}

export function profileGet(ctx: RequestContext, p: RequestParams<'profile.get'>): RequestResult<'profile.get'> {
  spendLookup(ctx);
  return toProfile(anyAccount(ctx, p.phone));
}
