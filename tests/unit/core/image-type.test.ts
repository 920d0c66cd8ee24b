import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageMimeType } from '../../../src/core/image-type';

test('avatar types are recognised by their magic bytes; anything else is refused', () => {
  assert.equal(imageMimeType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a])), 'image/png');
  assert.equal(imageMimeType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
  assert.equal(imageMimeType(new TextEncoder().encode('GIF89a')), 'image/gif');
  assert.equal(imageMimeType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')), 'image/webp');
  assert.equal(imageMimeType(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt ')), undefined);
  assert.equal(imageMimeType(new TextEncoder().encode('<svg>')), undefined);
  assert.equal(imageMimeType(new Uint8Array()), undefined);
});
