import { createHash } from 'node:crypto';

/** The transaction ID of one Matrix event that stands for (a part of) a remote message:
 *  deterministic, so a retry or a redelivery after a crash is the same event, not a second. */
export function remoteTxnId(owner: string, contact: string, remoteId: string, part: number | string): string {
  const digest = createHash('sha256').update(`${owner}\u0000${contact}\u0000${remoteId}\u0000${part}`).digest('base64url');
  return `mib-${digest.slice(0, 32)}`;
}
