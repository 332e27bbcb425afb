/**
 * What the console's browser tests run against: a real 4-validator devnet in
 * a temporary directory on free high ports, serving the built console
 * (web/dist, built first if missing), and a headless Debian chromium driven by
 * playwright-core, launched the way this machine needs (no sandbox as root, no
 * background networking: the machine has no network beyond loopback).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { MeridianClient } from '../../src/api/sdk.ts';
import type { SigningKeyPair } from '../../src/crypto/ed25519.ts';
import { decryptKeyFile, parseKeyFile } from '../../src/crypto/keyfile.ts';
import { freePortBlock } from '../../src/net/free-ports.ts';
import { type DevnetLayout, DevnetProcesses, prepareDevnet, waitForApi } from '../../src/node/devnet.ts';

export const REPO = resolve(import.meta.dirname, '../..');
export const CONSOLE_DIR = join(REPO, 'web/dist');
export const SCREENSHOTS = join(REPO, 'test/e2e/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds the console unless web/dist already holds a build (CI runs `npm run build:web` first). */
export async function ensureConsoleBuilt(): Promise<void> {
  if (existsSync(join(CONSOLE_DIR, 'index.html'))) return;
  const { build } = await import('vite');
  await build({ configFile: join(REPO, 'web/vite.config.ts'), logLevel: 'warn' });
}

/** An organisation admin of the devnet: its key file (for the browser) and its unlocked key (for the SDK). */
export interface Admin {
  readonly organization: string;
  readonly keyFile: string;
  readonly signer: SigningKeyPair;
}

export interface ConsoleDevnet {
  readonly dir: string;
  readonly layout: DevnetLayout;
  /** The passphrase of every devnet key file. */
  readonly passphrase: string;
  /** By organisation id: `regulator`, `org-0` … (the devnet's genesis names them). */
  readonly admins: ReadonlyMap<string, Admin>;
  readonly processes: DevnetProcesses;
  readonly client: MeridianClient;
  /** validator-0's URL: it serves the console. */
  readonly url: string;
  stop(): Promise<void>;
}

export async function startConsoleDevnet(validators = 4): Promise<ConsoleDevnet> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-console-e2e-'));
  const base = await freePortBlock(20);
  const layout = await prepareDevnet({
    dir,
    validators,
    p2pBasePort: base,
    apiBasePort: base + 10,
    consoleDir: CONSOLE_DIR,
    keyFileLogN: 10,
  });
  const processes = new DevnetProcesses(layout);
  await processes.start();
  await Promise.all(layout.nodes.map((n) => waitForApi(n.apiUrl, 90_000)));
  const url = layout.nodes[0]!.apiUrl;
  const client = new MeridianClient(url, { WebSocket: WebSocket as never });
  const passphrase = readFileSync(join(dir, 'passphrase'), 'utf8');
  const admins = new Map<string, Admin>();
  for (const admin of layout.admins ?? []) {
    const identity = await decryptKeyFile(parseKeyFile(readFileSync(admin.keyFile, 'utf8')), passphrase);
    admins.set(admin.organization, {
      organization: admin.organization,
      keyFile: admin.keyFile,
      signer: identity.signing,
    });
  }
  return {
    dir,
    layout,
    passphrase,
    admins,
    processes,
    client,
    url,
    async stop() {
      client.close();
      await processes.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Errors the page threw (uncaught exceptions): a test fails on any. */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'meridian-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // From the top, so the sticky top bar sits at the top of a full-page shot.
  await page.evaluate(() => {
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
