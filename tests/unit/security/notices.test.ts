import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  confirmCode,
  encryptionEnabledNotice,
  heldMessagesNotice,
  identityChangedNotice,
  portalCreatedNotice,
  refusedMessageNotice,
  safetyNumberGroups,
  safetyNumberText,
  unencryptedProviderNotice,
} from '../../../src/security';

const DIGITS = '052094617352884162973014758261509934718820463775912860437109';
const ROWS = ['05209 46173 52884 16297', '30147 58261 50993 47188', '20463 77591 28604 37109'];

test('safety numbers are shown in 12 groups of five digits, three rows of four', () => {
  assert.equal(DIGITS.length, 60);
  assert.deepEqual(safetyNumberGroups(DIGITS), ROWS.join(' ').split(' '));
  // an already formatted number gives the same groups
  assert.deepEqual(safetyNumberGroups(ROWS.join(' ')), safetyNumberGroups(DIGITS));
  const n = safetyNumberText({ contactName: 'Alice', safetyNumber: DIGITS, verified: false, phone: '+4915112345678' });
  assert.ok(n.body.includes(ROWS.join('\n')), n.body);
  assert.ok(n.html.includes(`<pre><code>${ROWS.join('\n')}</code></pre>`), n.html);
  assert.match(n.body, /Not verified yet/);
  // the confirm line names the digits compared (the first two groups), binding it to this number
  assert.ok(n.body.includes('`verify +4915112345678 confirm 05209 46173`'), n.body);
  assert.ok(n.html.includes('<code>verify +4915112345678 confirm 05209 46173</code>'));
});

test('with several devices, every device\'s safety number is shown and the confirm code names each', () => {
  const other = '1'.repeat(60);
  const n = safetyNumberText({
    contactName: 'Alice', safetyNumber: other, verified: false, phone: '+4915112345678',
    devices: [{ deviceId: 1, safetyNumber: DIGITS }, { deviceId: 2, safetyNumber: other }],
  });
  assert.match(n.body, /^🔑 Safety numbers with Alice \(2 devices, compare each\)/);
  assert.ok(n.body.includes(`Device 1:\n${ROWS.join('\n')}`), n.body);
  assert.ok(n.body.includes('Device 2:\n11111 11111 11111 11111'), n.body);
  assert.ok(n.body.includes('`verify +4915112345678 confirm 05209 46173 11111 11111`'), n.body);
  assert.equal(confirmCode([DIGITS, other]), '05209 46173 11111 11111');
});

