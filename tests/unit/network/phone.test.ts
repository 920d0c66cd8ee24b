import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidPhoneNumberError, displayPhone, isE164, parsePhone } from '../../../src/network/phone';

test('numbers typed by people normalise to E.164', () => {
  assert.equal(parsePhone('+49 1511 2345678'), '+4915112345678');
  assert.equal(parsePhone(' +49 (151) 123-45678 '), '+4915112345678');
  assert.equal(parsePhone('+1 415 555 2671'), '+14155552671');
});

test('invalid input gets an error naming the input and the reason', () => {
  for (const [input, reason] of [
    ['015112345678', /no country code/],
    ['hello', /not a number|no country code/],
    ['+49 1', /too short|wrong length/],
    ['+999 123456789', /no country code|cannot be read|wrong length/],
    ['+1 415 555 26711', /wrong length|too long/],
  ] as const) {
    assert.throws(() => parsePhone(input), (error: unknown) => {
      assert.ok(error instanceof InvalidPhoneNumberError);
      assert.ok(error.message.includes(`"${input.trim()}"`), error.message);
      assert.match(error.message, reason);
      return true;
    });
  }
});

test('isE164 accepts canonical E.164 syntax, as the network sends it', () => {
  assert.equal(isE164('+4915112345678'), true);
  assert.equal(isE164('+447700900123'), true);
  assert.equal(isE164('+49 1511 2345678'), false);
  assert.equal(isE164('4915112345678'), false);
  assert.equal(isE164('+0000'), false);
});

test('displayPhone formats for people', () => {
  assert.equal(displayPhone(parsePhone('+4915112345678')), '+49 1511 2345678');
});
