/**
 * Whom the bridge's devices trust (security.trust): which devices of a room's members get the
 * room keys of what the bridge sends, and which devices' messages it accepts. Both are
 * crypto-wasm's own mechanisms (a CollectStrategy for key sharing, a TrustRequirement for
 * decryption); this file only maps the config onto them.
 */
import * as wasm from '@matrix-org/matrix-sdk-crypto-wasm';
import type { AcceptMessagesFrom, RoomKeySharing } from '../../config/types';

export interface CryptoTrust {
  shareRoomKeysWith: RoomKeySharing;
  acceptMessagesFrom: AcceptMessagesFrom;
}

export const DEFAULT_TRUST: CryptoTrust = { shareRoomKeysWith: 'cross_signed_if_set_up', acceptMessagesFrom: 'any_device' };

/**
 * The key-sharing strategy for one share into a room of `members`. `cross_signed_if_set_up` is
 * composed, since crypto-wasm has no such strategy: identity-based sharing (devices their owner
 * cross-signed, nobody without an identity) when every member has published a cross-signing
 * identity, else all devices. A share is one strategy for all members, so a room with one
 * member without cross-signing shares with every member's devices (a portal has one Matrix
 * member besides the bridge's own users, which are all cross-signed). The members' identities
 * must be known first (tracked and their keys queried). Identity-based sharing also needs the
 * sending device cross-signed by its own identity (else crypto-wasm refuses: CrossSigningNotSetup,
 * SendingFromUnverifiedDevice), which every bridge device is (BridgedDevice.ensureCrossSigned);
 * it fails for a recipient whose identity changed only if it had been verified, and the bridge
 * verifies no one.
 */
export async function sharingStrategy(machine: wasm.OlmMachine, members: string[], sharing: RoomKeySharing): Promise<wasm.CollectStrategy> {
  if (sharing === 'all_devices') return wasm.CollectStrategy.allDevices();
  if (sharing === 'cross_signed_only') return wasm.CollectStrategy.identityBasedStrategy();
  for (const member of members) {
    const identity = await machine.getIdentity(new wasm.UserId(member));
    if (!identity) return wasm.CollectStrategy.allDevices();
    identity.free();
  }
  return wasm.CollectStrategy.identityBasedStrategy();
}

/**
 * `any_device`: Untrusted, any device of the sender (crypto-wasm still refuses a room key that
 * did not come from a device of the sender; core checks the sender is the portal's owner).
 * `cross_signed_devices`: CrossSignedOrLegacy, only devices the sender cross-signed, so a user
 * without cross-signing is refused altogether.
 */
export function decryptionSettings(accept: AcceptMessagesFrom): wasm.DecryptionSettings {
  return new wasm.DecryptionSettings(accept === 'cross_signed_devices' ? wasm.TrustRequirement.CrossSignedOrLegacy : wasm.TrustRequirement.Untrusted);
}
