/**
 * "Verify" for a provenance URI: fetches a proof bundle and checks it in this
 * browser with src/light/provenance-verify.ts, trusting only the validator
 * set of the bundle's genesis (whose hash is compared with the one the node
 * reports). Shows True/False, the proof path (record → SHA-256 → trie path →
 * certified header), and on False the altered, missing or extra entries.
 */
import { useMemo, useState } from 'react';
import type { ProvenanceBundleJson } from '../../../src/api/sdk.ts';
import { toHex, utf8 } from '../../../src/codec/bytes.ts';
import { sha256 } from '../../../src/crypto/sha256.ts';
import { type ProvenanceVerdict, verifyProvenanceBundle } from '../../../src/light/provenance-verify.ts';
import { formatInteger, shortHash } from '../lib/format.ts';
import { useNames } from '../lib/membership.ts';
import { useNode } from '../lib/node.tsx';
import { describeProofPath } from '../lib/proof-path.ts';
import { alterRecordText, bundleRecords, type ProvEntry, uriKeyHex, uriLabel } from '../lib/provenance.ts';
import { links } from '../lib/router.tsx';
import { Badge, Card, ErrorNotice, Hash, Loading, Notice } from './ui.tsx';

export type VerifyMode = 'single' | 'comprehensive';

interface Run {
  readonly bundle: ProvenanceBundleJson;
  readonly verdict: ProvenanceVerdict;
  readonly tampered: string | undefined;
  readonly ms: number;
}

/** Rows of the records table shown at most (altered, missing and extra ones are always listed, above it). */
const MAX_RECORD_ROWS = 150;

