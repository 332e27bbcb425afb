/**
 * Network health: the validators (organisation, online, primary, last commit),
 * the consensus view and height, and live charts of throughput and commit
 * latency with view changes marked. Heads and view changes come over the
 * WebSocket; latency comes from the node's /metrics histogram, sampled every
 * few seconds (the mean and p95 of what committed in each interval).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { PeerInfoJson, ViewChangeNotificationJson } from '../../../src/api/sdk.ts';
import { type Marker, type Point, TimeChart } from '../components/chart.tsx';
import { Badge, Card, Dot, Empty, ErrorNotice, Hash, Loading, PageHeader, Stat } from '../components/ui.tsx';
import {
  formatBytes,
  formatClock,
  formatInteger,
  formatRate,
  formatSeconds,
  shortHash,
  timeAgo,
} from '../lib/format.ts';
import { useNames, useOrganizationDirectory } from '../lib/membership.ts';
import {
  type Histogram,
  histogramDelta,
  histogramMean,
  histogramQuantile,
  metricValue,
  parsePrometheusText,
  readHistogram,
} from '../lib/metrics.ts';
import { useNode } from '../lib/node.tsx';
import { links } from '../lib/router.tsx';
import { useInterval, useNow } from '../lib/use-async.ts';

/** The charts show at most the last five minutes, and at least one, growing from when the page opened. */
const WINDOW_MS = 5 * 60_000;
const MIN_WINDOW_MS = 60_000;
const METRICS_POLL_MS = 2_000;
const THROUGHPUT_BIN_MS = 2_000;

interface MetricsSample {
  readonly t: number;
  readonly nodeTps: number | undefined;
  readonly latencyMean: number | undefined;
  readonly latencyP95: number | undefined;
  readonly viewChangesTotal: number | undefined;
}

function useMetricsSamples(): { samples: readonly MetricsSample[]; error: unknown } {
  const { baseUrl } = useNode();
  const [samples, setSamples] = useState<MetricsSample[]>([]);
  const [error, setError] = useState<unknown>();
  const previous = useRef<Histogram | undefined>(undefined);
  // biome-ignore lint/correctness/useExhaustiveDependencies: start over when this changes
  useEffect(() => {
    setSamples([]);
    previous.current = undefined;
  }, [baseUrl]);
  useInterval(() => {
    const t = Date.now();
    fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })
      .then((response) => {
        if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
        return response.text();
      })
      .then((text) => {
        const parsed = parsePrometheusText(text);
        const latency = readHistogram(parsed, 'meridian_commit_latency_seconds');
        const delta = latency && previous.current ? histogramDelta(previous.current, latency) : undefined;
        previous.current = latency;
        const sample: MetricsSample = {
          t,
          nodeTps: metricValue(parsed, 'meridian_txs_per_second'),
          latencyMean: delta ? histogramMean(delta) : undefined,
          latencyP95: delta ? histogramQuantile(delta, 0.95) : undefined,
          viewChangesTotal: metricValue(parsed, 'meridian_view_changes_total'),
        };
        setError(undefined);
        setSamples((current) => [...current.filter((s) => s.t >= t - WINDOW_MS), sample]);
      })
      .catch(setError);
  }, METRICS_POLL_MS);
  return { samples, error };
}

function useViewChanges(): readonly ViewChangeNotificationJson[] {
  const { client } = useNode();
  const [changes, setChanges] = useState<ViewChangeNotificationJson[]>([]);
  useEffect(() => {
    setChanges([]);
    return client.subscribe('viewChanges', {}, (change) =>
      setChanges((current) => [...current.slice(-49), change]),
    );
  }, [client]);
  return changes;
}

function usePeers(): readonly PeerInfoJson[] | undefined {
  const { client } = useNode();
  const [peers, setPeers] = useState<PeerInfoJson[]>();
  useInterval(() => {
    client.peers().then(setPeers, () => {});
  }, 5_000);
  return peers;
}

