/**
 * providers.list: the providers this gateway is configured with, so a provider can show its
 * users who may reach them and with what protection (the DMA lets users choose). Only ids,
 * encryption and display names: secrets and rate limits are the operator's business.
 */
import type { ProviderInfo, RequestParams, RequestResult } from '../../protocol/frames';
import type { RequestContext } from '../context';

export function providersList(ctx: RequestContext, _p: RequestParams<'providers.list'>): RequestResult<'providers.list'> {
  const providers: ProviderInfo[] = [...ctx.services.providers.values()]
    .map((p) => (p.displayName === undefined ? { id: p.id, e2ee: p.e2ee } : { id: p.id, e2ee: p.e2ee, displayName: p.displayName }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { providers };
}
