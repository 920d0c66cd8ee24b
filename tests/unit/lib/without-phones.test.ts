// Log texts lose phone numbers, also inside ghost user IDs, and keep the rest readable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withoutPhones } from '../../../src/lib/without-phones';

test('numbers and ghost IDs are masked; other numbers stay', () => {
  assert.equal(
    withoutPhones('no account +4915112345678 (ghost @wa_+14155552671:example.org), HTTP 404 after 3 tries'),
    'no account +… (ghost @wa_+…:example.org), HTTP 404 after 3 tries',
  );
});
