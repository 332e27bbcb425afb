/**
 * State lookup with a proof verified in this browser: the value under a
 * world-state key, then each check a light client makes — the header hashes
 * to its stated hash, a quorum of the validator set signed it, and the Merkle
 * Patricia path leads from its state root to the value, node by node.
 */
import { useEffect, useMemo, useState } from 'react';
import type { StateProofJson, ValidatorInfoJson } from '../../../src/api/sdk.ts';
import {
  Badge,
  Card,
  Empty,
  ErrorNotice,
  Field,
  Fields,
  Hash,
  JsonBlock,
  Loading,
  Notice,
  PageHeader,
} from '../components/ui.tsx';
import { decodeHexPayload, formatInteger, shortHash, textToHex } from '../lib/format.ts';
import { useNames } from '../lib/membership.ts';
import { useNode } from '../lib/node.tsx';
import { links, navigate } from '../lib/router.tsx';
import { useAsync } from '../lib/use-async.ts';
import {
  type StepStatus,
  TAMPERINGS,
  type Tampering,
  tamper,
  type VerificationReport,
  verifyAnswer,
} from '../lib/verify.ts';

interface Loaded {
  readonly answer: StateProofJson;
  readonly validators: ValidatorInfoJson[];
}

function keyToHex(key: string): string {
  return /^0x([0-9a-fA-F]{2})*$/.test(key) ? key.toLowerCase() : textToHex(key);
}

function keyLabel(hex: string): string {
  const decoded = decodeHexPayload(hex);
  if (decoded.kind === 'text') return decoded.value;
  // acct/<32 bytes>: show the prefix as text
  if (hex.startsWith('0x616363742f') && hex.length === 2 + 10 + 64)
    return `acct/${shortHash(`0x${hex.slice(12)}`)}`;
  return shortHash(hex, 10, 6);
}

function StepMark({ status }: { status: StepStatus }) {
  if (status === 'pass')
    return (
      <span className="check check-pass" role="img" aria-label="passed">
        ✓
      </span>
    );
  if (status === 'fail')
    return (
      <span className="check check-fail" role="img" aria-label="failed">
        ✗
      </span>
    );
  return (
    <span className="check check-skip" role="img" aria-label="not reached">
      –
    </span>
  );
}

function Step({
  n,
  title,
  status,
  testId,
  children,
}: {
  n: number;
  title: string;
  status: StepStatus;
  testId: string;
  children: React.ReactNode;
}) {
  return (
    <li className={`step step-${status}`} data-testid={testId} data-status={status}>
      <div className="step-head">
        <StepMark status={status} />
        <span className="step-n">{n}</span>
        <span className="step-title">{title}</span>
        {status === 'skipped' ? (
          <span className="muted small">not reached: an earlier check failed</span>
        ) : null}
      </div>
      <div className="step-body">{children}</div>
    </li>
  );
}

function ValueView({ hex, json }: { hex: string | null; json: unknown }) {
  if (hex === null)
    return <span className="muted">absent: no value under this key (the proof shows its absence)</span>;
  if (json !== undefined) return <JsonBlock value={json} />;
  const decoded = decodeHexPayload(hex);
  if (decoded.kind === 'json') return <JsonBlock value={decoded.value} />;
  if (decoded.kind === 'text') return <pre className="json">{decoded.value}</pre>;
  return <pre className="json break">{hex}</pre>;
}

