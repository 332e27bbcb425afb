/**
 * `/openapi.json` against the routes the server really registered, its
 * `$ref`s, and its schemas compiled by a JSON Schema 2020-12 validator and
 * checked against live answers. Also `/metrics`.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { generateSigningKeyPair } from '../crypto/ed25519.ts';
import { openApiPath } from './openapi.ts';
import { MeridianClient } from './sdk.ts';
import { type ApiServer, createApiServer } from './server.ts';
import { FakeNode } from './testing/fake-node.ts';

type Content = Record<string, { schema: unknown }>;
type Operation = {
  operationId: string;
  summary: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Content };
  responses: Record<string, { content: Content }>;
};
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

const node = new FakeNode();
let server: ApiServer;
let url: string;
let doc: Doc;
const registered: { method: string; url: string }[] = [];

beforeAll(async () => {
  server = createApiServer(node, { host: '127.0.0.1', port: 0, rateLimit: false });
  server.app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) registered.push({ method, url: route.url });
  });
  ({ url } = await server.start());
  const response = await fetch(`${url}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  doc = (await response.json()) as Doc;
});
afterAll(async () => {
  await server.close();
});

function walk(
  value: unknown,
  visit: (node: Record<string, unknown>, path: string) => void,
  path = '#',
): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walk(item, visit, `${path}/${i}`);
  } else if (value !== null && typeof value === 'object') {
    visit(value as Record<string, unknown>, path);
    for (const [key, child] of Object.entries(value)) walk(child, visit, `${path}/${key}`);
  }
}

describe('/openapi.json', () => {
  it('is OpenAPI 3.1 with the node’s version', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: '0.1.0-test' });
  });

  it('documents every route the server registered, and only those', () => {
    const routes = registered.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(14);
    for (const route of routes) {
      expect(
        doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()],
        `${route.method} ${route.url}`,
      ).toBeDefined();
    }
    const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort());
  });

  it('covers the API the brief names', () => {
    const expected = [
      'get /v1/status',
      'get /v1/health',
      'get /v1/validators',
      'get /v1/peers',
      'post /v1/tx',
      'get /v1/tx/{hash}',
      'get /v1/blocks',
      'get /v1/blocks/latest',
      'get /v1/blocks/{heightOrHash}',
      'get /v1/state/{key}',
      'get /v1/accounts/{publicKey}',
      'get /v1/ws',
      'get /metrics',
      'get /openapi.json',
    ];
    for (const entry of expected) {
      const [method, path] = entry.split(' ') as [string, string];
      expect(doc.paths[path]?.[method], entry).toBeDefined();
    }
  });

  it('every operation is complete: unique operationId, summary, declared path parameters, a success answer', () => {
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        expect(ids.has(operation.operationId), operation.operationId).toBe(false);
        ids.add(operation.operationId);
        expect(operation.summary).toEqual(expect.any(String));
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared, `${method} ${path}`).toEqual(inPath);
        const statuses = Object.keys(operation.responses);
        expect(
          statuses.some((s) => /^(2\d\d|101)$/.test(s)),
          `${method} ${path}`,
        ).toBe(true);
        expect(operation.responses['4XX']?.content['application/json']?.schema).toEqual({
          $ref: '#/components/schemas/Error',
        });
      }
    }
  });

  it('every $ref resolves inside the document, and no $id is left to rebase them', () => {
    const refs: string[] = [];
    walk(doc, (node, path) => {
      if (typeof node.$ref === 'string') refs.push(node.$ref);
      expect(node.$id, path).toBeUndefined();
    });
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of new Set(refs)) {
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
    for (const name of [
      'Block',
      'Header',
      'Transaction',
      'Receipt',
      'TxStatus',
      'StateProof',
      'Error',
      'NodeStatus',
    ]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
  });

  it('its schemas compile as JSON Schema 2020-12 and describe what the server really answers', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'openapi.json', components: doc.components } as object);
    const validatorFor = (path: string, method: string, status: string) => {
      const schema = doc.paths[path]![method]!.responses[status]!.content['application/json']!.schema;
      const rebased = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/'),
      );
      return ajv.compile(rebased);
    };
    // A committed transaction makes every optional part of the answers appear.
    const signer = generateSigningKeyPair();
    const client = new MeridianClient(url, { WebSocket: null });
    const { hash } = await client.sendTx({ kind: 'kv.put', payload: { key: 'doc', value: [1] }, signer });
    const block = node.commit();
    const cases: [string, string, string, string][] = [
      ['/v1/status', '/v1/status', 'get', '200'],
      ['/v1/health', '/v1/health', 'get', '200'],
      ['/v1/validators', '/v1/validators', 'get', '200'],
      ['/v1/peers', '/v1/peers', 'get', '200'],
      [`/v1/tx/${hash}`, '/v1/tx/{hash}', 'get', '200'],
      ['/v1/blocks?limit=5', '/v1/blocks', 'get', '200'],
      ['/v1/blocks/latest', '/v1/blocks/latest', 'get', '200'],
      [`/v1/blocks/${block.header.hash}`, '/v1/blocks/{heightOrHash}', 'get', '200'],
      ['/v1/blocks/0', '/v1/blocks/{heightOrHash}', 'get', '200'],
      ['/v1/blocks/12345', '/v1/blocks/{heightOrHash}', 'get', '404'],
      ['/v1/state/kv%2Fdoc?prove=true', '/v1/state/{key}', 'get', '200'],
      [`/v1/accounts/${toHex(signer.publicKey)}`, '/v1/accounts/{publicKey}', 'get', '200'],
      ['/v1/tx/0x12', '/v1/tx/{hash}', 'get', '4XX'],
    ];
    for (const [request, path, method, status] of cases) {
      const response = await fetch(url + request);
      expect(String(response.status).startsWith(status[0]!), request).toBe(true);
      const validate = validatorFor(path, method, status);
      const body = await response.json();
      expect(validate(body) ? [] : validate.errors, request).toEqual([]);
    }
    const submit = doc.paths['/v1/tx']!.post!;
    const validateBody = ajv.compile(
      JSON.parse(
        JSON.stringify(submit.requestBody!.content['application/json']!.schema).replaceAll(
          '"#/components/',
          '"openapi.json#/components/',
        ),
      ),
    );
    expect(validateBody({ tx: '0xabcd' })).toBe(true);
    expect(validateBody({ tx: 'abcd' })).toBe(false);
  });
});

describe('/metrics', () => {
  it('serves the node’s registry and the API’s own metrics in Prometheus text format', async () => {
    await fetch(`${url}/v1/status`);
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(node.metrics.contentType);
    const text = await response.text();
    expect(text).toContain('# TYPE meridian_height gauge');
    expect(text).toMatch(/^meridian_height \d+$/m);
    expect(text).toMatch(
      /^meridian_api_http_requests_total\{method="GET",route="\/v1\/status",status="200"\} [1-9]/m,
    );
    expect(text).toContain('# TYPE meridian_api_ws_connections gauge');
  });

  it('a second server on the same registry reuses the API metrics instead of failing', async () => {
    const again = createApiServer(node, { host: '127.0.0.1', port: 0 });
    await again.close();
  });
});
