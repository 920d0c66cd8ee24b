/**
 * envelope.ack_many (docs/interop-protocol.md §6, "Acknowledging many"): one request that
 * acknowledges several envelopes of one device, so a busy receiver sends one frame where it
 * would send one per envelope. Added to both versions after the first gateways; one that does
 * not know it answers `unknown_type`, and `envelope.ack` keeps working everywhere.
 * Types only; schemas in schemas/requests.ts and schemas/responses.ts.
 */
import type { Phone } from './frames';

/** Most envelope IDs in one envelope.ack_many: 256 IDs of the longest form (128 characters)
 *  stay near 34 KB, far below any sensible `maxFrameBytes`. */
export const MAX_ACKS_PER_REQUEST = 256;

export interface AckManyParams {
  phone: Phone;
  deviceId: number;
  /** 1 to MAX_ACKS_PER_REQUEST IDs, each at most once */
  envelopeIds: string[];
}
export interface AckManyResult {
  /** one entry per envelopeIds entry, in the same order: false when that envelope was
   *  already gone (acknowledged before, or never this device's) */
  removed: boolean[];
}

export interface AckRequestMap {
  'envelope.ack_many': { params: AckManyParams; result: AckManyResult };
}
