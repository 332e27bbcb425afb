/**
 * Raw HTTP against the real server: malformed input, limits, the error body
 * on every failure path, CORS, the rate limit, and the console's static files.
 */

import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../codec/bytes.ts';
import { MAX_API_BODY_BYTES, MAX_BLOCKS_PAGE, MAX_STATE_KEY_BYTES } from './limits.ts';
import { startTestServer, type TestServer } from './testing/harness.ts';

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Body; headers: Headers }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? {} : JSON.parse(text)) as Body,
    headers: response.headers,
  };
}

/** A JSON answer, loosely typed for assertions. */
interface Body {
  readonly [key: string]: unknown;
  readonly code?: string;
  readonly message?: string;
  readonly hint?: string;
  readonly details?: { readonly path?: string; readonly requestId?: string };
  readonly value?: unknown;
}

/** A GET with the path sent byte for byte (no URL normalisation). */
function rawGet(base: string, path: string): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, path, method: 'GET' }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end();
  });
}

function postTx(url: string, body: string, contentType = 'application/json') {
  return getJson(`${url}/v1/tx`, { method: 'POST', headers: { 'content-type': contentType }, body });
}

describe('malformed input', () => {
  let t: TestServer;
  const logLines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(String(chunk));
        callback();
      },
    });
    t = await startTestServer({ logger: pino({ level: 'info' }, sink) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a tx that is not hex is 400 BAD_REQUEST naming the field', async () => {
    const { status, body } = await postTx(t.url, JSON.stringify({ tx: '0xzz' }));
    expect(status).toBe(400);
    expect(body).toMatchObject({
      code: 'BAD_REQUEST',
      details: { path: 'body/tx' },
      hint: expect.any(String),
    });
    expect(body.message).toContain('body/tx');
  });

  it('a body without tx is 400 naming the missing field', async () => {
    const { status, body } = await postTx(t.url, JSON.stringify({ transaction: '0x00' }));
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'BAD_REQUEST', details: { path: 'body/tx' } });
  });

  it('hex that is not a transaction is 400 with the decoder’s code', async () => {
    const { status, body } = await postTx(t.url, JSON.stringify({ tx: '0xc0' }));
    expect(status).toBe(400);
    expect(typeof body.code).toBe('string');
    expect(body.code).not.toBe('INTERNAL');
  });

  it('invalid JSON is 400 BAD_JSON; an empty body too', async () => {
    const bad = await postTx(t.url, '{"tx": ');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_JSON');
    const empty = await postTx(t.url, '');
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('BAD_JSON');
  });

  it('a non-JSON content type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const { status, body } = await postTx(t.url, 'tx=0x00', 'application/x-www-form-urlencoded');
    expect(status).toBe(415);
    expect(body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body over MAX_API_BODY_BYTES is 413 BODY_TOO_LARGE', async () => {
    const huge = JSON.stringify({ tx: `0x${'00'.repeat(MAX_API_BODY_BYTES / 2 + 10)}` });
    const { status, body } = await postTx(t.url, huge);
    expect(status).toBe(413);
    expect(body).toMatchObject({
      code: 'BODY_TOO_LARGE',
      hint: expect.stringContaining('MAX_API_BODY_BYTES'),
    });
  });

  it('an unknown route is 404 JSON ROUTE_NOT_FOUND pointing at /openapi.json', async () => {
    for (const path of ['/v1/nope', '/nope', '/v2/status']) {
      const { status, body } = await getJson(t.url + path);
      expect(status).toBe(404);
      expect(body).toMatchObject({ code: 'ROUTE_NOT_FOUND', hint: expect.stringContaining('/openapi.json') });
    }
    const wrongMethod = await getJson(`${t.url}/v1/status`, { method: 'POST' });
    expect(wrongMethod.status).toBe(404);
  });

  it('bad heights and hashes are 400, not 404 or 500', async () => {
    for (const segment of ['abc', '-1', '01', '1.5', '0x1234', `0x${'g'.repeat(64)}`]) {
      const { status, body } = await getJson(`${t.url}/v1/blocks/${segment}`);
      expect(status, segment).toBe(400);
      expect(body.code).toBe('BAD_REQUEST');
      expect(body.details?.path).toBe('params/heightOrHash');
    }
    const tooHigh = await getJson(`${t.url}/v1/blocks/9999999999999999`);
    expect(tooHigh.status).toBe(400);
    expect(tooHigh.body.code).toBe('BAD_HEIGHT');
    const badTx = await getJson(`${t.url}/v1/tx/0x1234`);
    expect(badTx.status).toBe(400);
    expect(badTx.body.details?.path).toBe('params/hash');
    const badKey = await getJson(`${t.url}/v1/accounts/alice`);
    expect(badKey.status).toBe(400);
  });

  it('the blocks page size is bounded', async () => {
    const tooMany = await getJson(`${t.url}/v1/blocks?limit=${MAX_BLOCKS_PAGE + 1}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details?.path).toBe('querystring/limit');
    const zero = await getJson(`${t.url}/v1/blocks?limit=0`);
    expect(zero.status).toBe(400);
    const notANumber = await getJson(`${t.url}/v1/blocks?before=soon`);
    expect(notANumber.status).toBe(400);
    const max = await getJson(`${t.url}/v1/blocks?limit=${MAX_BLOCKS_PAGE}`);
    expect(max.status).toBe(200);
  });

  it('state keys: bad hex is 400 BAD_HEX, a key over MAX_STATE_KEY_BYTES is 400, a longer URL is refused', async () => {
    const badHex = await getJson(`${t.url}/v1/state/0xabc`);
    expect(badHex.status).toBe(400);
    expect(badHex.body.code).toBe('BAD_HEX');
    const tooLong = await getJson(`${t.url}/v1/state/${toHex(new Uint8Array(MAX_STATE_KEY_BYTES + 1))}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.code).toBe('STATE_KEY_TOO_LARGE');
    const atLimit = await getJson(`${t.url}/v1/state/${toHex(new Uint8Array(MAX_STATE_KEY_BYTES).fill(1))}`);
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.value).toBeNull();
    const badProve = await getJson(`${t.url}/v1/state/abc?prove=maybe`);
    expect(badProve.status).toBe(400);
  });

  it('an unexpected failure is 500 INTERNAL without message or stack; the log has the stack', async () => {
    t.node.statusFailure = new Error('disk on fire');
    try {
      const { status, body } = await getJson(`${t.url}/v1/status`);
      expect(status).toBe(500);
      expect(body.code).toBe('INTERNAL');
      expect(JSON.stringify(body)).not.toContain('disk on fire');
      expect(JSON.stringify(body)).not.toContain('at ');
      expect(body.details?.requestId).toEqual(expect.any(String));
      const logged = logLines.find((line) => line.includes('disk on fire'));
      expect(logged).toBeDefined();
      expect(JSON.parse(logged!).err.stack).toContain('Error: disk on fire');
    } finally {
      t.node.statusFailure = undefined;
    }
  });

  it('with validateResponses, an answer that breaks its schema is a logged 500, never served', async () => {
    const original = t.node.status.bind(t.node);
    t.node.status = () => ({ ...original(), headHash: 'not-a-hash' });
    try {
      const { status, body } = await getJson(`${t.url}/v1/status`);
      expect(status).toBe(500);
      expect(body.code).toBe('INTERNAL');
      expect(logLines.some((line) => line.includes('breaks its schema: /headHash'))).toBe(true);
    } finally {
      t.node.status = original;
    }
  });

  it('a plain GET of the WebSocket endpoint is 426 UPGRADE_REQUIRED', async () => {
    const { status, body } = await getJson(`${t.url}/v1/ws`);
    expect(status).toBe(426);
    expect(body.code).toBe('UPGRADE_REQUIRED');
  });
});

