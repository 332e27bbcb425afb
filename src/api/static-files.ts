/**
 * Serves the web console's built files (a Vite `dist/` folder) with a
 * single-page-app fallback: a GET for a path with no file extension that is
 * not a file gets `index.html`, so client-side routes survive a reload.
 *
 * Promises: never serves anything outside `root` (paths are resolved and
 * checked, `..` and NUL refused, symlinks followed only if they stay inside);
 * a missing asset (`/x.js`) is a miss, never `index.html`.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.pbf': 'application/x-protobuf',
};

function isTraversal(urlPath: string): boolean {
  return urlPath.includes('\0') || urlPath.includes('\\') || urlPath.split('/').includes('..');
}

export class StaticFiles {
  readonly #root: string;
  #realRoot: string | undefined;

  constructor(root: string) {
    this.#root = resolve(root);
  }

  /** The file under root for a URL path, if it is a regular file inside root. */
  async #find(urlPath: string): Promise<{ path: string; size: number } | undefined> {
    if (isTraversal(urlPath)) return undefined;
    this.#realRoot ??= await realpath(this.#root).catch(() => this.#root);
    const candidate = resolve(this.#root, `.${urlPath}`);
    try {
      const real = await realpath(candidate);
      if (real !== this.#realRoot && !real.startsWith(this.#realRoot + sep)) return undefined;
      const info = await stat(real);
      return info.isFile() ? { path: real, size: info.size } : undefined;
    } catch {
      return undefined;
    }
  }

  /** Sends the file (or index.html as the SPA fallback); false when there is nothing to serve. */
  async serve(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(request.url.split('?')[0]!);
    } catch {
      return false;
    }
    if (isTraversal(urlPath)) return false;
    let file = urlPath.endsWith('/') ? await this.#find(`${urlPath}index.html`) : await this.#find(urlPath);
    let isFallback = false;
    if (file === undefined) {
      if (extname(urlPath) !== '') return false;
      file = await this.#find('/index.html');
      isFallback = true;
      if (file === undefined) return false;
    }
    const type = CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
    const immutable = !isFallback && urlPath.startsWith('/assets/');
    reply
      .code(200)
      .header('content-type', type)
      .header('content-length', String(file.size))
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (request.method === 'HEAD') await reply.send();
    else await reply.send(createReadStream(file.path));
    return true;
  }
}
