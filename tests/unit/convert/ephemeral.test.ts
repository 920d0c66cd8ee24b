import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readMarksFromReceipt, remoteStatusToMatrix, typingUserIds } from '../../../src/convert/ephemeral';

describe('Matrix receipts → read marks', () => {
  it('reads public m.read receipts, thread receipts included', () => {
    const content = {
      $e1: { 'm.read': { '@alice:hs': { ts: 1000 }, '@bob:hs': { ts: 1001, thread_id: 'main' } } },
      $e2: { 'm.read': { '@carol:hs': {} } },
    };
    assert.deepEqual(readMarksFromReceipt(content), [
      { eventId: '$e1', userId: '@alice:hs', ts: 1000 },
      { eventId: '$e1', userId: '@bob:hs', ts: 1001 },
      { eventId: '$e2', userId: '@carol:hs' },
    ]);
  });

  it('never forwards private receipts', () => {
    const content = {
      $e1: { 'm.read.private': { '@alice:hs': { ts: 1000 } } },
      $e2: { 'm.read.private': { '@alice:hs': { ts: 1000 } }, 'm.read': { '@bob:hs': { ts: 5 } } },
    };
    assert.deepEqual(readMarksFromReceipt(content), [{ eventId: '$e2', userId: '@bob:hs', ts: 5 }]);
  });

  it('ignores malformed receipt content', () => {
    for (const bad of [null, 'x', [], { $e: 'x' }, { $e: { 'm.read': [] } }]) {
      assert.deepEqual(readMarksFromReceipt(bad), [], JSON.stringify(bad));
    }
    assert.deepEqual(readMarksFromReceipt({ $e: { 'm.read': { '@a:hs': { ts: 'soon' } } } }), [{ eventId: '$e', userId: '@a:hs' }]);
  });
});

describe('Matrix typing', () => {
  it('lists who is typing, ignoring junk', () => {
    assert.deepEqual(typingUserIds({ user_ids: ['@a:hs', 5, '@b:hs', '@a:hs'] }), ['@a:hs', '@b:hs']);
    assert.deepEqual(typingUserIds({}), []);
    assert.deepEqual(typingUserIds(null), []);
  });
});

describe('remote read status → Matrix', () => {
  it('sends one read receipt on the newest bridged event', () => {
    assert.deepEqual(remoteStatusToMatrix('read', [{ eventId: '$old', ts: 1 }, { eventId: '$new', ts: 3 }, { eventId: '$mid', ts: 2 }]), {
      type: 'read-receipt',
      eventId: '$new',
    });
  });

  it('does nothing for deliveries or for messages Matrix never saw', () => {
    assert.equal(remoteStatusToMatrix('delivered', [{ eventId: '$e', ts: 1 }]).type, 'none');
    assert.equal(remoteStatusToMatrix('read', []).type, 'none');
  });
});
