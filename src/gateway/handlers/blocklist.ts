/**
 * blocklist.set / blocklist.get: the numbers an account does not want to hear from. The
 * list is the whole list each time (no add/remove pair whose retries could interleave);
 * the schema has already refused numbers that are not E.164, duplicates and lists longer
 * than MAX_BLOCKLIST. What a block does is in messages.ts: it drops, silently, at submit time.
 */
import type { RequestParams, RequestResult } from '../../protocol/frames';
import type { RequestContext } from '../context';
import { ownAccount } from './common';

export function blocklistSet(ctx: RequestContext, p: RequestParams<'blocklist.set'>): RequestResult<'blocklist.set'> {
  ownAccount(ctx, p.phone);
  ctx.services.blocks.replace(p.phone, p.blocked);
  ctx.services.log.info('block list replaced', { provider: ctx.provider.id, entries: p.blocked.length });
  return { blocked: ctx.services.blocks.list(p.phone) };
}

export function blocklistGet(ctx: RequestContext, p: RequestParams<'blocklist.get'>): RequestResult<'blocklist.get'> {
  ownAccount(ctx, p.phone);
  return { blocked: ctx.services.blocks.list(p.phone) };
}
