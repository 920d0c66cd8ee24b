/**
 * The device subscriptions a connection has asked for, kept so that every reconnect renews
 * them (the gateway forgets a subscription with its connection), and what an older gateway
 * answers to the subscriber's window.
 */
import type { SubscribeParams, SubscribeResult } from '../protocol/frames';
import { InteropRequestError } from './errors';

export class RememberedSubscriptions {
  private readonly byDevice = new Map<string, SubscribeParams>();

  remember(params: SubscribeParams): void {
    this.byDevice.set(`${params.phone}.${params.deviceId}`, params);
  }

  forget(phone: string, deviceId: number): void {
    this.byDevice.delete(`${phone}.${deviceId}`);
  }

  all(): Iterable<SubscribeParams> {
    return this.byDevice.values();
  }
}

/** The refusal of a gateway from before device.subscribe's `window` (its schema allows no
 *  other properties). */
function refusesWindow(err: unknown): boolean {
  return err instanceof InteropRequestError && err.code === 'invalid_params' && err.field === '/params/window';
}

/** Subscribes and remembers the subscription; an older gateway that refuses the window gets
 *  a plain subscribe (it then pushes up to its own deliveryWindow per sender), said through `warn`. */
export async function subscribeRemembered(
  subscriptions: RememberedSubscriptions,
  params: SubscribeParams,
  send: (params: SubscribeParams) => Promise<SubscribeResult>,
  warn: (message: string) => void,
): Promise<SubscribeResult> {
  subscriptions.remember(params);
  try {
    return await send(params);
  } catch (err) {
    if (params.window === undefined || !refusesWindow(err)) throw err;
    warn("the gateway does not take device.subscribe's window: it pushes as many unacknowledged envelopes per sender as its own deliveryWindow allows");
    const plain = { phone: params.phone, deviceId: params.deviceId };
    subscriptions.remember(plain);
    return send(plain);
  }
}