describe('CORS', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ corsOrigins: ['http://localhost:5173'] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('an allowed origin gets Access-Control-Allow-Origin, also on errors', async () => {
    const ok = await fetch(`${t.url}/v1/status`, { headers: { origin: 'http://localhost:5173' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(ok.headers.get('vary')).toContain('origin');
    const notFound = await fetch(`${t.url}/v1/blocks/999`, { headers: { origin: 'http://localhost:5173' } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('another origin gets no CORS header', async () => {
    const response = await fetch(`${t.url}/v1/status`, { headers: { origin: 'http://evil.example' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a preflight is 204 for an allowed origin and 403 otherwise', async () => {
    const preflight = (origin: string) =>
      fetch(`${t.url}/v1/tx`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('content-type');
    const refused = await preflight('http://evil.example');
    expect(refused.status).toBe(403);
    expect((await refused.json()).code).toBe('CORS_ORIGIN_NOT_ALLOWED');
  });

  it('with the default options no origin is allowed', async () => {
    const plain = await startTestServer();
    try {
      const response = await fetch(`${plain.url}/v1/status`, {
        headers: { origin: 'http://localhost:5173' },
      });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe('rate limit', () => {
  it('past the burst a client gets 429 RATE_LIMITED with Retry-After, counted in /metrics', async () => {
    const t = await startTestServer({ rateLimit: { perSecond: 0.001, burst: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${t.url}/v1/status`)).status);
      expect(statuses).toEqual([200, 200, 200]);
      const limited = await getJson(`${t.url}/v1/status`);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const error = await t.client.status().catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(await t.node.metrics.getSingleMetricAsString('meridian_api_rate_limited_total')).toMatch(
        /meridian_api_rate_limited_total [1-9]/,
      );
    } finally {
      await t.close();
    }
  });
});

describe('console static files', () => {
  let t: TestServer;
  let root: string;
  let outside: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'meridian-console-'));
    outside = await mkdtemp(join(tmpdir(), 'meridian-outside-'));
    await mkdir(join(root, 'assets'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    await writeFile(join(outside, 'secret.txt'), 'TOP-SECRET-CONTENT');
    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    t = await startTestServer({ staticDir: root });
  });
  afterAll(async () => {
    await t.close();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('serves index.html at / and assets with their content type and long caching', async () => {
    const index = await fetch(`${t.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<title>console</title>');
    const asset = await fetch(`${t.url}/assets/app-1234.js`);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(await asset.text()).toBe('console.log(1)');
  });

  it('a client-side route falls back to index.html; a missing asset does not', async () => {
    const route = await fetch(`${t.url}/blocks/12`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>console</title>');
    const missing = await fetch(`${t.url}/assets/missing.js`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).code).toBe('ROUTE_NOT_FOUND');
  });

  it('API paths never fall back to the console', async () => {
    const { status, body } = await getJson(`${t.url}/v1/unknown`);
    expect(status).toBe(404);
    expect(body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('nothing outside the folder is served (.., encoded .., symlinks out)', async () => {
    const name = outside.split('/').at(-1)!;
    const paths = [
      `/../${name}/secret.txt`,
      `/%2e%2e/${name}/secret.txt`,
      `/assets/..%2f..%2f${name}%2fsecret.txt`,
      '/../../../../etc/passwd',
      '/leak.txt',
    ];
    for (const path of paths) {
      // Sent as written: fetch() would normalise the dots away before they reach the server.
      const { status, text } = await rawGet(t.url, path);
      expect(text, path).not.toContain('TOP-SECRET-CONTENT');
      expect(text, path).not.toContain('root:');
      expect(status, path).toBe(404);
    }
  });
});
