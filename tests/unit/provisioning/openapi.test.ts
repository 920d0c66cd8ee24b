// docs/provisioning.openapi.yaml and the server agree: the same paths and methods, each
// request body documented as exactly the ajv schema the server validates with (descriptions
// aside), required where the server requires it, and every operation documenting the
// refusals every request can meet (401, 403, 500).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { provisioningRoutes, type ProvisioningDeps } from '../../../src/provisioning';
import { repoRoot } from '../../helpers/synapse';

interface Operation {
  requestBody?: { required?: boolean; content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, unknown>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const doc = parse(readFileSync(join(repoRoot, 'docs', 'provisioning.openapi.yaml'), 'utf8')) as OpenApi;
// the route table only; no handler runs
const routes = provisioningRoutes({} as ProvisioningDeps);

function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'description').map(([k, v]) => [k, withoutDescriptions(v)]));
}

test('the documented paths and methods are the ones the server serves', () => {
  assert.equal(doc.openapi, '3.1.0');
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  const served = routes.map((r) => `${r.method} ${r.path}`).sort();
  assert.deepEqual(documented, served);
});

test('each documented request body is the schema the server validates with', () => {
  for (const route of routes) {
    const op = doc.paths[route.path][route.method.toLowerCase()];
    const where = `${route.method} ${route.path}`;
    if (!route.body) {
      assert.equal(op.requestBody, undefined, `${where} reads no body`);
      continue;
    }
    assert.ok(op.requestBody, `${where} documents its body`);
    assert.equal(op.requestBody.required ?? false, !route.bodyOptional, `${where}: required as the server requires it`);
    const ref = op.requestBody.content['application/json'].schema.$ref;
    const schema = doc.components.schemas[ref.replace('#/components/schemas/', '')];
    assert.deepEqual(withoutDescriptions(schema), route.body.schema, `${where}: ${ref}`);
  }
});

test('every operation documents the refusals any request can meet', () => {
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const status of ['400', '401', '403', '500']) assert.ok(op.responses[status], `${method} ${path} documents ${status}`);
      if (op.requestBody) assert.ok(op.responses['413'], `${method} ${path} documents 413`);
    }
  }
});
