// classifyMatrixError over the shapes the bot SDK really throws: a MatrixError-like object
// for JSON answers, and for media the bare HTTP response, whose body is raw bytes and which
// has no message (an outbox job failing that way used to be retried with an empty reason).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMatrixError, isPermanent, isServerError, MatrixRefusedError, MatrixUnavailableError } from '../../../src/core/errors';

const rawResponse = (statusCode: number, body: unknown) => ({ statusCode, headers: {}, body: Buffer.from(JSON.stringify(body)) });

test('a bare 502 response for media becomes a transient error with a message that says what happened', () => {
  const error = classifyMatrixError(rawResponse(502, { errcode: 'M_UNKNOWN', error: 'Failed to fetch remote media' }));
  assert.ok(error instanceof MatrixUnavailableError);
  assert.equal(error.message, 'the homeserver failed (M_UNKNOWN: Failed to fetch remote media)');
  assert.ok(isServerError(error));
  assert.equal(isPermanent(error), false);
});

test('a bare 404 response for media is a refusal, with the errcode read from the raw body', () => {
  const error = classifyMatrixError(rawResponse(404, { errcode: 'M_NOT_FOUND', error: 'Not found' }));
  assert.ok(error instanceof MatrixRefusedError);
  assert.equal(error.errcode, 'M_NOT_FOUND');
  assert.ok(isPermanent(error));
});

test('a body that is not JSON still gives a message; 429 and connection errors pass through unchanged', () => {
  const garbled = classifyMatrixError({ statusCode: 503, body: Buffer.from('<html>') });
  assert.ok(garbled instanceof MatrixUnavailableError);
  assert.equal(garbled.message, 'the homeserver failed (503: HTTP 503)');
  const limited = { statusCode: 429, body: { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 100 } };
  assert.equal(classifyMatrixError(limited), limited);
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.equal(classifyMatrixError(refused), refused);
});