function Verification({
  answer,
  report,
  validators,
}: {
  answer: StateProofJson;
  report: VerificationReport;
  validators: ValidatorInfoJson[];
}) {
  const nameOf = useNames();
  const { verdict, steps, path } = report;
  const header = answer.header;
  const signatures = answer.certificate?.signatures ?? [];
  const validatorIndex = (key: string) =>
    validators.findIndex((v) => v.publicKey.toLowerCase() === key.toLowerCase());
  return (
    <>
      <div
        className={`verdict ${verdict.valid ? 'verdict-true' : 'verdict-false'}`}
        data-testid="verdict"
        data-valid={String(verdict.valid)}
      >
        <div className="verdict-word">{verdict.valid ? 'True' : 'False'}</div>
        <div>
          <div className="verdict-title">
            {verdict.valid
              ? `Verified in this browser: ${answer.value === null ? 'the key is absent' : 'this value is in the state'} at block #${formatInteger(verdict.height)}`
              : 'Verification failed: do not trust this answer'}
          </div>
          <div className="verdict-detail">
            {verdict.valid
              ? `Certified by ${verdict.signers} of ${validators.length} validators (quorum ${report.quorum}). Nothing here relies on the node being honest — only on the validator set.`
              : `${verdict.failure?.code}: ${verdict.failure?.message}`}
          </div>
        </div>
      </div>
      <ol className="steps">
        <Step n={1} title="The header hashes to the block hash" status={steps.header} testId="step-header">
          {header ? (
            <Fields>
              <Field label="Block">
                <a href={links.block(header.height)}>#{formatInteger(header.height)}</a>
              </Field>
              <Field label="Stated hash">
                <Hash value={header.hash} full />
              </Field>
              <Field label="State root">
                <Hash value={header.stateRoot} full />
              </Field>
              <Field label="Check">
                {steps.header === 'fail'
                  ? 'keccak-256 of the header’s RLP encoding is NOT the stated hash: a field was altered.'
                  : 'keccak-256 of the header’s RLP encoding (computed here) equals the stated hash.'}
              </Field>
            </Fields>
          ) : (
            <span className="muted">the answer has no header</span>
          )}
        </Step>
        <Step
          n={2}
          title="A quorum of the validator set signed that block"
          status={steps.certificate}
          testId="step-certificate"
        >
          <p className="small">
            Validator set: {validators.length} keys from <code>/v1/validators</code>, hashing here to{' '}
            <Hash value={report.validatorSetHash} />{' '}
            {report.validatorSetMatches ? (
              <Badge tone="good">= header’s validatorSetHash</Badge>
            ) : (
              <Badge tone="bad">≠ header’s validatorSetHash</Badge>
            )}
            . Pin it yourself for real trust: a node that lies about the set could lie about everything.
          </p>
          {answer.certificate === null || answer.certificate === undefined ? (
            <p className="small muted">
              {header?.height === 0
                ? 'Block 0 has no certificate: its hash is checked against the genesis hash this node reported.'
                : 'The answer carries no certificate.'}
            </p>
          ) : (
            <table className="table table-compact">
              <thead>
                <tr>
                  <th>Signer</th>
                  <th>In the set</th>
                  <th>
                    Signature over COMMIT (view {answer.certificate.view}, height {answer.certificate.height})
                  </th>
                </tr>
              </thead>
              <tbody>
                {signatures.map((s) => {
                  const index = validatorIndex(s.validator);
                  const bad = report.badSigner !== undefined && index === report.badSigner;
                  const ok = steps.certificate === 'pass';
                  return (
                    <tr key={s.validator} data-testid="proof-signer">
                      <td>
                        <a href={links.account(s.validator)}>
                          {nameOf(s.validator) ?? shortHash(s.validator)}
                        </a>
                      </td>
                      <td>
                        {index >= 0 ? <Badge tone="good">#{index}</Badge> : <Badge tone="bad">unknown</Badge>}
                      </td>
                      <td>
                        <Hash value={s.signature} head={10} copy={false} />{' '}
                        {bad ? (
                          <Badge tone="bad">does not verify</Badge>
                        ) : ok ? (
                          <Badge tone="good">Ed25519 valid</Badge>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <p className="small">
            {signatures.length} signature{signatures.length === 1 ? '' : 's'}, {report.quorum} needed (2f+1 of{' '}
            {validators.length}).
          </p>
        </Step>
        <Step
          n={3}
          title="The Merkle Patricia path leads from the state root to the key"
          status={steps.path}
          testId="step-path"
        >
          {path ? (
            <>
              <p className="small">
                Key nibbles: <code className="break">{path.keyNibbles}</code>
              </p>
              <table className="table table-compact mpt">
                <thead>
                  <tr>
                    <th>Node</th>
                    <th>Kind</th>
                    <th>keccak-256 of the node</th>
                    <th>Must equal</th>
                    <th>Consumes</th>
                    <th>What it says</th>
                  </tr>
                </thead>
                <tbody>
                  {path.steps.map((s, i) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: steps are positional
                    <tr key={i} data-testid="mpt-node" className={s.hashMatches ? '' : 'row-bad'}>
                      <td className="num">
                        {s.index}
                        {s.embedded ? <span className="muted">′</span> : null}
                      </td>
                      <td>
                        <Badge tone={s.kind === 'malformed' ? 'bad' : 'neutral'}>{s.kind}</Badge>
                        <span className="muted small"> {s.bytes} B</span>
                      </td>
                      <td>
                        {s.embedded ? (
                          <span className="muted small">embedded in its parent</span>
                        ) : (
                          <Hash value={s.hash} copy={false} />
                        )}
                      </td>
                      <td>
                        {s.embedded ? null : (
                          <>
                            <span className="muted small">{i === 0 ? 'state root ' : 'parent’s ref '}</span>
                            {s.hashMatches ? (
                              <span className="check check-pass">✓</span>
                            ) : (
                              <span className="check check-fail">✗</span>
                            )}
                          </>
                        )}
                      </td>
                      <td>
                        <code>{s.consumed || '—'}</code>
                      </td>
                      <td className="small">{s.note}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="small">
                {path.outcome === 'present'
                  ? 'The path ends at a value for exactly this key.'
                  : path.outcome === 'absent'
                    ? 'The path ends where the key would have to be, and it is not there: the key is proven absent.'
                    : 'The path is broken.'}
                {path.unusedNodes > 0 ? ` ${path.unusedNodes} proof node(s) were not used.` : ''}
              </p>
            </>
          ) : (
            <span className="muted">no proof to walk</span>
          )}
        </Step>
        <Step n={4} title="The proven value is the value served" status={steps.value} testId="step-value">
          <p className="small">
            {steps.value === 'fail'
              ? 'The trie proves a different value than the one the node served.'
              : answer.value === null
                ? 'The node says the key is absent, and the proof shows it.'
                : 'The value at the end of the path is byte-for-byte the value the node served.'}
          </p>
        </Step>
      </ol>
    </>
  );
}

function RecentKeys() {
  const { client, heads } = useNode();
  const heightsWithTxs = heads
    .filter((h) => h.txCount > 0)
    .slice(0, 5)
    .map((h) => h.height);
  const keyList = useAsync(async () => {
    const blocks = await Promise.all(heightsWithTxs.map((h) => client.block(h)));
    const keys = new Set<string>();
    for (const block of blocks) {
      for (const receipt of block.receipts) {
        for (const event of receipt.events) {
          const key = (event.data as { key?: unknown } | null)?.key;
          if (event.module === 'kv' && typeof key === 'string') keys.add(`kv/${key}`);
        }
      }
      for (const tx of block.transactions) keys.add(`0x616363742f${tx.sender.slice(2)}`);
    }
    return [...keys].slice(0, 8);
  }, [client, heightsWithTxs.join(',')]);
  if (!keyList.data || keyList.data.length === 0) {
    return (
      <p className="small muted">
        World-state keys start with their module: <code>kv/&lt;key&gt;</code> for the kv module,{' '}
        <code>acct/&lt;key bytes&gt;</code> for account nonces.
      </p>
    );
  }
  return (
    <p className="small">
      Keys written recently:{' '}
      {keyList.data.map((k) => (
        <a key={k} className="chip" href={links.state(k)}>
          {keyLabel(k.startsWith('0x') ? k : textToHex(k))}
        </a>
      ))}
    </p>
  );
}

export function StatePage({ initialKey, initialHeight }: { initialKey: string; initialHeight: string }) {
  const { client, status } = useNode();
  const [key, setKey] = useState(initialKey);
  const [height, setHeight] = useState(initialHeight);
  const [tampering, setTampering] = useState<Tampering>('none');
  useEffect(() => {
    setKey(initialKey);
  }, [initialKey]);
  useEffect(() => {
    setHeight(initialHeight);
  }, [initialHeight]);

  const loaded = useAsync<Loaded | undefined>(async () => {
    if (initialKey === '') return undefined;
    const heightNumber = initialHeight === '' ? undefined : Number(initialHeight);
    const [answer, validators] = await Promise.all([
      client.state(keyToHex(initialKey), {
        prove: true,
        ...(heightNumber === undefined ? {} : { height: heightNumber }),
      }),
      client.validators(),
    ]);
    return { answer, validators };
  }, [client, initialKey, initialHeight]);

  const shown = useMemo(
    () => (loaded.data ? tamper(loaded.data.answer, tampering) : undefined),
    [loaded.data, tampering],
  );
  const report = useMemo(
    () =>
      shown && loaded.data ? verifyAnswer(shown, loaded.data.validators, status?.genesisHash) : undefined,
    [shown, loaded.data, status?.genesisHash],
  );

  return (
    <div className="page" data-testid="state-page">
      <PageHeader
        title="State lookup"
        subtitle="Read any world-state key and check the answer here, in your browser, against the validators’ signatures — no need to trust the node."
      />
      <Card>
        <form
          className="form-row"
          onSubmit={(event) => {
            event.preventDefault();
            navigate(links.state(key.trim(), height.trim() === '' ? undefined : Number(height)), {
              replace: false,
            });
          }}
        >
          <label className="grow">
            Key
            <input
              name="key"
              value={key}
              onChange={(e) => setKey(e.target.value)}
              placeholder="kv/hello, or 0x-hex bytes"
              autoComplete="off"
            />
          </label>
          <label>
            At height
            <input
              name="height"
              value={height}
              onChange={(e) => setHeight(e.target.value.replace(/[^0-9]/g, ''))}
              placeholder={status ? `head (${status.height})` : 'head'}
              inputMode="numeric"
              size={10}
            />
          </label>
          <button type="submit" className="button button-primary" disabled={key.trim() === ''}>
            Look up and verify
          </button>
        </form>
        <RecentKeys />
      </Card>

      {initialKey === '' ? (
        <Empty title="Type a key to look up">
          The node answers with the value, the block header whose state root commits to it, that block’s
          commit certificate and the trie nodes between the two. This page checks all of it.
        </Empty>
      ) : loaded.loading && !loaded.data ? (
        <Loading what="Fetching the value and its proof" />
      ) : loaded.error ? (
        <ErrorNotice error={loaded.error} title="The node could not answer" onRetry={loaded.reload} />
      ) : shown && report && loaded.data ? (
        <>
          <div className="grid-2">
            <Card
              title={
                <>
                  Value of <code>{keyLabel(shown.key)}</code>
                </>
              }
              testId="state-value"
            >
              <ValueView hex={shown.value} json={tampering === 'none' ? shown.valueJson : undefined} />
              <p className="muted small">
                At block <a href={links.block(shown.height)}>#{formatInteger(shown.height)}</a> · key{' '}
                <code className="break">{shown.key}</code>
              </p>
            </Card>
            <Card title="Try a dishonest node">
              <label className="small">
                Check the answer as if it came from
                <select
                  value={tampering}
                  onChange={(e) => setTampering(e.target.value as Tampering)}
                  name="tamper"
                >
                  {TAMPERINGS.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.label}
                    </option>
                  ))}
                </select>
              </label>
              <p className="small muted">
                The console alters its own copy of the answer and verifies it again. Every alteration is
                caught by one of the checks below.
              </p>
              {tampering !== 'none' ? (
                <Notice tone="warn">Showing an altered copy of the node’s answer.</Notice>
              ) : null}
            </Card>
          </div>
          <Card title="Proof, verified in this browser" testId="verification">
            <Verification answer={shown} report={report} validators={loaded.data.validators} />
          </Card>
        </>
      ) : null}
    </div>
  );
}
