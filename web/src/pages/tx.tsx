/**
 * One transaction: where it is (pending, committed, unknown), who sent it, its
 * kind and decoded payload, and its receipt with every event. A pending one
 * updates by itself when it commits (a `tx` subscription).
 */
import { useEffect, useState } from 'react';
import type { TxStatusJson } from '../../../src/api/sdk.ts';
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
  PageHeader,
} from '../components/ui.tsx';
import { decodeHexPayload, formatInteger, shortHash } from '../lib/format.ts';
import { useNames } from '../lib/membership.ts';
import { useNode } from '../lib/node.tsx';
import { links } from '../lib/router.tsx';
import { useAsync } from '../lib/use-async.ts';

function Payload({ hex, json }: { hex: string; json: unknown }) {
  const decoded = decodeHexPayload(hex);
  if (json !== undefined) return <JsonBlock value={json} />;
  switch (decoded.kind) {
    case 'empty':
      return <span className="muted">empty</span>;
    case 'json':
      return <JsonBlock value={decoded.value} />;
    case 'text':
      return <pre className="json">{decoded.value}</pre>;
    default:
      return (
        <pre className="json break">
          {decoded.value} <span className="muted">({decoded.bytes} bytes)</span>
        </pre>
      );
  }
}

/** Links to the console pages a value in a payload or event points at (dataset URIs, keys). */
function relatedLinks(value: unknown): { label: string; href: string }[] {
  const out: { label: string; href: string }[] = [];
  const seen = new Set<string>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 4 || out.length >= 8) return;
    if (typeof v === 'string') {
      if (seen.has(v)) return;
      if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(v) || /^urn:/i.test(v)) {
        seen.add(v);
        out.push({ label: `provenance of ${v}`, href: links.provenance(v) });
      } else if (/^0x[0-9a-fA-F]{64}$/.test(v)) {
        seen.add(v);
        out.push({ label: `account ${shortHash(v)}`, href: links.account(v) });
      }
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x, depth + 1);
    } else if (v && typeof v === 'object') {
      for (const x of Object.values(v)) visit(x, depth + 1);
    }
  };
  visit(value, 0);
  return out;
}

/** State keys a transaction's events name (`{ key }` in a module's event is `<module>/<key>` in the state). */
function stateKeys(events: readonly { module: string; data: unknown }[]): string[] {
  const keys = new Set<string>();
  for (const event of events) {
    const key = (event.data as { key?: unknown } | null)?.key;
    if (typeof key === 'string') keys.add(`${event.module}/${key}`);
  }
  return [...keys].slice(0, 8);
}

