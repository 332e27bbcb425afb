/**
 * The explorer's front page: blocks as they commit (over the WebSocket), the
 * transactions in them, older blocks on demand, and the state lookup.
 */
import { useEffect, useMemo, useState } from 'react';
import type { BlockJson, BlockSummaryJson } from '../../../src/api/sdk.ts';
import { Badge, Card, Empty, ErrorNotice, Hash, Loading, PageHeader } from '../components/ui.tsx';
import { formatClock, formatInteger, shortHash, timeAgo } from '../lib/format.ts';
import { useNames } from '../lib/membership.ts';
import { useNode } from '../lib/node.tsx';
import { links, navigate } from '../lib/router.tsx';
import { useNow } from '../lib/use-async.ts';

const PAGE = 25;
/** Blocks whose transactions the "latest transactions" panel fetches. */
const TX_BLOCKS = 8;

function useRecentTransactions(heads: readonly BlockSummaryJson[]) {
  const { client } = useNode();
  const [blocks, setBlocks] = useState<ReadonlyMap<number, BlockJson>>(new Map());
  const wanted = useMemo(
    () =>
      heads
        .filter((h) => h.txCount > 0)
        .slice(0, TX_BLOCKS)
        .map((h) => h.height),
    [heads],
  );
  const wantedKey = wanted.join(',');
  // biome-ignore lint/correctness/useExhaustiveDependencies: wantedKey stands for wanted
  useEffect(() => {
    let alive = true;
    for (const height of wanted) {
      if (blocks.has(height)) continue;
      client.block(height).then(
        (block) =>
          alive &&
          setBlocks((current) => {
            const next = new Map(current);
            next.set(height, block);
            for (const h of next.keys()) if (!wanted.includes(h) && next.size > TX_BLOCKS * 2) next.delete(h);
            return next;
          }),
        () => {},
      );
    }
    return () => {
      alive = false;
    };
  }, [client, wantedKey]);
  return wanted.flatMap((h) => {
    const block = blocks.get(h);
    return block
      ? block.transactions.map((tx, i) => ({
          tx,
          receipt: block.receipts[i],
          height: h,
          time: block.header.timestampMs,
        }))
      : [];
  });
}

export function ExplorerPage() {
  const { heads, client, status } = useNode();
  const nameOf = useNames();
  const now = useNow(1000);
  const [older, setOlder] = useState<BlockSummaryJson[]>([]);
  const [olderError, setOlderError] = useState<unknown>();
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [seen] = useState(() => new Set<number>());
  const txs = useRecentTransactions(heads);

  // biome-ignore lint/correctness/useExhaustiveDependencies: start over when this changes
  useEffect(() => {
    setOlder([]);
  }, [client]);

  const rows = useMemo(() => {
    const byHeight = new Map<number, BlockSummaryJson>();
    for (const b of [...heads.slice(0, PAGE), ...older]) byHeight.set(b.height, b);
    return [...byHeight.values()].sort((a, b) => b.height - a.height);
  }, [heads, older]);
  const lowest = rows[rows.length - 1]?.height;
  const fresh = new Set(rows.filter((r) => !seen.has(r.height)).map((r) => r.height));
  useEffect(() => {
    for (const r of rows) seen.add(r.height);
  });

  const loadOlder = () => {
    if (lowest === undefined || lowest === 0) return;
    setLoadingOlder(true);
    client.recentBlocks(PAGE, lowest).then(
      (blocks) => {
        setOlder((current) => [...current, ...blocks]);
        setLoadingOlder(false);
      },
      (error: unknown) => {
        setOlderError(error);
        setLoadingOlder(false);
      },
    );
  };

  return (
    <div className="page">
      <PageHeader
        title="Explorer"
        subtitle="Blocks appear here the moment the validators commit them. Click a block or transaction for every detail."
        actions={
          <a className="button" href={links.state()}>
            Look up state with a proof
          </a>
        }
      />
      <div className="grid-2 grid-wide-left">
        <Card
          title="Latest blocks"
          testId="latest-blocks"
          actions={status ? <span className="muted">head #{formatInteger(status.height)}</span> : null}
        >
          {rows.length === 0 ? (
            status ? (
              <Empty title="Only the genesis block so far">
                Blocks are cut when there are transactions to commit. Send one (
                <code>meridian tx send kv.put '{'{"key":"hello","value":"world"}'}'</code>) and it appears
                here without reloading.
              </Empty>
            ) : (
              <Loading what="Loading blocks" />
            )
          ) : (
            <table className="table table-click">
              <thead>
                <tr>
                  <th>Height</th>
                  <th>Hash</th>
                  <th>Proposer</th>
                  <th className="num">View</th>
                  <th className="num">Txs</th>
                  <th>Time</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((b) => (
                  <tr
                    key={b.height}
                    className={fresh.has(b.height) ? 'row-new' : ''}
                    data-testid="block-row"
                    data-height={b.height}
                    onClick={() => navigate(links.block(b.height))}
                  >
                    <td>
                      <a href={links.block(b.height)}>#{formatInteger(b.height)}</a>
                    </td>
                    <td>
                      <Hash value={b.hash} copy={false} />
                    </td>
                    <td>
                      {b.height === 0 ? (
                        <span className="muted">genesis</span>
                      ) : (
                        (nameOf(b.proposer) ?? shortHash(b.proposer))
                      )}
                    </td>
                    <td className="num">{b.view}</td>
                    <td className="num">{b.txCount}</td>
                    <td title={formatClock(b.timestampMs)}>{timeAgo(b.timestampMs, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {olderError ? <ErrorNotice error={olderError} title="Could not load older blocks" /> : null}
          {lowest !== undefined && lowest > 0 ? (
            <button type="button" className="button button-quiet" onClick={loadOlder} disabled={loadingOlder}>
              {loadingOlder ? 'Loading…' : `Older blocks (below #${lowest})`}
            </button>
          ) : null}
        </Card>
        <Card title="Latest transactions" testId="latest-txs">
          {txs.length === 0 ? (
            <Empty title="No transactions in the latest blocks">
              Transactions show here with their kind, sender and outcome as soon as their block commits.
            </Empty>
          ) : (
            <ul className="tx-list">
              {txs.slice(0, 20).map(({ tx, receipt, height, time }) => (
                <li key={tx.hash}>
                  <div>
                    <a href={links.tx(tx.hash)} className="mono">
                      {shortHash(tx.hash)}
                    </a>{' '}
                    <Badge tone="info">{tx.kind}</Badge>{' '}
                    {receipt?.status === 'error' ? <Badge tone="bad">failed</Badge> : null}
                  </div>
                  <div className="muted small">
                    block <a href={links.block(height)}>#{height}</a> · from{' '}
                    <a href={links.account(tx.sender)}>{nameOf(tx.sender) ?? shortHash(tx.sender)}</a> ·{' '}
                    {timeAgo(time, now)}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </div>
  );
}