test('a verified safety number says so and how a key change ends it', () => {
  const n = safetyNumberText({ contactName: 'Alice', safetyNumber: DIGITS, verified: true });
  assert.match(n.body, /✅ Verified/);
  assert.match(n.body, /verification is cleared/);
  assert.doesNotMatch(n.body, /Not verified/);
  assert.doesNotMatch(n.body, /confirm`/);
});

test('portal notice for an e2ee contact in an unencrypted room names the bridge host and the homeserver', () => {
  const n = portalCreatedNotice({ contactName: 'Alice', networkName: 'interop network', contactE2ee: true, roomEncrypted: false });
  assert.equal(
    n.body,
    [
      '🔓 Where messages in this chat can be read',
      'This room bridges your chat with Alice on the interop network. It is not end-to-end encrypted: besides you and Alice, messages can be read by:',
      '• the bridge host (the server running this bridge), because the bridge decrypts every message to pass it on',
      '• your homeserver, because this room is not encrypted',
      "Between the bridge and Alice's device, messages are end-to-end encrypted (Signal protocol): the network itself cannot read them.",
    ].join('\n'),
  );
  assert.match(n.html, /^<p><strong>🔓 Where messages in this chat can be read<\/strong><\/p>/);
  assert.match(n.html, /<ul><li>the bridge host/);
});

test('portal notice for a plaintext contact adds the network; for an unknown one, possibly the network', () => {
  const plain = portalCreatedNotice({ contactName: 'Bob', networkName: 'interop network', contactE2ee: false, roomEncrypted: false });
  assert.match(plain.body, /• the interop network, because Bob's provider has no end-to-end encryption/);
  assert.doesNotMatch(plain.body, /Signal protocol/);
  const unknown = portalCreatedNotice({ contactName: 'Bob', networkName: 'interop network', contactE2ee: null, roomEncrypted: false });
  assert.match(unknown.body, /• possibly the interop network: it is not known yet/);
  assert.doesNotMatch(unknown.body, /Signal protocol/);
});

test('portal notice in an encrypted room says the bridge cannot read it and posts unencrypted', () => {
  const n = portalCreatedNotice({ contactName: 'Alice', networkName: 'interop network', contactE2ee: true, roomEncrypted: true });
  assert.match(n.body, /the bridge posts messages here unencrypted even though this room is encrypted/);
  assert.match(n.body, /this bridge is set up not to read encrypted rooms \(its admin can change that\): messages you send here will not reach Alice\./);
});

test('identity change notice carries the new safety number, clears verification and says whether messages are held', () => {
  const n = identityChangedNotice({ contactName: 'Alice', safetyNumber: DIGITS, wasVerified: true, held: true, phone: '+4915112345678' });
  assert.match(n.body, /^⚠️ Alice's security key changed\n/);
  assert.ok(n.body.includes(`New safety number:\n${ROWS.join('\n')}`), n.body);
  assert.match(n.body, /You had verified Alice; that verification is now cleared\./);
  assert.match(n.body, /New messages from Alice are held, not shown, until you confirm/);
  assert.ok(n.body.includes('`verify +4915112345678 confirm 05209 46173`'));
  const quiet = identityChangedNotice({ contactName: 'Alice', safetyNumber: DIGITS, wasVerified: false, held: false });
  assert.doesNotMatch(quiet.body, /You had verified/);
  assert.match(quiet.body, /keep arriving/);
  assert.ok(quiet.body.includes('`verify <phone number> confirm 05209 46173`'));
  assert.ok(quiet.html.includes('<code>verify &lt;phone number&gt; confirm 05209 46173</code>'));
});

test('encryption notice says the bridge cannot read encrypted rooms and claims no delivery', () => {
  const n = encryptionEnabledNotice();
  assert.match(n.body, /This bridge is set up not to read encrypted Matrix rooms/);
  assert.match(n.body, /will not be delivered/);
  assert.match(n.body, /never mark them as delivered/);
  assert.match(n.body, /posts them unencrypted/);
});

test('unencrypted provider notice names the provider, warning or refusing', () => {
  const warn = unencryptedProviderNotice({ contactName: 'Bob', provider: 'plainchat', refused: false });
  assert.match(warn.body, /^⚠️ Bob uses plainchat, a provider without end-to-end encryption/);
  assert.match(warn.body, /the network operator can read them/);
  const refuse = unencryptedProviderNotice({ contactName: 'Bob', provider: 'plainchat', refused: true });
  assert.match(refuse.body, /^⛔ Messages with Bob are refused/);
  assert.match(refuse.body, /Bob uses plainchat, a provider without end-to-end encryption/);
  assert.match(refuse.body, /security\.refuse_unencrypted_providers/);
});

test('refused and held notices say why and how to release', () => {
  const refused = refusedMessageNotice({ contactName: 'Bob', reason: 'Bob’s provider has no end-to-end encryption.' });
  assert.equal(refused.body, '⛔ Not delivered: a message between you and Bob was refused\nBob’s provider has no end-to-end encryption.');
  const held = heldMessagesNotice({ contactName: 'Alice', count: 3, phone: '+4915112345678' });
  assert.match(held.body, /^⏸️ 3 messages from Alice held/);
  assert.ok(held.body.includes('send `verify +4915112345678` to see the safety number'));
  assert.ok(held.body.includes('then send the `verify +4915112345678 confirm …` it shows'));
  assert.match(heldMessagesNotice({ contactName: 'Alice', count: 1, phone: '+4915112345678' }).body, /^⏸️ 1 message from Alice held/);
});

test('hostile contact names are cleaned and escaped', () => {
  const n = portalCreatedNotice({ contactName: '<img src=x>\u202eevil', networkName: 'interop network', contactE2ee: true, roomEncrypted: false });
  assert.ok(!n.html.includes('<img'), n.html);
  assert.ok(n.html.includes('&lt;img src=x&gt;evil'));
  assert.ok(!n.body.includes('\u202e'));
  const empty = heldMessagesNotice({ contactName: '\u0000', count: 2, phone: '+4915112345678' });
  assert.match(empty.body, /from this contact held/);
  const long = identityChangedNotice({ contactName: 'A'.repeat(5000), safetyNumber: DIGITS, wasVerified: false, held: false });
  assert.ok(long.body.length < 1500);
});

test('with the bridge encrypting, an encrypted room leaves the homeserver out of the readers and says files are encrypted too', () => {
  const n = portalCreatedNotice({ contactName: 'Alice', networkName: 'interop network', contactE2ee: true, roomEncrypted: true, bridgeEncrypts: true });
  assert.doesNotMatch(n.body, /your homeserver, because/);
  assert.doesNotMatch(n.body, /set up not to read encrypted rooms/);
  assert.match(n.body, /the bridge reads and writes it encrypted/);
  assert.match(n.body, /Files are encrypted too: your homeserver sees only how large they are and when/);
  assert.doesNotMatch(n.body, /not encrypted yet/);
  const unencryptedRoom = portalCreatedNotice({ contactName: 'Alice', networkName: 'interop network', contactE2ee: true, roomEncrypted: false, bridgeEncrypts: true });
  assert.match(unencryptedRoom.body, /your homeserver, because this room is not encrypted/, 'an unencrypted room is still read by the homeserver');
  const on = encryptionEnabledNotice(true);
  assert.doesNotMatch(on.body, /bridge cannot read/);
  assert.match(on.body, /your homeserver cannot read the messages/);
});
