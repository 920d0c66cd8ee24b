/** device.* and keys.*: devices, the key directory, subscriptions to device queues. */
import { MAX_DEVICE_ID, type DeviceBundle, type RequestParams, type RequestResult } from '../../protocol/frames';
import { eventFrame, GatewayError, type RequestContext } from '../context';
import { checkKeys, parseIdentityKey } from '../key-checks';
import type { DeviceRow } from '../store/devices';
import { anyAccount, ownAccount, ownDevice, providerE2ee, spendLookup } from './common';

export function deviceRegister(ctx: RequestContext, p: RequestParams<'device.register'>): RequestResult<'device.register'> {
  ownAccount(ctx, p.phone);
  const { devices, accounts, now } = ctx.services;
  if (ctx.provider.e2ee && !p.keys) {
    throw new GatewayError('encryption_mismatch', `provider ${ctx.provider.id} has end-to-end encryption: keys are required`, '/params/keys');
  }
  if (!ctx.provider.e2ee && p.keys) {
    throw new GatewayError('encryption_mismatch', `provider ${ctx.provider.id} has no end-to-end encryption: send no keys`, '/params/keys');
  }
  if (p.keys) checkKeys(parseIdentityKey(p.keys.identityKey, '/params/keys/identityKey'), p.keys, '/params/keys');
  const deviceId = devices.transaction(() => {
    const id = accounts.allocateDeviceId(p.phone);
    if (id > MAX_DEVICE_ID) {
      throw new GatewayError('too_many_devices', `${p.phone} has used all ${MAX_DEVICE_ID} device IDs`);
    }
    const row: DeviceRow = { phone: p.phone, deviceId: id, registrationId: p.registrationId, attributes: p.attributes };
    if (p.keys) {
      row.identityKey = p.keys.identityKey;
      row.signedPreKey = p.keys.signedPreKey;
      row.kyberPreKey = p.keys.kyberPreKey;
    }
    devices.insert(row, now());
    if (p.keys) {
      devices.addOneTimePreKeys(p.phone, id, 'ec', p.keys.oneTimePreKeys ?? []);
      devices.addOneTimePreKeys(p.phone, id, 'kyber', p.keys.oneTimeKyberPreKeys ?? []);
    }
    return id;
  });
  ctx.services.log.info('device registered', { provider: ctx.provider.id, deviceId, bridged: p.attributes.bridged });
  return { deviceId };
}

export function deviceRemove(ctx: RequestContext, p: RequestParams<'device.remove'>): RequestResult<'device.remove'> {
  ownDevice(ctx, p.phone, p.deviceId);
  ctx.services.hub.end(p.phone, p.deviceId, 'device_removed');
  ctx.services.devices.delete(p.phone, p.deviceId);
  return {};
}

export function deviceList(ctx: RequestContext, p: RequestParams<'device.list'>): RequestResult<'device.list'> {
  ownAccount(ctx, p.phone);
  const { devices } = ctx.services;
  return {
    devices: devices.list(p.phone).map((d) => ({
      deviceId: d.deviceId,
      attributes: d.attributes,
      oneTimePreKeyCount: devices.countOneTimePreKeys(p.phone, d.deviceId, 'ec'),
    })),
  };
}

export function subscribe(ctx: RequestContext, p: RequestParams<'device.subscribe'>): RequestResult<'device.subscribe'> {
  ownDevice(ctx, p.phone, p.deviceId);
  const { queued, window } = ctx.services.hub.subscribe(ctx.conn, p.phone, p.deviceId, p.window);
  ctx.afterReply(() => {
    ctx.services.hub.pump(p.phone, p.deviceId);
    if (ctx.provider.e2ee) warnIfLow(ctx, p.phone, p.deviceId);
  });
  // the window is named only to a subscriber that asked: an older client's result stays as it was
  return p.window === undefined ? { queued } : { queued, window };
}

export function unsubscribe(ctx: RequestContext, p: RequestParams<'device.unsubscribe'>): RequestResult<'device.unsubscribe'> {
  ownDevice(ctx, p.phone, p.deviceId);
  ctx.services.hub.unsubscribe(ctx.conn, p.phone, p.deviceId);
  return {};
}

function preKeyCounts(ctx: RequestContext, phone: string, deviceId: number) {
  const { devices } = ctx.services;
  return {
    oneTimePreKeyCount: devices.countOneTimePreKeys(phone, deviceId, 'ec'),
    oneTimeKyberPreKeyCount: devices.countOneTimePreKeys(phone, deviceId, 'kyber'),
  };
}

/** Tell the device's subscriber (if any) that its one-time prekeys run low. */
function warnIfLow(ctx: RequestContext, phone: string, deviceId: number): void {
  const { hub, config } = ctx.services;
  const conn = hub.connectionFor(phone, deviceId);
  if (!conn) return;
  const counts = preKeyCounts(ctx, phone, deviceId);
  if (counts.oneTimePreKeyCount >= config.preKeyLowWater) return;
  conn.send(eventFrame(conn, 'keys.low', { device: { phone, deviceId }, ...counts, lowWater: config.preKeyLowWater }));
}

export function keysUpload(ctx: RequestContext, p: RequestParams<'keys.upload'>): RequestResult<'keys.upload'> {
  const device = ownDevice(ctx, p.phone, p.deviceId);
  if (!ctx.provider.e2ee || !device.identityKey) {
    throw new GatewayError('encryption_mismatch', `provider ${ctx.provider.id} has no end-to-end encryption: it has no keys`);
  }
  checkKeys(parseIdentityKey(device.identityKey, '/params'), p, '/params');
  const { devices } = ctx.services;
  devices.transaction(() => {
    if (p.signedPreKey) devices.setSignedPreKey(p.phone, p.deviceId, p.signedPreKey);
    if (p.kyberPreKey) devices.setKyberPreKey(p.phone, p.deviceId, p.kyberPreKey);
    devices.addOneTimePreKeys(p.phone, p.deviceId, 'ec', p.oneTimePreKeys ?? []);
    devices.addOneTimePreKeys(p.phone, p.deviceId, 'kyber', p.oneTimeKyberPreKeys ?? []);
  });
  return preKeyCounts(ctx, p.phone, p.deviceId);
}

export function keysFetch(ctx: RequestContext, p: RequestParams<'keys.fetch'>): RequestResult<'keys.fetch'> {
  spendLookup(ctx);
  const account = anyAccount(ctx, p.phone);
  const e2ee = providerE2ee(ctx, account.provider);
  const { devices } = ctx.services;
  const consumed: number[] = [];
  const bundles = devices.transaction(() =>
    devices.list(p.phone).map((d): DeviceBundle => {
      const out: DeviceBundle = { deviceId: d.deviceId, registrationId: d.registrationId, attributes: d.attributes };
      if (!e2ee || !d.identityKey || !d.signedPreKey || !d.kyberPreKey) return out;
      const oneTimePreKey = devices.takeOneTimePreKey(p.phone, d.deviceId, 'ec');
      const kyberPreKey = devices.takeOneTimePreKey(p.phone, d.deviceId, 'kyber') ?? d.kyberPreKey;
      out.bundle = { identityKey: d.identityKey, signedPreKey: d.signedPreKey, kyberPreKey };
      if (oneTimePreKey) {
        out.bundle.oneTimePreKey = oneTimePreKey;
        consumed.push(d.deviceId);
      }
      return out;
    }),
  );
  ctx.afterReply(() => consumed.forEach((deviceId) => warnIfLow(ctx, p.phone, deviceId)));
  return { phone: p.phone, provider: account.provider, e2ee, devices: bundles };
}
