/**
 * Every JSON example in docs/interop-protocol.md must be valid against the schemas the gateway
 * and the clients use, so the specification cannot drift from the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { checkConfig, completeConfig, DEFAULTS } from '../../../src/gateway/config';
import { REQUEST_TYPES, type RequestType } from '../../../src/protocol/frames';
import { parseContent, parseGatewayFrame, parseRequestFrame, validateResult } from '../../../src/protocol/validate';

const specPath = join(__dirname, '..', '..', '..', '..', 'docs', 'interop-protocol.md');

function jsonBlocks(markdown: string): unknown[] {
  const blocks = [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.map((text, i) => {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new Error(`JSON block #${i + 1} does not parse: ${String(e)}\n${text}`, { cause: e });
    }
  });
}

test('every JSON example in the protocol spec validates', () => {
  const blocks = jsonBlocks(readFileSync(specPath, 'utf8'));
  const requestTypeById = new Map<string, RequestType>();
  const seenRequests = new Set<string>();
  const seenEvents = new Set<string>();
  let contents = 0;
  for (const [i, block] of blocks.entries()) {
    const label = `example #${i + 1}: ${JSON.stringify(block).slice(0, 120)}`;
    const frame = block as Record<string, unknown>;
    if (!('v' in frame)) {
      const parsed = parseContent(block);
      assert.ok(parsed.ok, `${label}: ${parsed.ok ? '' : parsed.error}`);
      contents++;
    } else if ('params' in frame) {
      const parsed = parseRequestFrame(JSON.stringify(block));
      assert.ok(parsed.ok, `${label}: ${parsed.ok ? '' : parsed.error.message}`);
      requestTypeById.set(parsed.frame.id, parsed.frame.type);
      seenRequests.add(parsed.frame.type);
    } else {
      const parsed = parseGatewayFrame(JSON.stringify(block));
      assert.ok(parsed.ok, `${label}: ${parsed.ok ? '' : parsed.error}`);
      const f = parsed.value;
      if (f.type === 'result') {
        const type = requestTypeById.get(f.id);
        assert.ok(type, `${label}: result without a preceding request of the same id`);
        const checked = validateResult(type, f.result);
        assert.ok(checked.ok, `${label}: ${checked.ok ? '' : checked.error}`);
      } else if (f.type === 'event') {
        seenEvents.add(f.event);
      }
    }
  }
  assert.deepEqual([...REQUEST_TYPES].filter((t) => !seenRequests.has(t)), [], 'request types without an example');
  assert.deepEqual(
    ['envelope', 'typing', 'keys.low', 'subscription.ended'].filter((e) => !seenEvents.has(e)),
    [],
    'events without an example',
  );
  assert.ok(contents >= 5, 'content examples present');
});

test('the configuration example in the spec is valid and shows the real defaults', () => {
  const blocks = [...readFileSync(specPath, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 1);
  const config = completeConfig(checkConfig(parseYaml(blocks[0]), 'spec example'));
  for (const [key, value] of Object.entries(DEFAULTS)) {
    assert.equal(config[key as keyof typeof DEFAULTS], value, `default of ${key}`);
  }
  assert.deepEqual(config.providers.map((p) => [p.id, p.e2ee]), [['native', true], ['plainchat', false]]);
});