function ProofPath({ bundle, verdict }: { bundle: ProvenanceBundleJson; verdict: ProvenanceVerdict }) {
  const names = useNames();
  const target = bundle.records.find((r) => r.uri === bundle.uri);
  const signed = bundle.headers.find((h) => h.header.height === bundle.keyProof.height);
  const computed = target ? toHex(sha256(utf8(target.record))) : undefined;
  const path = useMemo(() => {
    if (!signed) return undefined;
    try {
      return describeProofPath(signed.header.provenanceRoot, uriKeyHex(bundle.uri), bundle.keyProof.nodes);
    } catch {
      return undefined;
    }
  }, [signed, bundle]);
  const proven = path?.value;
  const altered = verdict.altered.includes(bundle.uri);
  return (
    <ol className="steps" data-testid="prov-proof-path">
      <li className={`step ${altered ? 'step-fail' : ''}`}>
        <div className="step-head">
          <span className={`check ${altered ? 'check-fail' : 'check-pass'}`}>{altered ? '✗' : '✓'}</span>
          <span className="step-title">The record hashes to the anchored entry hash</span>
        </div>
        <div className="step-body small">
          <div>
            SHA-256 of the record’s canonical JSON (computed here):{' '}
            {computed ? <Hash value={computed} /> : <span className="muted">no record</span>}
          </div>
          <div>
            Anchored hash (end of the trie path):{' '}
            {proven ? <Hash value={proven} /> : <span className="muted">—</span>}{' '}
            {computed && proven ? (
              computed === proven ? (
                <Badge tone="good">equal</Badge>
              ) : (
                <Badge tone="bad">different</Badge>
              )
            ) : null}
          </div>
        </div>
      </li>
      <li className={`step ${path?.steps.every((s) => s.hashMatches) ? '' : 'step-fail'}`}>
        <div className="step-head">
          <span className={`check ${path?.steps.every((s) => s.hashMatches) ? 'check-pass' : 'check-fail'}`}>
            {path?.steps.every((s) => s.hashMatches) ? '✓' : '✗'}
          </span>
          <span className="step-title">
            The trie path leads from block #{bundle.keyProof.height}’s provenance root to the URI
          </span>
        </div>
        <div className="step-body">
          {path ? (
            <table className="table table-compact mpt">
              <thead>
                <tr>
                  <th>Node</th>
                  <th>Kind</th>
                  <th>keccak-256</th>
                  <th>Must equal</th>
                  <th>What it says</th>
                </tr>
              </thead>
              <tbody>
                {path.steps.map((s, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: positional
                  <tr key={i} className={s.hashMatches ? '' : 'row-bad'}>
                    <td className="num">
                      {s.index}
                      {s.embedded ? '′' : ''}
                    </td>
                    <td>
                      <Badge>{s.kind}</Badge>
                    </td>
                    <td>
                      {s.embedded ? (
                        <span className="muted small">embedded</span>
                      ) : (
                        <Hash value={s.hash} copy={false} />
                      )}
                    </td>
                    <td className="small">
                      {s.embedded ? null : (
                        <>
                          {i === 0 ? 'provenance root ' : 'parent’s ref '}
                          <span className={`check ${s.hashMatches ? 'check-pass' : 'check-fail'}`}>
                            {s.hashMatches ? '✓' : '✗'}
                          </span>
                        </>
                      )}
                    </td>
                    <td className="small">{s.note}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <span className="muted small">the bundle lacks the block’s header</span>
          )}
        </div>
      </li>
      <li className="step">
        <div className="step-head">
          <span
            className={`check ${verdict.failure?.code?.startsWith('CERT') ? 'check-fail' : 'check-pass'}`}
          >
            {verdict.failure?.code?.startsWith('CERT') ? '✗' : '✓'}
          </span>
          <span className="step-title">That block is certified by a quorum of the validator set</span>
        </div>
        <div className="step-body small">
          {signed ? (
            <>
              <div>
                Block <a href={links.block(signed.header.height)}>#{formatInteger(signed.header.height)}</a>,
                header <Hash value={signed.header.hash} /> signed by{' '}
                {signed.certificate.signatures.map((s) => (
                  <Badge key={s.validator}>{names(s.validator) ?? shortHash(s.validator)}</Badge>
                ))}{' '}
                ({signed.certificate.signatures.length} of {verdict.trust.validators}).
              </div>
              <div className="muted">
                The world-state proof at block #{bundle.state.height} shows this is the URI’s{' '}
                {verdict.latest ? 'latest' : 'an earlier'} anchored version (version {verdict.version}).
              </div>
            </>
          ) : null}
        </div>
      </li>
    </ol>
  );
}

function RecordRow({
  uri,
  entry,
  flag,
  judged,
}: {
  uri: string;
  entry: ProvEntry | undefined;
  flag: string | undefined;
  judged: boolean;
}) {
  return (
    <tr
      className={flag ? 'entry-altered' : ''}
      data-testid={flag ? 'prov-flagged' : undefined}
      data-uri={uri}
    >
      <td>
        <a href={links.provenance(uri)} title={uri}>
          {uriLabel(uri)}
        </a>
      </td>
      <td>{entry?.granularity ?? entry?.kind ?? '—'}</td>
      <td className="num">{entry?.version ?? '—'}</td>
      <td>
        {flag === 'altered' ? (
          <Badge tone="bad">altered: hash differs from the chain</Badge>
        ) : flag === 'missing' ? (
          <Badge tone="bad">missing: anchored, not served</Badge>
        ) : flag === 'extra' ? (
          <Badge tone="bad">extra: never anchored here</Badge>
        ) : judged ? (
          <Badge tone="good">matches</Badge>
        ) : (
          <span className="muted">not judged</span>
        )}
      </td>
    </tr>
  );
}

function RecordsTable({ bundle, verdict }: { bundle: ProvenanceBundleJson; verdict: ProvenanceVerdict }) {
  const records = useMemo(() => bundleRecords(bundle.records), [bundle]);
  const flagged = new Map<string, string>();
  for (const uri of verdict.altered) flagged.set(uri, 'altered');
  for (const uri of verdict.missing) flagged.set(uri, 'missing');
  for (const uri of verdict.extra) flagged.set(uri, 'extra');
  const rest = bundle.records.map((r) => r.uri).filter((uri) => !flagged.has(uri));
  const judged = verdict.failure === undefined;
  const head = (
    <thead>
      <tr>
        <th>Entry</th>
        <th>Granularity</th>
        <th className="num">Version</th>
        <th>Check</th>
      </tr>
    </thead>
  );
  return (
    <>
      {flagged.size > 0 ? (
        <table className="table table-compact" data-testid="prov-records-flagged">
          {head}
          <tbody>
            {[...flagged].map(([uri, flag]) => (
              <RecordRow key={uri} uri={uri} entry={records.get(uri)} flag={flag} judged={judged} />
            ))}
          </tbody>
        </table>
      ) : null}
      {rest.length === 0 ? null : (
        <details className="details">
          <summary>
            {flagged.size > 0 ? 'The other' : 'The'} {formatInteger(rest.length)} record
            {rest.length === 1 ? '' : 's'} in the bundle
            {judged ? ', each matching the hash the chain anchored' : ''}
          </summary>
          <table className="table table-compact" data-testid="prov-records">
            {head}
            <tbody>
              {rest.slice(0, MAX_RECORD_ROWS).map((uri) => (
                <RecordRow key={uri} uri={uri} entry={records.get(uri)} flag={undefined} judged={judged} />
              ))}
            </tbody>
          </table>
          {rest.length > MAX_RECORD_ROWS ? (
            <p className="muted small">and {formatInteger(rest.length - MAX_RECORD_ROWS)} more.</p>
          ) : null}
        </details>
      )}
    </>
  );
}

export function VerifyPanel({
  uri,
  onVerdict,
}: {
  uri: string;
  onVerdict?: (verdict: ProvenanceVerdict | undefined) => void;
}) {
  const { provenance, status } = useNode();
  const [mode, setMode] = useState<VerifyMode>('comprehensive');
  const [tamper, setTamper] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [run, setRun] = useState<Run>();

  const verify = async () => {
    setBusy(true);
    setError(undefined);
    setRun(undefined);
    onVerdict?.(undefined);
    try {
      const served = await provenance.proof(uri, { comprehensive: mode === 'comprehensive' });
      let bundle = served;
      let tampered: string | undefined;
      if (tamper) {
        // Alter the deepest record of the bundle (an attribute when there is one), as a dishonest store would.
        const victim = [...served.records].sort((a, b) => b.uri.length - a.uri.length)[0];
        if (victim) {
          tampered = victim.uri;
          bundle = {
            ...served,
            records: served.records.map((r) =>
              r.uri === victim.uri ? { ...r, record: alterRecordText(r.record) } : r,
            ),
          };
        }
      }
      // Let the "Verifying…" state paint before the (synchronous) hashing starts.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const started = performance.now();
      const verdict = verifyProvenanceBundle(bundle);
      setRun({ bundle, verdict, tampered, ms: performance.now() - started });
      onVerdict?.(verdict);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const verdict = run?.verdict;
  const genesisMatches =
    verdict && status ? verdict.trust.genesisHash === status.genesisHash.toLowerCase() : undefined;
  return (
    <Card title="Verify" testId="prov-verify">
      <div className="form-row">
        <label>
          What to verify
          <select name="mode" value={mode} onChange={(e) => setMode(e.target.value as VerifyMode)}>
            <option value="single">single: this entry</option>
            <option value="comprehensive">comprehensive: this entry and everything below it</option>
          </select>
        </label>
        <label className="inline-check">
          <input
            type="checkbox"
            name="tamper"
            checked={tamper}
            onChange={(e) => setTamper(e.target.checked)}
          />
          as if the node had altered one record
        </label>
        <button type="button" className="button button-primary" onClick={() => void verify()} disabled={busy}>
          {busy ? 'Verifying…' : 'Verify in this browser'}
        </button>
      </div>
      <p className="small muted">
        The node sends a proof bundle (records, trie proofs, certified headers, genesis); this page checks it.
        The node never says “verified”.
      </p>
      {busy ? <Loading what="Fetching the proof bundle and checking every hash and signature" /> : null}
      {error ? <ErrorNotice error={error} title="Could not verify" /> : null}
      {run && verdict ? (
        <>
          <div
            className={`verdict ${verdict.valid ? 'verdict-true' : 'verdict-false'}`}
            data-testid="prov-verdict"
            data-valid={String(verdict.valid)}
          >
            <div className="verdict-word">{verdict.valid ? 'True' : 'False'}</div>
            <div>
              <div className="verdict-title">
                {verdict.valid
                  ? `${formatInteger(verdict.entries)} entr${verdict.entries === 1 ? 'y matches' : 'ies match'} what the chain anchored`
                  : verdict.failure
                    ? `The proof does not hold: ${verdict.failure.code}`
                    : `${verdict.altered.length + verdict.missing.length + verdict.extra.length} entr${verdict.altered.length + verdict.missing.length + verdict.extra.length === 1 ? 'y does' : 'ies do'} not match the chain`}
              </div>
              <div className="verdict-detail">
                {verdict.failure ? verdict.failure.message : null}
                {verdict.altered.length > 0 ? (
                  <>
                    Altered:{' '}
                    {verdict.altered.map((u) => (
                      <code key={u} className="break" data-testid="prov-altered">
                        {u}
                      </code>
                    ))}
                    .{' '}
                  </>
                ) : null}
                {verdict.missing.length > 0 ? `Missing: ${verdict.missing.length}. ` : null}
                {verdict.extra.length > 0 ? `Extra: ${verdict.extra.length}. ` : null}
                {verdict.kind} verification of version {verdict.version ?? '—'} anchored at block{' '}
                {verdict.anchoredAt ?? '—'}; {verdict.blocks.length} provenance trie
                {verdict.blocks.length === 1 ? '' : 's'} proven
                {verdict.linked > 0
                  ? `, ${verdict.linked} pinned records (activity, agents, sources) checked`
                  : ''}
                ; {Math.round(run.ms)} ms.
              </div>
            </div>
          </div>
          {run.tampered ? (
            <Notice tone="warn">
              This run altered the record of <code className="break">{run.tampered}</code> in the page’s copy
              of the bundle before verifying.
            </Notice>
          ) : null}
          <p className="small">
            Trusted: the validator set of the bundle’s genesis{' '}
            <Hash value={verdict.trust.genesisHash || '0x'} /> ({verdict.trust.validators} validators){' '}
            {genesisMatches === undefined ? null : genesisMatches ? (
              <Badge tone="good">= the genesis this node reports</Badge>
            ) : (
              <Badge tone="bad">≠ the genesis this node reports</Badge>
            )}
            . For independent trust, compare that hash with the genesis file your organisation holds.
          </p>
          {run.bundle.kind === 'single' ? <ProofPath bundle={run.bundle} verdict={verdict} /> : null}
          {run.bundle.kind === 'comprehensive' ? (
            <p className="small">
              Subtree proofs under <code>{uriLabel(run.bundle.uri)}/</code> in block
              {run.bundle.subtrees.length === 1 ? '' : 's'}{' '}
              {run.bundle.subtrees.map((s) => (
                <a key={s.height} href={links.block(s.height)} className="chip">
                  #{s.height} · {formatInteger(s.entries.length)} entries
                </a>
              ))}
              : each subtree is rebuilt here from its entries, so none can be dropped, added or changed.
            </p>
          ) : null}
          <RecordsTable bundle={run.bundle} verdict={verdict} />
        </>
      ) : null}
    </Card>
  );
}
