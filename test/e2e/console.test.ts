/**
 * The web console in a real browser against a real devnet: every page opens
 * and shows live data from the chain. Screenshots of each page land in
 * test/e2e/screenshots/ (look at them: they are the point of a UI test).
 *
 * One devnet for the whole file, so the tests run in order and build on each
 * other: a transaction sent early is searched for later; the view change is
 * last because it kills a validator.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MeridianClient, ProvenanceClient } from '../../src/api/sdk.ts';
import { compileContract } from '../../src/contracts/index.ts';
import type { SigningKeyPair } from '../../src/crypto/ed25519.ts';
import { type DevnetNode, waitForApi } from '../../src/node/devnet.ts';
import { openPgliteSqlStore } from '../../src/store/pglite-sql.ts';
import { MERGED, smallMerge } from '../support/provenance-fixture.ts';
import {
  type Browser,
  type ConsoleDevnet,
  ensureConsoleBuilt,
  launchBrowser,
  REPO,
  screenshot,
  startConsoleDevnet,
} from './console-devnet.ts';

const UI_TIMEOUT_MS = 20_000;
const COUNTER_SOURCE = `
export function increment(ctx, args) {
  const n = (ctx.state.get('counter') ?? 0) + (args?.by ?? 1);
  ctx.state.put('counter', n);
  return n;
}
export function get(ctx) {
  return ctx.state.get('counter') ?? 0;
}
`;

/**
 * The primary a quorum of validators names, and a validator of that quorum to watch from (one restarted
 * earlier may sit in an older view until traffic reaches it). Polled for up to a minute.
 */
