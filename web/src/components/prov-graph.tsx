/**
 * A PROV graph in SVG, drawn with the W3C PROV conventions: entities as
 * rounded boxes (yellow), activities as rectangles (blue), agents as tabbed
 * shapes (orange); arrows point from the newer to the older, labelled with the
 * relation. Sources are on the left, the node asked about on the right, agents
 * in a row underneath. Clicking a node opens its provenance.
 */
import type { GraphNode, ProvGraph } from '../lib/provenance.ts';
import { uriLabel } from '../lib/provenance.ts';

const NODE_W = 190;
const NODE_H = 46;
const COL_GAP = 120;
const ROW_GAP = 26;
const PAD = 20;
/** Room above the flow for derivation arcs, which pass over the activities between two entities. */
const ARC_ROOM = 54;

const FILL: Record<GraphNode['kind'], string> = { entity: '#fffbe6', activity: '#e8f1fd', agent: '#fff1e0' };
const STROKE: Record<GraphNode['kind'], string> = {
  entity: '#c9a227',
  activity: '#4a7fd4',
  agent: '#e08a2c',
};

function wrap(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const cut = text.lastIndexOf(' ', max);
  const first = cut > max / 2 ? text.slice(0, cut) : text.slice(0, max);
  const rest = text.slice(first.length).trim();
  return [first, rest.length > max ? `${rest.slice(0, max - 1)}…` : rest];
}

