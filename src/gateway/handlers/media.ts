/** media.*: opaque encrypted blobs by unguessable ID. */
import type { RequestParams, RequestResult } from '../../protocol/frames';
import { quote } from '../../protocol/quote';
import { GatewayError, type RequestContext } from '../context';
import { randomId, sha256Base64 } from '../crypto';

export function mediaUpload(ctx: RequestContext, p: RequestParams<'media.upload'>): RequestResult<'media.upload'> {
  const max = ctx.services.config.maxMediaBytes;
  // check the size before decoding, so an oversized blob costs no second copy in memory
  const size = (p.data.length / 4) * 3 - (p.data.endsWith('==') ? 2 : p.data.endsWith('=') ? 1 : 0);
  if (size > max) throw new GatewayError('media_too_large', `media is ${size} bytes; the limit is ${max}`, '/params/data');
  const data = Buffer.from(p.data, 'base64');
  const mediaId = randomId();
  const digest = sha256Base64(data);
  ctx.services.media.put(mediaId, ctx.provider.id, digest, data, ctx.services.now());
  return { mediaId, size: data.length, digest };
}

export function mediaDownload(ctx: RequestContext, p: RequestParams<'media.download'>): RequestResult<'media.download'> {
  const row = ctx.services.media.get(p.mediaId);
  if (!row) throw new GatewayError('media_not_found', `no media ${quote(p.mediaId)}`, '/params/mediaId');
  return { mediaId: row.mediaId, size: row.size, data: row.data.toString('base64') };
}
