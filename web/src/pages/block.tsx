/**
 * One block: its header (every root), the commit certificate with each
 * signer, and its transactions with their outcome.
 */
import type { BlockJson } from '../../../src/api/sdk.ts';
import {
  Badge,
  Card,
  Empty,
  ErrorNotice,
  Field,
  Fields,
  Hash,
  Loading,
  PageHeader,
} from '../components/ui.tsx';
import { formatInteger, formatTime, shortHash, timeAgo } from '../lib/format.ts';
import { useNames } from '../lib/membership.ts';
import { useNode } from '../lib/node.tsx';
import { links, navigate } from '../lib/router.tsx';
import { useAsync, useNow } from '../lib/use-async.ts';

const ROOTS = [
  ['transactionsRoot', 'Transactions root', 'trie of this block’s transactions'],
  ['receiptsRoot', 'Receipts root', 'trie of their receipts (outcome, events, gas)'],
  ['stateRoot', 'State root', 'world state after this block: state proofs end here'],
  ['provenanceRoot', 'Provenance root', 'provenance entries this block anchored, keyed by URI'],
  ['validatorSetHash', 'Validator set hash', 'the set whose quorum must sign this block'],
] as const;

export function BlockPage({ id }: { id: string }) {
  const { client, validators, status } = useNode();
  const nameOf = useNames();
  const now = useNow(5000);
  const isHeight = /^\d+$/.test(id);
  const state = useAsync<BlockJson>(() => client.block(isHeight ? Number(id) : id), [client, id]);

  if (state.loading && !state.data)
    return <Loading what={`Loading block ${isHeight ? `#${id}` : shortHash(id)}`} />;
  if (state.error || !state.data) {
    const notFound = (state.error as { code?: string } | undefined)?.code === 'BLOCK_NOT_FOUND';
    return (
      <div className="page">
        <PageHeader title={isHeight ? `Block #${id}` : 'Block'} />
        {notFound ? (
          <Empty title="No such block yet" action={<a href={links.explorer()}>Back to the latest blocks</a>}>
            {isHeight && status
              ? `The chain is at height ${formatInteger(status.height)}: this block has not been committed.`
              : 'No committed block has this hash on this chain.'}
          </Empty>
        ) : (
          <ErrorNotice error={state.error} title="Could not load the block" onRetry={state.reload} />
        )}
      </div>
    );
  }
  const { header, certificate, transactions, receipts } = state.data;
  const signed = new Set(certificate?.signatures.map((s) => s.validator) ?? []);
  const quorum = validators ? validators.length - Math.floor((validators.length - 1) / 3) : undefined;

  return (
    <div className="page" data-testid="block-page">
      <PageHeader
        title={<>Block #{formatInteger(header.height)}</>}
        subtitle={
          header.height === 0
            ? 'The genesis block: the chain’s starting state and first validator set.'
            : `Proposed by ${nameOf(header.proposer) ?? shortHash(header.proposer)} in view ${header.view}, committed ${timeAgo(header.timestampMs, now)}.`
        }
        actions={
          <div className="button-row">
            <button
              type="button"
              className="button button-quiet"
              disabled={header.height === 0}
              onClick={() => navigate(links.block(header.height - 1))}
            >
              ← #{header.height - 1 < 0 ? '' : header.height - 1}
            </button>
            <button
              type="button"
              className="button button-quiet"
              disabled={status !== undefined && header.height >= status.height}
              onClick={() => navigate(links.block(header.height + 1))}
            >
              #{header.height + 1} →
            </button>
          </div>
        }
      />
      <div className="grid-2">
        <Card title="Header">
          <Fields>
            <Field label="Hash">
              <Hash value={header.hash} full />
            </Field>
            <Field label="Height">{formatInteger(header.height)}</Field>
            <Field label="Parent">
              {header.height === 0 ? (
                <span className="muted">none (genesis)</span>
              ) : (
                <Hash value={header.parentHash} href={links.block(header.height - 1)} />
              )}
            </Field>
            <Field label="Time">
              {formatTime(header.timestampMs)} ({timeAgo(header.timestampMs, now)})
            </Field>
            <Field label="Proposer">
              {header.height === 0 ? (
                <span className="muted">none</span>
              ) : (
                <>
                  <a href={links.account(header.proposer)}>
                    {nameOf(header.proposer) ?? shortHash(header.proposer)}
                  </a>{' '}
                  <Hash value={header.proposer} />
                </>
              )}
            </Field>
            <Field label="View">{header.view}</Field>
            <Field label="Chain">{header.chainId}</Field>
          </Fields>
        </Card>
        <Card
          title="Roots"
          actions={<a href={links.state(undefined, header.height)}>Prove a state key at this height →</a>}
        >
          <Fields>
            {ROOTS.map(([field, label, help]) => (
              <Field key={field} label={label} title={help}>
                <span className="root-value">
                  <Hash value={header[field]} full />
                  <span className="muted small">{help}</span>
                </span>
              </Field>
            ))}
          </Fields>
        </Card>
      </div>

      <Card
        title="Commit certificate"
        testId="certificate"
        actions={
          certificate ? (
            <span className="muted">
              {certificate.signatures.length} of {validators?.length ?? '?'} validators signed
              {quorum ? ` (quorum ${quorum})` : ''}
            </span>
          ) : null
        }
      >
        {certificate === null ? (
          <Empty title="Genesis has no certificate">
            Block 0 is fixed by the genesis file every validator starts from; light clients trust its hash.
          </Empty>
        ) : (
          <>
            <p className="muted small">
              Each signer signed COMMIT for (chain {header.chainId}, view {certificate.view}, height{' '}
              {certificate.height}, header hash {shortHash(certificate.headerHash)}). Two conflicting blocks
              cannot both gather a quorum.{' '}
              <a href={links.state('kv/', header.height)}>Verify it in the browser</a> with a state proof at
              this height.
            </p>
            <table className="table">
              <thead>
                <tr>
                  <th>Validator</th>
                  <th>Public key</th>
                  <th>Signature</th>
                </tr>
              </thead>
              <tbody>
                {(
                  validators ??
                  certificate.signatures.map((s) => ({ publicKey: s.validator, name: undefined }))
                ).map((v) => {
                  const signature = certificate.signatures.find((s) => s.validator === v.publicKey);
                  return (
                    <tr key={v.publicKey} data-testid="signer-row" className={signature ? '' : 'row-muted'}>
                      <td>
                        <a href={links.account(v.publicKey)}>
                          {v.name ?? nameOf(v.publicKey) ?? shortHash(v.publicKey)}
                        </a>{' '}
                        {signed.has(v.publicKey) ? (
                          <Badge tone="good">signed</Badge>
                        ) : (
                          <Badge>not in certificate</Badge>
                        )}
                      </td>
                      <td>
                        <Hash value={v.publicKey} />
                      </td>
                      <td>
                        {signature ? (
                          <Hash value={signature.signature} head={10} />
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        )}
      </Card>

      <Card title={`Transactions (${transactions.length})`} testId="block-txs">
        {transactions.length === 0 ? (
          <Empty title="No transactions">
            {header.height === 0
              ? 'The genesis block carries the initial state only.'
              : 'This block commits no transactions.'}
          </Empty>
        ) : (
          <table className="table table-click">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Hash</th>
                <th>Kind</th>
                <th>Sender</th>
                <th className="num">Nonce</th>
                <th>Outcome</th>
                <th className="num">Events</th>
              </tr>
            </thead>
            <tbody>
              {transactions.map((tx, i) => {
                const receipt = receipts[i];
                return (
                  <tr key={tx.hash} onClick={() => navigate(links.tx(tx.hash))}>
                    <td className="num muted">{i}</td>
                    <td>
                      <a href={links.tx(tx.hash)} className="mono">
                        {shortHash(tx.hash)}
                      </a>
                    </td>
                    <td>
                      <Badge tone="info">{tx.kind}</Badge>
                    </td>
                    <td>
                      <a href={links.account(tx.sender)}>{nameOf(tx.sender) ?? shortHash(tx.sender)}</a>
                    </td>
                    <td className="num">{tx.nonce}</td>
                    <td>
                      {receipt?.status === 'ok' ? (
                        <Badge tone="good">ok</Badge>
                      ) : (
                        <Badge tone="bad" title={receipt?.errorMessage}>
                          {receipt?.errorCode ?? 'error'}
                        </Badge>
                      )}
                    </td>
                    <td className="num">{receipt?.events.length ?? 0}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
