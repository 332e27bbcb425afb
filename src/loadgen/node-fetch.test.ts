import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../api/sdk/http.ts';
import { nodeFetch } from './node-fetch.ts';

let server: Server;
let base: string;
const http = nodeFetch({ maxBodyBytes: 1_000 });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      if (req.url === '/echo') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body) }),
        );
      } else if (req.url === '/full') {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ code: 'MEMPOOL_FULL', message: 'full', hint: 'retry' }));
      } else if (req.url === '/huge') {
        res.end('x'.repeat(5_000));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('{}'), 2_000);
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  http.close();
  server.closeAllConnections();
  server.close();
});

describe('nodeFetch under the SDK transport', () => {
  it('posts JSON and reads the answer over kept-alive connections', async () => {
    const transport = new HttpTransport(base, { fetch: http.fetch });
    for (let i = 0; i < 3; i++) {
      expect(await transport.post('/echo', { txs: [`0x0${i}`] })).toEqual({
        method: 'POST',
        type: 'application/json',
        body: { txs: [`0x0${i}`] },
      });
    }
    expect(await transport.get('/empty', {}, [204])).toBeUndefined();
  });

  it('turns an error answer into MeridianApiError with its Retry-After', async () => {
    const transport = new HttpTransport(base, { fetch: http.fetch });
    await expect(transport.get('/full')).rejects.toMatchObject({
      status: 503,
      code: 'MEMPOOL_FULL',
      retryAfterSeconds: 1,
    });
  });

  it('refuses a body over its bound and times out a slow answer as REQUEST_TIMEOUT', async () => {
    const transport = new HttpTransport(base, { fetch: http.fetch, timeoutMs: 200 });
    await expect(transport.get('/huge')).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
    await expect(transport.get('/slow')).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
  });
});