async function quorumPrimary(net: ConsoleDevnet): Promise<{ primary: DevnetNode; watcher: DevnetNode }> {
  const deadline = Date.now() + 60_000;
  const quorum = net.layout.nodes.length - Math.floor((net.layout.nodes.length - 1) / 3);
  for (;;) {
    const statuses = await Promise.all(
      net.layout.nodes.map((n) =>
        new MeridianClient(n.apiUrl, { WebSocket: null }).status().catch(() => undefined),
      ),
    );
    const votes = new Map<string, number>();
    for (const s of statuses) if (s) votes.set(s.primary, (votes.get(s.primary) ?? 0) + 1);
    const [key, count] = [...votes].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
    const primary = net.layout.nodes.find((n) => n.publicKey.toLowerCase() === key.toLowerCase());
    const watcher = net.layout.nodes.find((n, i) => n !== primary && statuses[i]?.primary === key);
    if (count >= quorum && primary && watcher) return { primary, watcher };
    if (Date.now() > deadline)
      throw new Error(`no quorum of validators names one primary: ${JSON.stringify([...votes])}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

describe('web console', () => {
  let net: ConsoleDevnet;
  let browser: Browser;
  let signer: SigningKeyPair;
  const key = `e2e/${Date.now()}`;
  let txHash = '';
  let txHeight = 0;
  const fixture = smallMerge(12);

  beforeAll(async () => {
    await ensureConsoleBuilt();
    [net, browser] = await Promise.all([startConsoleDevnet(), launchBrowser()]);
    const admin = net.admins.get('org-0');
    if (!admin)
      throw new Error('the devnet has no organisation admins: membership is required by these tests');
    signer = admin.signer;
    // Ready means committing: right after start the validators may still be settling their first view,
    // and on a busy machine that takes a while. The tests below are about the console, not start-up.
    const { hash } = await net.client.sendTx({
      kind: 'kv.put',
      payload: { key: `${key}/warm-up`, value: 'ready' },
      signer,
    });
    await net.client.waitForTx(hash, { timeoutMs: 150_000 });
  }, 330_000);

  afterAll(async () => {
    await browser?.close();
    await net?.stop();
  });

  afterEach(() => {
    expect(browser.pageErrors, 'uncaught errors in the page').toEqual([]);
  });

  const page = () => browser.page;
  const byTestId = (id: string) => page().getByTestId(id);
  const search = async (text: string) => {
    const box = page().getByRole('searchbox', { name: 'Search' });
    await box.fill(text);
    await box.press('Enter');
  };
  const send = async (kind: string, payload: Record<string, unknown>, who: SigningKeyPair = signer) => {
    const { hash } = await net.client.sendTx({ kind, payload, signer: who });
    const status = await net.client.waitForTx(hash, { timeoutMs: 60_000 });
    expect(
      status.receipt?.status,
      `${kind}: ${status.receipt?.errorCode} ${status.receipt?.errorMessage}`,
    ).toBe('ok');
    return status;
  };

  it('opens at / on the node and lists the four validators online with their organisations', async () => {
    await page().goto(`${net.url}/`);
    await byTestId('validator-row').nth(3).waitFor({ timeout: UI_TIMEOUT_MS });
    await page().getByText('Organisation 3').waitFor({ timeout: UI_TIMEOUT_MS });
    // Peer sessions come up a few seconds after the processes start; the page polls.
    await page().waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="validator-row"]')].filter((row) =>
          row.textContent?.includes('online'),
        ).length === 4,
      undefined,
      { timeout: 45_000 },
    );
    const rows = await byTestId('validator-row').allTextContents();
    expect(rows).toHaveLength(4);
    for (const [i, row] of rows.entries()) {
      expect(row).toContain(`validator-${i}`);
      expect(row).toContain(`Organisation ${i}`);
      expect(row).toContain('online');
    }
    expect(await byTestId('stat-height').textContent()).toMatch(/^Height\d/);
  });

  it('shows a block committed after the page opened, without a reload', async () => {
    await page().goto(`${net.url}/#/explorer`);
    await byTestId('latest-blocks').waitFor();
    const committed = await send('kv.put', { key, value: 'seen in a browser' });
    txHash = committed.hash;
    txHeight = committed.height!;
    const row = page().locator(`[data-testid="block-row"][data-height="${txHeight}"]`);
    await row.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await row.textContent()).toContain(`#${txHeight}`);
    await byTestId('latest-txs').getByText('kv.put').first().waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page(), 'explorer');
  });

  it('finds a transaction sent with the SDK through the search box', async () => {
    await search(txHash);
    await byTestId('tx-page').waitFor({ timeout: UI_TIMEOUT_MS });
    const text = await byTestId('tx-page').textContent();
    expect(text).toContain('kv.put');
    expect(text).toContain('committed · ok');
    expect(text).toContain('seen in a browser');
    expect(text).toContain('org-0 admin');
    await screenshot(page(), 'tx');
  });

  it('shows the block with every root and the certificate signers', async () => {
    await byTestId('tx-page')
      .getByRole('link', { name: `#${txHeight}` })
      .first()
      .click();
    await byTestId('block-page').waitFor({ timeout: UI_TIMEOUT_MS });
    const text = await byTestId('block-page').textContent();
    for (const label of [
      'State root',
      'Transactions root',
      'Receipts root',
      'Provenance root',
      'Validator set hash',
    ])
      expect(text).toContain(label);
    const signed = await byTestId('signer-row').filter({ hasText: 'signed' }).count();
    expect(signed).toBeGreaterThanOrEqual(3);
    expect(await byTestId('block-txs').textContent()).toContain('kv.put');
    await screenshot(page(), 'block');
  });

  it('verifies a state read in the browser: True, then False for each kind of tampering', async () => {
    await search(`kv/${key}`);
    const verdict = byTestId('verdict');
    await verdict.waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await verdict.getAttribute('data-valid')).toBe('true');
    expect(await verdict.textContent()).toContain('True');
    expect(await byTestId('state-value').textContent()).toContain('seen in a browser');
    for (const step of ['step-header', 'step-certificate', 'step-path', 'step-value'])
      expect(await byTestId(step).getAttribute('data-status')).toBe('pass');
    expect(await byTestId('mpt-node').count()).toBeGreaterThan(0);
    expect(await byTestId('proof-signer').count()).toBeGreaterThanOrEqual(3);
    await screenshot(page(), 'state');

    const tamper = page().locator('select[name="tamper"]');
    const failsWith = async (how: string, code: string, step: string) => {
      await tamper.selectOption(how);
      await page().waitForFunction(
        (expected) => document.querySelector('[data-testid="verdict"]')?.textContent?.includes(expected),
        code,
      );
      expect(await verdict.getAttribute('data-valid')).toBe('false');
      expect(await byTestId(step).getAttribute('data-status')).toBe('fail');
    };
    await failsWith('value', 'VALUE_MISMATCH', 'step-value');
    await screenshot(page(), 'state-tampered-value');
    await failsWith('signature', 'CERT_BAD_SIGNATURE', 'step-certificate');
    expect(await byTestId('step-path').getAttribute('data-status')).toBe('skipped');
    await failsWith('quorum', 'CERT_NO_QUORUM', 'step-certificate');
    await failsWith('proof', 'PROOF_INVALID', 'step-path');
    await failsWith('header', 'HEADER_HASH_MISMATCH', 'step-header');
  });

  it('shows the sender’s account with its organisation and transaction', async () => {
    await page().goto(`${net.url}/#/account/0x${Buffer.from(signer.publicKey).toString('hex')}`);
    await byTestId('sent-txs').getByText('kv.put').first().waitFor({ timeout: UI_TIMEOUT_MS });
    const text = await byTestId('account-page').textContent();
    expect(text).toContain('Next nonce');
    expect(text).toContain('Organisation 0');
    expect(text).toContain('org-admin');
    await screenshot(page(), 'account');
  });

  it('lists organisations, and an org-admin votes in the browser with a key file; the vote deploys a contract', async () => {
    await page().goto(`${net.url}/#/governance`);
    await byTestId('organization-row').nth(4).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await byTestId('organizations').textContent()).toContain('Devnet Regulator');
    await screenshot(page(), 'governance');

    // Three of the five organisations approve through the SDK; org-1's vote, cast in the page, completes the quorum.
    const { code, codeHash } = await compileContract(COUNTER_SOURCE, 'js');
    const proposed = await send('governance.propose', {
      action: { type: 'deployContract', name: 'counter', code, codeHash },
      description: 'A shared counter, deployed from the browser test',
    });
    const id = (proposed.receipt!.result as { id: number }).id;
    await send('governance.vote', { id, approve: true, codeHash }, net.admins.get('regulator')!.signer);
    await send('governance.vote', { id, approve: true, codeHash }, net.admins.get('org-2')!.signer);

    await page().goto(`${net.url}/#/governance/proposal/${id}`);
    await byTestId('tally').waitFor({ timeout: UI_TIMEOUT_MS });
    await page().locator('input[name="keyfile"]').setInputFiles(net.admins.get('org-1')!.keyFile);
    await page().locator('input[name="passphrase"]').fill(net.passphrase);
    await page().getByRole('button', { name: 'Unlock' }).click();
    await byTestId('key-panel').getByText('org-1 admin').waitFor({ timeout: UI_TIMEOUT_MS });
    await byTestId('vote-panel').getByText('= the proposal’s code hash').waitFor({ timeout: UI_TIMEOUT_MS });
    await byTestId('vote-panel').getByRole('button', { name: 'Vote yes for org-1' }).click();
    await page().getByText('Vote committed').waitFor({ timeout: 60_000 });
    await page().getByText('Voting is closed').waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await page().getByTestId('votes').textContent()).toContain('org-1 admin');
    await screenshot(page(), 'governance-proposal');

    await page().goto(`${net.url}/#/governance/contracts`);
    await byTestId('contract-row').filter({ hasText: 'counter' }).click();
    await byTestId('contract-history').getByText(`proposal ${id}`).waitFor({ timeout: UI_TIMEOUT_MS });
    expect(await byTestId('contract-page').textContent()).toContain(codeHash);
    await screenshot(page(), 'governance-contract');
  });

  it('shows a dataset’s provenance and verifies it True in the browser, with its sources on a map', async () => {
    const provenance = new ProvenanceClient(net.client);
    await provenance.anchor(fixture.entries, signer, { timeoutMs: 60_000 });
    const stored = await provenance.putRecords(fixture.entries);
    expect(stored.filter((r) => r.status === 'rejected')).toEqual([]);

    await page().goto(`${net.url}/#/provenance`);
    await byTestId('dataset-row').filter({ hasText: MERGED }).waitFor({ timeout: UI_TIMEOUT_MS });
    await byTestId('dataset-row').filter({ hasText: MERGED }).click();
    await byTestId('prov-graph').waitFor({ timeout: UI_TIMEOUT_MS });
    const kinds = await byTestId('prov-node').evaluateAll((nodes) =>
      nodes.map((n) => n.getAttribute('data-kind')),
    );
    expect(new Set(kinds)).toEqual(new Set(['entity', 'activity', 'agent']));

    await page().getByRole('button', { name: 'Verify in this browser' }).click();
    await byTestId('prov-verdict').waitFor({ timeout: 30_000 });
    expect(await byTestId('prov-verdict').getAttribute('data-valid')).toBe('true');

    const data = join(REPO, 'examples/provenance/data');
    await page()
      .locator('input[name="geojson"]')
      .setInputFiles([join(data, 'authoritative.geojson'), join(data, 'osm.geojson')]);
    const layers = byTestId('map-layers');
    await layers.waitFor({ timeout: 30_000 });
    // The fixture anchored the first 12 buildings of each source; all of them match the loaded files.
    expect(await layers.textContent()).toMatch(/authoritative\.geojson.*12/);
    await page().waitForSelector('[data-testid="prov-map"][data-ready="true"]', { timeout: 30_000 });
    await page().waitForTimeout(1_000);
    await screenshot(page(), 'provenance');

    // The finer granularities: a merged feature, then one of its attributes.
    await page().goto(`${net.url}/#/provenance?uri=${encodeURIComponent(fixture.feature.uri)}`);
    await page()
      .locator(`[data-testid="prov-node"][data-uri="${fixture.feature.uri}"]`)
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await page().locator('select[name="mode"]').selectOption('single');
    await page().getByRole('button', { name: 'Verify in this browser' }).click();
    await byTestId('prov-proof-path').waitFor({ timeout: 30_000 });
    expect(await byTestId('prov-verdict').getAttribute('data-valid')).toBe('true');
    await screenshot(page(), 'provenance-feature');
  });

  it('says False after a record is altered in the node’s database, naming the entry', async () => {
    const target = fixture.attribute.uri;
    // An insider with disk access: stop validator-0, rewrite the row, restart it (as examples/provenance does).
    await net.processes.kill(0, 'SIGTERM');
    const db = await openPgliteSqlStore({ dataDir: join(net.layout.nodes[0]!.dir, 'records-db') });
    try {
      const [row] = await db.query<{ record: string }>('SELECT record FROM prov_records WHERE uri = $1', [
        target,
      ]);
      const forged = row!.record.replace(
        /("meridian:valueHash":"0x[0-9a-f]{63})([0-9a-f])/,
        (_, head: string, last: string) => head + (last === '0' ? '1' : '0'),
      );
      expect(forged).not.toBe(row!.record);
      await db.query('UPDATE prov_records SET record = $1 WHERE uri = $2', [forged, target]);
    } finally {
      await db.close();
    }
    net.processes.startNode(0);
    await waitForApi(net.url, 90_000);

    await page().goto(`${net.url}/#/provenance?uri=${encodeURIComponent(MERGED)}`);
    await page().reload(); // a fresh page: the old one saw validator-0 go down
    await page().getByRole('button', { name: 'Verify in this browser' }).click();
    await byTestId('prov-verdict').waitFor({ timeout: 30_000 });
    expect(await byTestId('prov-verdict').getAttribute('data-valid')).toBe('false');
    expect(await byTestId('prov-altered').allTextContents()).toEqual([target]);
    expect(await page().locator(`[data-testid="prov-flagged"][data-uri="${target}"]`).count()).toBe(1);
    await screenshot(page(), 'provenance-tampered');

    await page().goto(`${net.url}/#/provenance?uri=${encodeURIComponent(target)}`);
    await page().getByRole('button', { name: 'Verify in this browser' }).click();
    await byTestId('prov-verdict').waitFor({ timeout: 30_000 });
    expect(await byTestId('prov-verdict').getAttribute('data-valid')).toBe('false');
    await page()
      .locator(`[data-testid="prov-node"][data-uri="${target}"]`)
      .getByText(/ALTERED/)
      .waitFor();
    await screenshot(page(), 'provenance-tampered-attribute');
  });

  it('answers an unknown search with what the box takes', async () => {
    await search(`0x${'ab'.repeat(32)}`);
    await page().getByText('Nothing found for').waitFor({ timeout: UI_TIMEOUT_MS });
    await screenshot(page(), 'search-not-found');
  });

  it('marks a view change on the live charts when the primary is killed', async () => {
    // Watch from a validator that stays up and agrees on the primary: each one serves the console.
    const { primary, watcher } = await quorumPrimary(net);
    await page().goto(`${watcher.apiUrl}/`);
    await byTestId('validator-row').nth(3).waitFor({ timeout: UI_TIMEOUT_MS });
    const other = new MeridianClient(watcher.apiUrl, { WebSocket: WebSocket as never });
    try {
      for (let i = 0; i < 5; i++) {
        await other.sendTx({
          kind: 'kv.put',
          payload: { key: `${key}/before/${i}`, value: String(i) },
          signer,
        });
      }
      await page().waitForTimeout(2_500); // a metrics sample or two before the fault
      await net.processes.kill(primary.index);
      await byTestId('view-changes')
        .getByText(/^view \d+/)
        .first()
        .waitFor({ timeout: 60_000 });
      await page()
        .locator('[data-testid="validator-row"]', { hasText: primary.name })
        .getByText('offline')
        .waitFor({ timeout: UI_TIMEOUT_MS });
      await byTestId('throughput-chart').locator('.chart-marker').first().waitFor({ timeout: UI_TIMEOUT_MS });
      // Commits after the view change too, so the charts show the gap and the recovery.
      const after = await other.sendTx({
        kind: 'kv.put',
        payload: { key: `${key}/after`, value: 'after' },
        signer,
      });
      await other.waitForTx(after.hash, { timeoutMs: 60_000 });
      await page().waitForTimeout(2_500);
      await screenshot(page(), 'network');
    } finally {
      other.close();
      net.processes.startNode(primary.index);
    }
  }, 180_000);
});
