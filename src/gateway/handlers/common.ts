/** Checks shared by the handlers: whose account is this, does the device exist, budget. */
import type { ProviderConfig } from '../config';
import { GatewayError, type RequestContext } from '../context';
import type { AccountRow } from '../store/accounts';
import type { DeviceRow } from '../store/devices';

/** An account of any provider (for look-ups and as a recipient). */
export function anyAccount(ctx: RequestContext, phone: string, field = '/params/phone'): AccountRow {
  const account = ctx.services.accounts.get(phone);
  if (!account) throw new GatewayError('account_not_found', `no account ${phone}`, field);
  return account;
}

/** An account the connection may act for. */
export function ownAccount(ctx: RequestContext, phone: string, field = '/params/phone'): AccountRow {
  const account = anyAccount(ctx, phone, field);
  if (account.provider !== ctx.provider.id) {
    throw new GatewayError('forbidden', `${phone} belongs to another provider`, field);
  }
  return account;
}

export function ownDevice(ctx: RequestContext, phone: string, deviceId: number, field = '/params'): DeviceRow {
  ownAccount(ctx, phone, `${field}/phone`);
  const device = ctx.services.devices.get(phone, deviceId);
  if (!device) throw new GatewayError('device_not_found', `no device ${deviceId} for ${phone}`, `${field}/deviceId`);
  return device;
}

/** Whether a provider's accounts use end-to-end encryption. A provider that was removed from the
 *  configuration keeps its accounts; they are treated as e2ee, the safe assumption for senders. */
export function providerE2ee(ctx: RequestContext, providerId: string): boolean {
  const provider: ProviderConfig | undefined = ctx.services.providers.get(providerId);
  return provider ? provider.e2ee : true;
}

/** One directory look-up from the provider's budget. */
export function spendLookup(ctx: RequestContext): void {
  const bucket = ctx.services.lookupBuckets.get(ctx.provider.id);
  const wait = bucket ? bucket.take() : 0;
  if (wait > 0) {
    throw new GatewayError('rate_limited', `directory look-ups over budget for provider ${ctx.provider.id}`, undefined, {
      retryAfterMs: wait,
    });
  }
}
