/**
 * The crypto part of an appservice transaction, sorted by the device it is for. With MSC2409
 * and MSC3202 Synapse puts into transactions what a client would get from /sync: to-device
 * events (each naming its `to_user_id` and `to_device_id`), device list changes, and one-time
 * key counts and unused fallback key types per device. Pure: bad entries are skipped with a
 * reason (no content in it), never thrown, because one bad entry must not block the rest.
 */
export const TO_DEVICE_KEY = 'de.sorunome.msc2409.to_device';
export const DEVICE_LISTS_KEY = 'org.matrix.msc3202.device_lists';
export const ONE_TIME_KEY_COUNTS_KEY = 'org.matrix.msc3202.device_one_time_keys_count';
export const FALLBACK_KEY_TYPES_KEY = 'org.matrix.msc3202.device_unused_fallback_key_types';

export interface ToDeviceEvent {
  type: string;
  sender: string;
  content: Record<string, unknown>;
  to_user_id: string;
  to_device_id: string;
}

/** What one device gets from a transaction; absent fields were not in it (not "zero"). */
export interface DeviceCryptoData {
  userId: string;
  deviceId: string;
  toDevice: ToDeviceEvent[];
  oneTimeKeyCounts?: Record<string, number>;
  unusedFallbackKeyTypes?: string[];
}

export interface TransactionCrypto {
  changed: string[];
  left: string[];
  devices: DeviceCryptoData[];
  /** Why entries were left out, for a warning log. */
  skipped: string[];
}

const USER_ID = /^@[^:\s]+:\S+$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function userIds(value: unknown, what: string, skipped: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    skipped.push(`${what} is not a list`);
    return [];
  }
  const good = value.filter((v): v is string => typeof v === 'string' && USER_ID.test(v));
  if (good.length < value.length) skipped.push(`${value.length - good.length} entries of ${what} are not user IDs`);
  return good;
}

export function cryptoOfTransaction(body: Record<string, unknown>): TransactionCrypto {
  const skipped: string[] = [];
  const devices = new Map<string, DeviceCryptoData>();
  const deviceData = (userId: string, deviceId: string): DeviceCryptoData => {
    const key = `${userId}|${deviceId}`;
    let data = devices.get(key);
    if (!data) devices.set(key, (data = { userId, deviceId, toDevice: [] }));
    return data;
  };

  const toDevice = body[TO_DEVICE_KEY];
  if (toDevice !== undefined && !Array.isArray(toDevice)) skipped.push(`${TO_DEVICE_KEY} is not a list`);
  for (const [i, event] of (Array.isArray(toDevice) ? toDevice : []).entries()) {
    if (!isObject(event) || typeof event.type !== 'string' || typeof event.sender !== 'string' || !isObject(event.content) ||
      typeof event.to_user_id !== 'string' || !USER_ID.test(event.to_user_id) || typeof event.to_device_id !== 'string' || event.to_device_id === '') {
      skipped.push(`to-device event ${i} is malformed`);
      continue;
    }
    deviceData(event.to_user_id, event.to_device_id).toDevice.push(event as unknown as ToDeviceEvent);
  }

  const perDevice = <T>(key: string, valid: (v: unknown) => v is T, set: (d: DeviceCryptoData, v: T) => void) => {
    const value = body[key];
    if (value === undefined) return;
    if (!isObject(value)) {
      skipped.push(`${key} is not an object`);
      return;
    }
    for (const [userId, byDevice] of Object.entries(value)) {
      if (!USER_ID.test(userId) || !isObject(byDevice)) {
        skipped.push(`${key} has a malformed entry`);
        continue;
      }
      for (const [deviceId, v] of Object.entries(byDevice)) {
        if (valid(v)) set(deviceData(userId, deviceId), v);
        else skipped.push(`${key} has a malformed entry`);
      }
    }
  };
  perDevice(ONE_TIME_KEY_COUNTS_KEY, (v): v is Record<string, number> => isObject(v) && Object.values(v).every(isCount),
    (d, v) => { d.oneTimeKeyCounts = v; });
  perDevice(FALLBACK_KEY_TYPES_KEY, (v): v is string[] => Array.isArray(v) && v.every((t) => typeof t === 'string'),
    (d, v) => { d.unusedFallbackKeyTypes = v; });

  const lists = body[DEVICE_LISTS_KEY];
  if (lists !== undefined && !isObject(lists)) skipped.push(`${DEVICE_LISTS_KEY} is not an object`);
  const listObject = isObject(lists) ? lists : {};
  return {
    changed: userIds(listObject.changed, 'device_lists.changed', skipped),
    left: userIds(listObject.left, 'device_lists.left', skipped),
    devices: [...devices.values()],
    skipped,
  };
}