export function NetworkPage() {
  const { status, validators, heads, statusError } = useNode();
  const now = useNow(1000);
  const { samples, error: metricsError } = useMetricsSamples();
  const [openedAtMs] = useState(() => Date.now());
  const windowMs = Math.min(WINDOW_MS, Math.max(MIN_WINDOW_MS, now - openedAtMs + 10_000));
  const viewChanges = useViewChanges();
  const peers = usePeers();
  const nameOf = useNames();
  const directory = useOrganizationDirectory();

  const throughput = useMemo(() => {
    const start = now - windowMs;
    const bins = new Map<number, number>();
    for (const head of heads) {
      if (head.timestampMs < start) continue;
      const bin = Math.floor(head.timestampMs / THROUGHPUT_BIN_MS) * THROUGHPUT_BIN_MS;
      bins.set(bin, (bins.get(bin) ?? 0) + head.txCount);
    }
    const points: Point[] = [];
    const firstBin = Math.floor(start / THROUGHPUT_BIN_MS) * THROUGHPUT_BIN_MS;
    for (let bin = firstBin; bin <= now; bin += THROUGHPUT_BIN_MS) {
      points.push({ t: bin + THROUGHPUT_BIN_MS / 2, v: (bins.get(bin) ?? 0) / (THROUGHPUT_BIN_MS / 1000) });
    }
    return points;
  }, [heads, now, windowMs]);

  const markers: Marker[] = viewChanges.map((c) => ({ t: c.atMs, label: `view ${c.view}` }));
  const latest = heads[0];
  const latestSample = samples[samples.length - 1];
  const online = validators?.filter((v) => v.connected).length;
  const primaryName = status ? (nameOf(status.primary) ?? shortHash(status.primary)) : undefined;
  const showLastCommit = validators?.some((v) => v.lastCommitHeight !== undefined) ?? false;
  const recentTps = throughput.slice(-5).reduce((sum, p) => sum + p.v, 0) / 5;

  if (!status && !statusError) return <Loading what="Connecting to the node" />;

  return (
    <div className="page">
      <PageHeader
        title="Network"
        subtitle="The validators that run this chain, the consensus they are in, and how fast it commits — live."
      />
      <div className="stats" data-testid="network-stats">
        <Stat
          label="Height"
          testId="stat-height"
          value={status ? <a href={links.block(status.height)}>{formatInteger(status.height)}</a> : '—'}
          detail={
            latest && status && latest.height === status.height
              ? `committed ${timeAgo(latest.timestampMs, now)}`
              : status
                ? `head at ${formatClock(status.headTimestampMs)}`
                : undefined
          }
        />
        <Stat
          label="View"
          value={status ? formatInteger(status.view) : '—'}
          detail={primaryName ? <>primary: {primaryName}</> : undefined}
        />
        <Stat
          label="Validators online"
          value={validators ? `${online} / ${validators.length}` : '—'}
          detail={
            validators
              ? `quorum ${validators.length - Math.floor((validators.length - 1) / 3)} · tolerates ${Math.floor((validators.length - 1) / 3)} faulty`
              : undefined
          }
        />
        <Stat
          label="Throughput"
          value={`${formatRate(latestSample?.nodeTps ?? recentTps)} tx/s`}
          detail="10 s average on this node"
        />
        <Stat
          label="Commit latency"
          value={latestSample?.latencyMean !== undefined ? formatSeconds(latestSample.latencyMean) : '—'}
          detail={
            latestSample?.latencyMean !== undefined ? 'mean, last 2 s' : 'no transactions in the last 2 s'
          }
        />
        <Stat
          label="Mempool"
          value={status ? formatInteger(status.mempool.count) : '—'}
          detail={status ? formatBytes(status.mempool.bytes) : undefined}
        />
      </div>

      <Card
        title="Validators"
        testId="validators"
        actions={
          status ? (
            <span className="muted">
              as seen by {status.nodeName} · {status.peersConnected} peer session
              {status.peersConnected === 1 ? '' : 's'}
            </span>
          ) : null
        }
      >
        {validators === undefined ? (
          <Loading what="Loading validators" />
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th>#</th>
                <th>Validator</th>
                <th>Organisation</th>
                <th>Public key</th>
                <th>State</th>
                <th>Role</th>
                {showLastCommit ? <th className="num">Last commit</th> : null}
                <th>Peer link</th>
              </tr>
            </thead>
            <tbody>
              {validators.map((v) => {
                const peer = peers?.find((p) => p.publicKey === v.publicKey);
                const isSelf = status?.nodeKey === v.publicKey;
                const org = directory.organizationOf(v.publicKey);
                return (
                  <tr key={v.publicKey} data-testid="validator-row">
                    <td className="muted">{v.index}</td>
                    <td>
                      <a href={links.account(v.publicKey)}>{v.name}</a>
                      {isSelf ? (
                        <>
                          {' '}
                          <Badge tone="info" title="the node this console is talking to">
                            this node
                          </Badge>
                        </>
                      ) : null}
                    </td>
                    <td>
                      {org ? (
                        <a href={links.organization(org.id)}>{org.name}</a>
                      ) : (
                        <span className="muted" title={directory.reason}>
                          {directory.available ? 'not a member' : v.name}
                        </span>
                      )}
                    </td>
                    <td>
                      <Hash value={v.publicKey} href={links.account(v.publicKey)} />
                    </td>
                    <td>
                      {v.connected ? <Dot tone="good" label="online" /> : <Dot tone="bad" label="offline" />}
                    </td>
                    <td>
                      {v.isPrimary ? (
                        <Badge tone="accent">primary</Badge>
                      ) : (
                        <span className="muted">backup</span>
                      )}
                    </td>
                    {showLastCommit ? (
                      <td className="num">
                        {v.lastCommitHeight !== undefined ? (
                          <a href={links.block(v.lastCommitHeight)}>#{formatInteger(v.lastCommitHeight)}</a>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    ) : null}
                    <td className="small">
                      {isSelf ? (
                        <span className="muted">—</span>
                      ) : peer ? (
                        <span title={`queue ${peer.queueDepth}`}>
                          {peer.address} · ↓{formatBytes(peer.bytesIn)} ↑{formatBytes(peer.bytesOut)}
                          {peer.lastSeenMs ? ` · seen ${timeAgo(peer.lastSeenMs, now)}` : ''}
                        </span>
                      ) : (
                        <span className="muted">no session</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {directory.available ? null : (
          <p className="muted small">
            Organisations come from the membership module; {directory.reason ?? 'it is not on this chain yet'}
            . Until then each validator is shown by its configured name.
          </p>
        )}
      </Card>

      <div className="grid-2">
        <Card title="Throughput" testId="throughput-chart">
          <TimeChart
            nowMs={now}
            windowMs={windowMs}
            formatValue={(v) => formatRate(v)}
            markers={markers}
            series={[
              { name: 'tx/s in committed blocks (2 s bins)', color: '#0e7490', points: throughput },
              {
                name: 'node’s 10 s average',
                color: '#94a3b8',
                dashed: true,
                points: samples
                  .filter((s) => s.nodeTps !== undefined)
                  .map((s) => ({ t: s.t, v: s.nodeTps! })),
              },
            ]}
          />
        </Card>
        <Card title="Commit latency" testId="latency-chart">
          <TimeChart
            nowMs={now}
            windowMs={windowMs}
            formatValue={(v) => formatSeconds(v)}
            markers={markers}
            emptyText="no transactions committed while this page was open"
            series={[
              {
                name: 'mean',
                color: '#7c3aed',
                dots: true,
                points: samples
                  .filter((s) => s.latencyMean !== undefined)
                  .map((s) => ({ t: s.t, v: s.latencyMean! })),
              },
              {
                name: 'p95',
                color: '#f59e0b',
                dots: true,
                points: samples
                  .filter((s) => s.latencyP95 !== undefined)
                  .map((s) => ({ t: s.t, v: s.latencyP95! })),
              },
            ]}
          />
        </Card>
      </div>
      {metricsError ? <ErrorNotice title="Cannot read /metrics" error={metricsError} /> : null}

      <div className="grid-2">
        <Card title="View changes" testId="view-changes">
          {viewChanges.length === 0 ? (
            <Empty title="No view change since this page opened">
              A view change replaces an unresponsive or misbehaving primary. Stop the primary’s process to see
              one: the chart marks it and it appears here.
              {latestSample?.viewChangesTotal !== undefined
                ? ` This node has installed ${latestSample.viewChangesTotal} new view${latestSample.viewChangesTotal === 1 ? '' : 's'} since it started.`
                : ''}
            </Empty>
          ) : (
            <ul className="list">
              {[...viewChanges].reverse().map((c) => (
                <li key={`${c.view}-${c.atMs}`}>
                  <strong>view {c.view}</strong> · primary {nameOf(c.primary) ?? shortHash(c.primary)} ·{' '}
                  <span className="muted">{formatClock(c.atMs)}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title="Latest blocks" actions={<a href={links.explorer()}>Explorer →</a>}>
          {heads.length === 0 ? (
            <Empty title="No blocks yet">
              Blocks are cut when there are transactions. Send one with{' '}
              <code>meridian tx send kv.put '{'{"key":"hello","value":"world"}'}'</code>.
            </Empty>
          ) : (
            <ul className="list">
              {heads.slice(0, 6).map((h) => (
                <li key={h.height}>
                  <a href={links.block(h.height)}>#{formatInteger(h.height)}</a> · {h.txCount} tx ·{' '}
                  {h.height === 0 ? 'genesis' : (nameOf(h.proposer) ?? shortHash(h.proposer))} ·{' '}
                  <span className="muted">{timeAgo(h.timestampMs, now)}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </div>
  );
}
