'use strict';
// Stand-in for @matrix-org/matrix-sdk-crypto-nodejs (see README, "Offline-safe install").
// matrix-bot-sdk requires this module when it loads; the real package downloads a
// native binary from the internet in postinstall, which breaks offline installs.
// The bridge does not use Matrix end-to-end encryption, so every export throws a
// clear error if, and only if, something actually calls it.
const message =
  'matrix-interop-bridge: @matrix-org/matrix-sdk-crypto-nodejs is replaced by a stub; ' +
  'Matrix-side end-to-end encryption is not supported by this bridge.';

function unavailable(name) {
  const fn = function () {
    throw new Error(`${message} (called: ${name})`);
  };
  return new Proxy(fn, {
    construct() { throw new Error(`${message} (constructed: ${name})`); },
    get(target, prop) {
      if (prop === 'prototype') return target.prototype;
      if (typeof prop === 'symbol') return undefined;
      return unavailable(`${name}.${String(prop)}`);
    },
  });
}

const names = [
  'OlmMachine', 'RequestType', 'UserId', 'DeviceId', 'RoomId', 'DeviceLists', 'EncryptionSettings',
  'EncryptionAlgorithm', 'HistoryVisibility', 'KeysQueryRequest', 'KeysUploadRequest', 'KeysClaimRequest',
  'ToDeviceRequest', 'SignatureUploadRequest', 'RoomMessageRequest', 'KeysBackupRequest', 'StoreType',
  'Attachment', 'EncryptedAttachment', 'DecryptedRoomEvent', 'Signatures', 'VerificationRequest',
];
for (const name of names) module.exports[name] = unavailable(name);
