import { describe, expect, it } from 'vitest';
import { toHex } from '../../../src/codec/bytes.ts';
import { hashRecord } from '../../../src/codec/canonical-json.ts';
import {
  alterRecordText,
  featureUriOf,
  geometryHash,
  type LineageStep,
  lineageGraph,
  uriLabel,
} from './provenance.ts';

const merged = 'https://data.example.org/merged/BLD-2';
const register = 'https://data.example.org/register/BLD-2';
const osm = 'https://data.example.org/osm/way%2F7';
const step = (uri: string, depth: number, extra: Partial<LineageStep> = {}): LineageStep => ({
  uri,
  depth,
  describedBy: uri,
  granularity: 'feature',
  entryHash: null,
  generatedBy: [],
  derivedFrom: [],
  agents: [],
  ...extra,
});

describe('lineageGraph', () => {
  const steps = [
    step(merged, 0, {
      generatedBy: [
        {
          activity: 'https://prov.example.net/activity/merge',
          time: null,
          declaredBy: 'https://data.example.org/merged',
        },
      ],
      derivedFrom: [
        {
          source: register,
          activity: null,
          operation: 'merged',
          sourceRole: 'authoritative',
          declaredBy: merged,
        },
        {
          source: osm,
          activity: 'https://prov.example.net/activity/merge',
          operation: null,
          sourceRole: 'osm',
          declaredBy: merged,
        },
      ],
      agents: [
        {
          agent: 'https://prov.example.net/agent/office',
          via: 'association',
          declaredBy: 'https://data.example.org/merged',
        },
      ],
    }),
    step(register, 1, {
      generatedBy: [
        {
          activity: 'https://prov.example.net/activity/import',
          time: null,
          declaredBy: 'https://data.example.org/register',
        },
      ],
    }),
    step(osm, 1),
  ];
  const graph = lineageGraph(steps, merged);

  it('places sources left of what was derived from them, activities in between', () => {
    const col = (id: string) => graph.nodes.find((n) => n.id === id)!.column;
    expect(col(register)).toBeLessThan(col('https://prov.example.net/activity/merge'));
    expect(col('https://prov.example.net/activity/merge')).toBeLessThan(col(merged));
    expect(col(register)).toBe(col(osm));
    expect(Math.min(...graph.nodes.map((n) => n.column))).toBe(0);
  });

  it('draws each relation once, marks inherited facts and the focus', () => {
    const derivations = graph.edges.filter((e) => e.relation === 'wasDerivedFrom');
    expect(derivations.map((e) => e.detail)).toEqual(['merged · authoritative', 'osm']);
    // A derivation through an activity is drawn from that activity; one without, from the entity.
    expect(derivations.map((e) => e.from)).toEqual([merged, 'https://prov.example.net/activity/merge']);
    expect(graph.edges.find((e) => e.relation === 'wasGeneratedBy' && e.from === merged)?.inherited).toBe(
      true,
    );
    expect(graph.edges.find((e) => e.relation === 'wasAssociatedWith')?.from).toBe(
      'https://prov.example.net/activity/merge',
    );
    expect(graph.nodes.filter((n) => n.focus).map((n) => n.id)).toEqual([merged]);
    expect(graph.nodes.find((n) => n.kind === 'agent')?.row).toBe('agents');
  });
});

describe('URIs and hashes', () => {
  it('labels URIs by their last segments', () => {
    expect(uriLabel('https://data.example.org/merged')).toBe('merged');
    expect(uriLabel(`${merged}/properties.height`)).toBe('BLD-2 / properties.height');
    expect(uriLabel(osm)).toBe('way/7');
  });
  it('mints feature URIs as capture does', () => {
    expect(featureUriOf('https://d.example/x', 'way/7')).toBe('https://d.example/x/way%2F7');
    expect(featureUriOf('https://d.example/x', 'a:b c')).toBe('https://d.example/x/a:b%20c');
  });
  it('hashes a geometry like capture (canonical JSON of type and coordinates)', () => {
    const geometry = { type: 'Point', coordinates: [114.3, 30.5] };
    expect(geometryHash({ ...geometry, bbox: [1, 2] } as never)).toBe(toHex(hashRecord(geometry)));
  });
  it('alters a record so its hash changes', () => {
    const record = JSON.stringify({ uri: 'u', attributes: { 'meridian:valueHash': `0x${'ab'.repeat(32)}` } });
    const altered = alterRecordText(record);
    expect(altered).not.toBe(record);
    expect(JSON.parse(altered).attributes['meridian:valueHash']).toBe(`0x${'ab'.repeat(31)}aa`);
  });
});
