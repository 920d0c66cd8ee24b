import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidPhoneNumberError, displayPhone, isE164, parsePhone, parsePhoneArgument, type E164 } from '../../../src/network/phone';

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

test('parsePhoneArgument reads a command\'s words or one string the same way', () => {
  const never = () => false;
  assert.equal(parsePhoneArgument(['+49', '1511', '2345678'], never), '+4915112345678');
  assert.equal(parsePhoneArgument(['+1', '(415)', '555-2671'], never), '+14155552671');
  assert.equal(parsePhoneArgument(' +1 415 555 2671 ', never), '+14155552671');
});

test('parsePhoneArgument: nothing given is an error that says so, not a crash', () => {
  for (const input of [[], [''], ['  '], '', '   ']) {
    assert.throws(() => parsePhoneArgument(input, () => true), (error: unknown) => {
      assert.ok(error instanceof InvalidPhoneNumberError);
      assert.match(error.message, /no number given/);
      return true;
    });
  }
});

test('parsePhoneArgument takes a number the bridge has shown as it is, and checks any other', () => {
  // the right syntax, but no number plan our metadata knows: the network may still have it
  const odd = '+999123456789' as E164;
  assert.equal(parsePhoneArgument(['+999', '123', '456', '789'], (p) => p === odd), odd);
  assert.throws(() => parsePhoneArgument(['+999', '123', '456', '789'], () => false), InvalidPhoneNumberError);
  assert.throws(() => parsePhoneArgument(['hello'], () => true), /"hello" is not a valid phone number/);
});