export function ProvGraphView({
  graph,
  altered = [],
  onOpen,
  testId,
}: {
  graph: ProvGraph;
  /** URIs to highlight as altered (a failed verification names them). */
  altered?: readonly string[];
  onOpen?: (uri: string, kind: GraphNode['kind']) => void;
  testId?: string;
}) {
  const kindOf = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  const isArc = (e: ProvGraph['edges'][number]) =>
    e.relation === 'wasDerivedFrom' && kindOf.get(e.from) === 'entity';
  const arcRoom = graph.edges.some(isArc) ? ARC_ROOM : 0;
  const flow = graph.nodes.filter((n) => n.row === 'flow');
  const agents = graph.nodes.filter((n) => n.row === 'agents');
  const position = new Map<string, { x: number; y: number }>();
  let flowHeight = 0;
  for (let column = 0; column < graph.columns; column++) {
    const inColumn = flow.filter((n) => n.column === column);
    inColumn.forEach((n, i) => {
      position.set(n.id, { x: PAD + column * (NODE_W + COL_GAP), y: PAD + arcRoom + i * (NODE_H + ROW_GAP) });
    });
    flowHeight = Math.max(flowHeight, inColumn.length * (NODE_H + ROW_GAP));
  }
  const agentY = PAD + arcRoom + flowHeight + 30;
  const usedX = new Set<number>();
  for (const n of agents) {
    let x = PAD + n.column * (NODE_W + COL_GAP);
    while (usedX.has(x)) x += NODE_W + 20;
    usedX.add(x);
    position.set(n.id, { x, y: agentY });
  }
  const width = Math.max(
    PAD * 2 + graph.columns * (NODE_W + COL_GAP),
    ...[...position.values()].map((p) => p.x + NODE_W + PAD),
  );
  const height = agents.length > 0 ? agentY + NODE_H + PAD : PAD + arcRoom + flowHeight + PAD;
  const alteredSet = new Set(altered);

  return (
    <div className="prov-graph" data-testid={testId}>
      <svg width={width} height={height} role="img" aria-label="PROV graph">
        <defs>
          <marker
            id="prov-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b" />
          </marker>
        </defs>
        {graph.edges.map((e) => {
          const a = position.get(e.from);
          const b = position.get(e.to);
          if (!a || !b) return null;
          const toAgent = graph.nodes.find((n) => n.id === e.to)?.row === 'agents';
          const arc = isArc(e);
          let d: string;
          let lx: number;
          let ly: number;
          if (toAgent) {
            const x1 = a.x + NODE_W / 2;
            const y1 = a.y + NODE_H;
            const x2 = b.x + NODE_W / 2;
            const y2 = b.y;
            d = `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`;
            lx = (x1 + x2) / 2;
            ly = (y1 + y2) / 2;
          } else if (arc) {
            // Over the top, from the newer entity to its source, clearing the activity between.
            const x1 = a.x + NODE_W / 3;
            const y1 = a.y;
            const x2 = b.x + (2 * NODE_W) / 3;
            const y2 = b.y;
            const top = Math.min(y1, y2) - ARC_ROOM + 8;
            d = `M${x1},${y1} C${x1},${top} ${x2},${top} ${x2},${y2}`;
            lx = (x1 + x2) / 2;
            ly = top + 16;
          } else {
            const x1 = a.x;
            const y1 = a.y + NODE_H / 2;
            const x2 = b.x + NODE_W;
            const y2 = b.y + NODE_H / 2;
            d =
              Math.abs(y1 - y2) < 1
                ? `M${x1},${y1} L${x2},${y2}`
                : `M${x1},${y1} C${x1 - COL_GAP / 2},${y1} ${x2 + COL_GAP / 2},${y2} ${x2},${y2}`;
            lx = (x1 + x2) / 2;
            ly = (y1 + y2) / 2 - 4;
          }
          return (
            <g key={`${e.from}-${e.to}-${e.relation}`} className="prov-edge">
              <path
                d={d}
                fill="none"
                stroke="#94a3b8"
                strokeWidth={1.4}
                strokeDasharray={e.inherited ? '4 3' : undefined}
                markerEnd="url(#prov-arrow)"
              />
              {toAgent ? null : (
                <text
                  x={lx}
                  y={ly - (e.detail ? 8 : 0)}
                  textAnchor="middle"
                  fontSize={10}
                  fill="#475569"
                  className="prov-edge-label"
                >
                  <tspan>{e.relation}</tspan>
                  {e.detail ? (
                    <tspan x={lx} dy={11} fill="#0e7490">
                      {/^\d{4}-\d\d-\d\dT/.test(e.detail) ? e.detail.slice(0, 10) : e.detail}
                    </tspan>
                  ) : null}
                </text>
              )}
            </g>
          );
        })}
        {graph.nodes.map((n) => {
          const p = position.get(n.id);
          if (!p) return null;
          const isAltered = alteredSet.has(n.id);
          const lines = wrap(uriLabel(n.id), 26);
          const shape =
            n.kind === 'entity' ? (
              <rect width={NODE_W} height={NODE_H} rx={14} />
            ) : n.kind === 'activity' ? (
              <rect width={NODE_W} height={NODE_H} rx={2} />
            ) : (
              <path d={`M0,10 L${NODE_W / 2},0 L${NODE_W},10 L${NODE_W},${NODE_H} L0,${NODE_H} Z`} />
            );
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG group cannot be a <button>
            <g
              key={n.id}
              transform={`translate(${p.x},${p.y})`}
              className="prov-node"
              data-testid="prov-node"
              data-kind={n.kind}
              data-uri={n.id}
              role="button"
              tabIndex={0}
              onClick={() => onOpen?.(n.id, n.kind)}
              onKeyDown={(event) => {
                if (event.key === 'Enter') onOpen?.(n.id, n.kind);
              }}
              style={{ cursor: onOpen ? 'pointer' : 'default' }}
            >
              <title>{`${n.kind}${n.granularity ? ` (${n.granularity})` : ''}: ${n.id}`}</title>
              <g
                fill={isAltered ? '#fee2e2' : FILL[n.kind]}
                stroke={isAltered ? '#dc2626' : n.focus ? '#0f172a' : STROKE[n.kind]}
                strokeWidth={n.focus || isAltered ? 2.5 : 1.3}
              >
                {shape}
              </g>
              <text x={10} y={15} fontSize={9.5} fill="#64748b">
                {n.kind}
                {n.granularity ? ` · ${n.granularity}` : ''}
                {isAltered ? ' · ALTERED' : ''}
              </text>
              {lines.map((line, i) => (
                <text
                  key={line}
                  x={10}
                  y={29 + i * 12}
                  fontSize={11.5}
                  fill="#0f172a"
                  fontWeight={n.focus ? 700 : 500}
                >
                  {line}
                </text>
              ))}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

export function ProvLegend() {
  return (
    <div className="legend-row">
      <span>
        <span
          className="legend-box"
          style={{ background: FILL.entity, borderColor: STROKE.entity, borderRadius: 6 }}
        />
        entity (dataset, feature, attribute)
      </span>
      <span>
        <span className="legend-box" style={{ background: FILL.activity, borderColor: STROKE.activity }} />
        activity
      </span>
      <span>
        <span className="legend-box" style={{ background: FILL.agent, borderColor: STROKE.agent }} />
        agent
      </span>
      <span>dashed arrow: inherited from the dataset’s record</span>
    </div>
  );
}
