// What an accepted message request tells the room about what it could not show: a message
// that could not be decrypted as it arrived, and one the bridge stored but cannot read back,
// are different failures and are named as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { damagedHeldNotice, unreadableBeforeAcceptNotice } from '../../../src/security/request-notices';

test('a stored request message that no longer opens is reported as lost in storage, not as undecryptable', () => {
  const one = damagedHeldNotice({ contactName: '+1 415 555 2671', count: 1 });
  assert.match(one.body, /^⚠️ 1 message from \+1 415 555 2671 was lost in the bridge's storage/);
  assert.match(one.body, /stored it sealed while the message request waited, but could not read it back: its database is damaged/);
  assert.doesNotMatch(one.body, /decrypt/);
  const two = damagedHeldNotice({ contactName: 'Sam', count: 2 });
  assert.match(two.body, /^⚠️ 2 messages from Sam were lost/);
  assert.match(two.body, /stored them sealed/);
  assert.match(two.html, /could not read it back/);
});

test('messages that could not be decrypted before the accept keep saying so', () => {
  const n = unreadableBeforeAcceptNotice({ contactName: 'Sam', count: 2 });
  assert.match(n.body, /^⚠️ 2 messages from Sam could not be decrypted/);
});