export function TxPage({ hash }: { hash: string }) {
  const { client } = useNode();
  const nameOf = useNames();
  const valid = /^0x[0-9a-fA-F]{64}$/.test(hash);
  const state = useAsync<TxStatusJson | undefined>(
    () => (valid ? client.txStatus(hash) : Promise.resolve(undefined)),
    [client, hash],
  );
  const [committed, setCommitted] = useState<TxStatusJson>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: start over when this changes
  useEffect(() => {
    setCommitted(undefined);
  }, [hash]);
  useEffect(() => {
    if (state.data?.status !== 'pending') return;
    return client.subscribe('tx', { hash }, setCommitted);
  }, [client, hash, state.data?.status]);

  if (!valid) {
    return (
      <div className="page">
        <PageHeader title="Transaction" />
        <Empty title="That is not a transaction hash">
          A transaction hash is 0x followed by 64 hex digits.
        </Empty>
      </div>
    );
  }
  if (state.loading && !state.data) return <Loading what={`Looking up ${shortHash(hash)}`} />;
  if (state.error)
    return <ErrorNotice error={state.error} title="Could not load the transaction" onRetry={state.reload} />;
  const tx = committed ?? state.data;
  if (!tx || tx.status === 'unknown') {
    return (
      <div className="page">
        <PageHeader title="Transaction" subtitle={<Hash value={hash} full />} />
        <Empty
          title="This node does not know this transaction"
          action={<a href={links.explorer()}>Latest blocks</a>}
        >
          It is neither committed nor waiting in this node’s mempool. If you just sent it to another node,
          give it a moment: transactions are gossiped to every validator.
        </Empty>
      </div>
    );
  }
  const { transaction, receipt } = tx;
  const links_ = [
    ...stateKeys(receipt?.events ?? []).map((key) => ({
      label: `state ${key}, with its proof`,
      href: links.state(key),
    })),
    ...relatedLinks([transaction?.payloadJson, receipt?.events, receipt?.result]),
  ];

  return (
    <div className="page" data-testid="tx-page">
      <PageHeader
        title={
          <>
            Transaction{' '}
            {tx.status === 'pending' ? (
              <Badge tone="warn">pending</Badge>
            ) : receipt?.status === 'ok' ? (
              <Badge tone="good">committed · ok</Badge>
            ) : (
              <Badge tone="bad">committed · failed</Badge>
            )}
          </>
        }
        subtitle={<Hash value={tx.hash} full />}
      />
      {tx.status === 'pending' ? (
        <div className="notice notice-warn">
          Waiting in the mempool: this page updates by itself when a block commits it.
        </div>
      ) : null}
      <div className="grid-2">
        <Card title="Transaction">
          <Fields>
            {transaction ? (
              <>
                <Field label="Kind">
                  <Badge tone="info">{transaction.kind}</Badge>
                </Field>
                <Field label="Sender">
                  <a href={links.account(transaction.sender)}>{nameOf(transaction.sender) ?? 'account'}</a>{' '}
                  <Hash value={transaction.sender} href={links.account(transaction.sender)} />
                </Field>
                <Field label="Nonce">{transaction.nonce}</Field>
              </>
            ) : null}
            {tx.height !== undefined ? (
              <Field label="Block">
                <a href={links.block(tx.height)}>#{formatInteger(tx.height)}</a>
                {tx.index !== undefined ? <span className="muted"> · position {tx.index}</span> : null}
              </Field>
            ) : null}
            {tx.blockHash !== undefined ? (
              <Field label="Block hash">
                <Hash value={tx.blockHash} href={links.block(tx.blockHash)} />
              </Field>
            ) : null}
            {transaction ? (
              <>
                <Field label="Chain">{transaction.chainId}</Field>
                <Field label="Signature">
                  <Hash value={transaction.signature} head={12} />
                </Field>
              </>
            ) : null}
          </Fields>
        </Card>
        <Card title="Receipt" testId="receipt">
          {receipt ? (
            <Fields>
              <Field label="Outcome">
                {receipt.status === 'ok' ? (
                  <Badge tone="good">ok</Badge>
                ) : (
                  <>
                    <Badge tone="bad">{receipt.errorCode ?? 'error'}</Badge> {receipt.errorMessage}
                  </>
                )}
              </Field>
              <Field label="Gas used">{formatInteger(receipt.gasUsed)}</Field>
              {receipt.result !== undefined ? (
                <Field label="Result">
                  <JsonBlock value={receipt.result} />
                </Field>
              ) : null}
            </Fields>
          ) : (
            <Empty title="No receipt yet">The receipt is written when the transaction’s block commits.</Empty>
          )}
        </Card>
      </div>
      {transaction ? (
        <Card
          title="Payload"
          actions={<span className="muted">{decodeHexPayload(transaction.payload).bytes} bytes</span>}
        >
          <Payload hex={transaction.payload} json={transaction.payloadJson} />
        </Card>
      ) : null}
      {receipt ? (
        <Card title={`Events (${receipt.events.length})`} testId="events">
          {receipt.events.length === 0 ? (
            <Empty title="No events">This transaction emitted no module events.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Module</th>
                  <th>Event</th>
                  <th>Data</th>
                </tr>
              </thead>
              <tbody>
                {receipt.events.map((event, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: events are positional
                  <tr key={i}>
                    <td>
                      <Badge>{event.module}</Badge>
                    </td>
                    <td>{event.name}</td>
                    <td>
                      <JsonBlock value={event.data} maxHeight={220} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      ) : null}
      {links_.length > 0 ? (
        <Card title="Related">
          <ul className="list">
            {links_.map((l) => (
              <li key={l.href}>
                <a href={l.href}>{l.label}</a>
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
    </div>
  );
}
