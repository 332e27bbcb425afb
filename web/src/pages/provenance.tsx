/**
 * The provenance browser: search a dataset (or any entity) by URI, see its
 * PROV graph at the three granularities (dataset → features → attributes,
 * with the activities and agents), verify it in the browser, and see the
 * merge's sources on a map. Everything through the public provenance API.
 */
import { useState } from 'react';
import type { RecordSummaryJson } from '../../../src/api/sdk.ts';
import { ProvGraphView, ProvLegend } from '../components/prov-graph.tsx';
import { VerifyPanel } from '../components/prov-verify.tsx';
import { SourcesMap } from '../components/sources-map.tsx';
import {
  Badge,
  Card,
  Empty,
  ErrorNotice,
  errorCode,
  Field,
  Fields,
  Hash,
  JsonBlock,
  Loading,
  PageHeader,
  Tabs,
} from '../components/ui.tsx';
import { formatInteger } from '../lib/format.ts';
import { useNode } from '../lib/node.tsx';
import {
  attributeText,
  type LineageStep,
  lineageGraph,
  type ProvEntry,
  parentOf,
  uriLabel,
} from '../lib/provenance.ts';
import { links, navigate } from '../lib/router.tsx';
import { useAsync } from '../lib/use-async.ts';

type Granularity = 'dataset' | 'feature' | 'attribute';

/** Features listed under a dataset, attributes under a feature (the graph shows one at a time). */
const MAX_CHILDREN = 200;

function SearchForm({ initial }: { initial: string }) {
  const [text, setText] = useState(initial);
  return (
    <form
      className="form-row"
      onSubmit={(event) => {
        event.preventDefault();
        if (text.trim() !== '') navigate(links.provenance(text.trim()));
      }}
    >
      <label className="grow">
        Dataset, feature or attribute URI
        <input
          name="uri"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="https://data.example.org/…"
          autoComplete="off"
        />
      </label>
      <button type="submit" className="button button-primary" disabled={text.trim() === ''}>
        Show provenance
      </button>
    </form>
  );
}

function Home() {
  const { provenance } = useNode();
  const datasets = useAsync(() => provenance.search({ granularity: 'dataset', limit: 200 }), [provenance]);
  return (
    <div className="page" data-testid="provenance-page">
      <PageHeader
        title="Provenance"
        subtitle="Where a dataset came from — down to each feature and attribute — and a proof you check in this browser."
      />
      <Card>
        <SearchForm initial="" />
      </Card>
      <Card title="Datasets with provenance on this node" testId="datasets">
        {datasets.error ? (
          errorCode(datasets.error) === 'HTTP_404' ? (
            <Empty title="This node has no provenance API">
              The node is older than the provenance module: upgrade it.
            </Empty>
          ) : (
            <ErrorNotice error={datasets.error} onRetry={datasets.reload} />
          )
        ) : !datasets.data ? (
          <Loading what="Loading datasets" />
        ) : datasets.data.length === 0 ? (
          <Empty title="No provenance recorded yet">
            Capture and publish some: <code>npm run example:provenance</code> runs the worked example (two
            building datasets and their merge) on its own devnet; <code>meridian prov anchor</code> publishes
            your own records to this one.
          </Empty>
        ) : (
          <DatasetTable rows={datasets.data} />
        )}
      </Card>
    </div>
  );
}

function DatasetTable({ rows }: { rows: readonly RecordSummaryJson[] }) {
  return (
    <table className="table table-click">
      <thead>
        <tr>
          <th>Dataset</th>
          <th>URI</th>
          <th className="num">Version</th>
          <th>Time</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr
            key={`${r.uri}-${r.version}`}
            data-testid="dataset-row"
            onClick={() => navigate(links.provenance(r.uri))}
          >
            <td>
              <a href={links.provenance(r.uri)}>{uriLabel(r.uri)}</a>
            </td>
            <td className="mono small">{r.uri}</td>
            <td className="num">{r.version}</td>
            <td>{r.time ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The dataset, feature and attribute a URI sits at (from its record's kind and `partOf` chain). */
function levels(
  entry: ProvEntry | undefined,
  uri: string,
): { dataset?: string; feature?: string; attribute?: string } {
  if (entry?.kind !== 'entity') return {};
  if (entry.granularity === 'dataset') return { dataset: uri };
  if (entry.granularity === 'feature')
    return { dataset: entry.partOf ?? parentOf(uri) ?? undefined, feature: uri };
  const feature = entry.partOf ?? parentOf(uri) ?? undefined;
  return { dataset: feature ? (parentOf(feature) ?? undefined) : undefined, feature, attribute: uri };
}

function Children({ dataset, feature, current }: { dataset: string; feature?: string; current: string }) {
  const { provenance } = useNode();
  const children = useAsync(
    () =>
      feature
        ? provenance
            .search({ dataset, granularity: 'attribute', after: { uri: feature, version: 0 }, limit: 60 })
            .then((rows) => rows.filter((r) => r.uri.startsWith(`${feature}/`)))
        : provenance.search({ dataset, granularity: 'feature', limit: MAX_CHILDREN }),
    [provenance, dataset, feature],
  );
  if (children.error) return <ErrorNotice error={children.error} />;
  if (!children.data) return <Loading what={feature ? 'Loading attributes' : 'Loading features'} />;
  if (children.data.length === 0)
    return <p className="muted small">No {feature ? 'attributes' : 'features'} recorded.</p>;
  return (
    <div data-testid="prov-children">
      <div className="small muted">
        {feature
          ? 'Attributes of this feature'
          : `Features of this dataset${children.data.length >= MAX_CHILDREN ? ` (first ${MAX_CHILDREN})` : ''}`}
        :
      </div>
      <div className="chips">
        {children.data.map((c) => (
          <a
            key={c.uri}
            href={links.provenance(c.uri)}
            className={`chip ${c.uri === current ? 'chip-active' : ''}`}
            title={c.uri}
          >
            {feature ? c.uri.slice(feature.length + 1) : uriLabel(c.uri)}
          </a>
        ))}
      </div>
    </div>
  );
}

function View({ uri }: { uri: string }) {
  const { provenance } = useNode();
  const [altered, setAltered] = useState<readonly string[]>([]);
  const record = useAsync(() => provenance.record(uri), [provenance, uri]);
  const lineage = useAsync(() => provenance.lineage(uri, { maxDepth: 3 }), [provenance, uri]);
  const entry = record.data?.record as ProvEntry | undefined;
  const at = levels(entry, uri);
  const datasetLineage = useAsync(
    () => (at.dataset ? provenance.lineage(at.dataset, { maxDepth: 1 }) : Promise.resolve(undefined)),
    [provenance, at.dataset],
  );
  const granularity: Granularity | undefined = entry?.kind === 'entity' ? entry.granularity : undefined;
  const sources = ((datasetLineage.data?.steps ?? []) as LineageStep[])
    .filter((s) => s.depth === 1 && s.granularity === 'dataset')
    .map((s) => s.uri);

  if (record.loading && !record.data) return <Loading what="Loading the record" />;
  if (record.error) {
    const code = errorCode(record.error);
    return (
      <div className="page" data-testid="provenance-page">
        <PageHeader title="Provenance" subtitle={<code className="break">{uri}</code>} />
        <Card>
          <SearchForm initial={uri} />
        </Card>
        {code === 'RECORD_NOT_FOUND' || code === 'NOT_FOUND' ? (
          <Empty
            title="No provenance record for this URI"
            action={<a href={links.provenance()}>All datasets</a>}
          >
            This node stores no record under that URI. Check the spelling (URIs are exact, ids
            percent-encoded), or publish its provenance with <code>meridian prov anchor</code>.
          </Empty>
        ) : (
          <ErrorNotice error={record.error} onRetry={record.reload} />
        )}
      </div>
    );
  }
  const r = record.data!;
  const label = attributeText(entry, 'prov:label');
  const graph = lineage.data ? lineageGraph(lineage.data.steps as LineageStep[], uri) : undefined;
  const tabs: { id: Granularity; label: string; href?: string }[] = [
    { id: 'dataset', label: 'Dataset', ...(at.dataset ? { href: links.provenance(at.dataset) } : {}) },
    { id: 'feature', label: 'Feature', ...(at.feature ? { href: links.provenance(at.feature) } : {}) },
    {
      id: 'attribute',
      label: 'Attribute',
      ...(at.attribute ? { href: links.provenance(at.attribute) } : {}),
    },
  ];

  return (
    <div className="page" data-testid="provenance-page">
      <PageHeader
        title={
          <>
            {label ?? uriLabel(uri)} <Badge tone="info">{granularity ?? entry?.kind ?? 'record'}</Badge>
          </>
        }
        subtitle={
          <span className="breadcrumbs">
            <a href={links.provenance()}>Provenance</a>
            {at.dataset && at.dataset !== uri ? (
              <>
                {' › '}
                <a href={links.provenance(at.dataset)}>{uriLabel(at.dataset)}</a>
              </>
            ) : null}
            {at.feature && at.feature !== uri ? (
              <>
                {' › '}
                <a href={links.provenance(at.feature)}>{uriLabel(at.feature)}</a>
              </>
            ) : null}
            {' › '}
            <code className="break">{uri}</code>
          </span>
        }
      />
      <div className="grid-2">
        <Card title="Record">
          <Fields>
            <Field label="Kind">
              {entry?.kind}
              {granularity ? ` · ${granularity}` : ''}
            </Field>
            <Field label="Version">{r.version}</Field>
            <Field label="Anchored">
              {r.anchored ? (
                <>
                  in block <a href={links.block(r.anchored.height)}>#{formatInteger(r.anchored.height)}</a>,
                  entry hash <Hash value={r.anchored.hash} />
                </>
              ) : (
                <span className="muted">not anchored on this chain</span>
              )}
            </Field>
            <Field label="Stored copy">
              {r.matchesAnchor ? (
                <Badge tone="good">hashes to the anchored hash (the node says)</Badge>
              ) : (
                <Badge tone="bad">does NOT hash to the anchored hash (the node says)</Badge>
              )}{' '}
              <span className="muted small">— check it yourself with Verify</span>
            </Field>
            {attributeText(entry, 'meridian:featureCount') ? (
              <Field label="Features">{attributeText(entry, 'meridian:featureCount')}</Field>
            ) : null}
            {attributeText(entry, 'meridian:asOf') ? (
              <Field label="As of">{attributeText(entry, 'meridian:asOf')}</Field>
            ) : null}
          </Fields>
        </Card>
        <Card title="The record as stored">
          <JsonBlock value={r.record} maxHeight={260} />
        </Card>
      </div>

      <Card title="PROV graph" testId="prov-graph-card">
        <Tabs tabs={tabs} active={granularity ?? 'dataset'} />
        {lineage.error ? (
          <ErrorNotice error={lineage.error} onRetry={lineage.reload} />
        ) : !graph ? (
          <Loading what="Loading the lineage" />
        ) : (
          <>
            <ProvGraphView
              graph={graph}
              altered={altered}
              testId="prov-graph"
              onOpen={(target, kind) => {
                if (kind === 'entity' && target !== uri) navigate(links.provenance(target));
              }}
            />
            <ProvLegend />
            {lineage.data?.truncated ? (
              <p className="small muted">The lineage goes further back than shown.</p>
            ) : null}
          </>
        )}
        {at.dataset && granularity !== 'attribute' ? (
          <Children
            dataset={at.dataset}
            feature={granularity === 'feature' ? uri : undefined}
            current={uri}
          />
        ) : at.dataset && at.feature ? (
          <Children dataset={at.dataset} feature={at.feature} current={uri} />
        ) : null}
      </Card>

      <VerifyPanel uri={uri} onVerdict={(v) => setAltered(v ? v.altered : [])} />

      {at.dataset && (sources.length > 0 || granularity === 'dataset') ? (
        <SourcesMap datasetUri={at.dataset} sources={sources} />
      ) : null}
    </div>
  );
}

export default function ProvenancePage({ uri }: { uri: string }) {
  return uri === '' ? <Home /> : <View key={uri} uri={uri} />;
}
