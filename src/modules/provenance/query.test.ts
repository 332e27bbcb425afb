import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors.ts';
import { entryHashHex, makeActivity, makeAgent, makeEntity } from './entry.ts';
import { ProvenanceGraph } from './graph.ts';
import type { ProvenanceEntry } from './model.ts';
import { lineage, touchedBy } from './query.ts';

const BASE = 'https://prov.example.net';
const SRC = 'https://data.example.org/cadastre';
const OUT = 'https://data.example.org/merged';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e.code;
    throw e;
  }
  return undefined;
}

/** A small two-step history: import of a source, then a merge deriving one feature and one attribute from it. */
function world(): ProvenanceEntry[] {
  const office = makeAgent({ uri: `${BASE}/agent/office` });
  const tool = makeAgent({
    uri: `${BASE}/agent/tool`,
    relations: [{ kind: 'actedOnBehalfOf', object: office.uri, objectEntry: office }],
  });
  const importAct = makeActivity({
    uri: `${BASE}/activity/import`,
    startedAt: '2024-01-01T00:00:00Z',
    relations: [{ kind: 'wasAssociatedWith', object: office.uri }],
  });
  const merge = makeActivity({
    uri: `${BASE}/activity/merge`,
    startedAt: '2024-02-01T00:00:00Z',
    relations: [
      { kind: 'used', object: SRC },
      { kind: 'wasAssociatedWith', object: tool.uri },
      { kind: 'wasInformedBy', object: importAct.uri },
    ],
  });
  const src = makeEntity({
    uri: SRC,
    granularity: 'dataset',
    relations: [
      { kind: 'wasGeneratedBy', object: importAct.uri, time: '2024-01-01T00:00:00Z' },
      { kind: 'wasAttributedTo', object: office.uri },
    ],
  });
  const srcF = makeEntity({ uri: `${SRC}/B1`, granularity: 'feature', partOf: SRC });
  const srcH = makeEntity({
    uri: `${SRC}/B1/properties.height`,
    granularity: 'attribute',
    partOf: srcF.uri,
    attribute: { kind: 'property', name: 'height' },
  });
  const out = makeEntity({
    uri: OUT,
    granularity: 'dataset',
    relations: [
      { kind: 'wasGeneratedBy', object: merge.uri, time: '2024-02-01T00:00:00Z', objectEntry: merge },
      { kind: 'wasDerivedFrom', object: SRC, secondary: merge.uri },
    ],
  });
  const outF = makeEntity({
    uri: `${OUT}/B1`,
    granularity: 'feature',
    partOf: OUT,
    relations: [
      {
        kind: 'wasDerivedFrom',
        object: srcF.uri,
        secondary: merge.uri,
        attributes: { 'meridian:operation': 'merged' },
      },
    ],
  });
  const outH = makeEntity({
    uri: `${OUT}/B1/properties.height`,
    granularity: 'attribute',
    partOf: outF.uri,
    attribute: { kind: 'property', name: 'height' },
    relations: [
      {
        kind: 'wasDerivedFrom',
        object: srcH.uri,
        secondary: merge.uri,
        objectEntry: srcH,
        attributes: { 'meridian:operation': 'kept', 'meridian:sourceRole': 'authoritative' },
      },
    ],
  });
  return [office, tool, importAct, merge, src, srcF, srcH, out, outF, outH];
}

describe('ProvenanceGraph', () => {
  it("lists a dataset's subtree in key order, excluding look-alike siblings", () => {
    const extra = makeEntity({ uri: `${SRC}2`, granularity: 'dataset' });
    const g = ProvenanceGraph.of([...world(), extra], { closed: true });
    expect(g.below(SRC).map((e) => e.uri)).toEqual([`${SRC}/B1`, `${SRC}/B1/properties.height`]);
    expect(g.describing(`${SRC}/B1/geometry`)!.uri).toBe(`${SRC}/B1`);
  });

  it('enforces one entry per URI, closed references, and keeps non-entities out of entity subtrees', () => {
    const w = world();
    expect(codeOf(() => ProvenanceGraph.of([...w, w[0]!]))).toBe('DUPLICATE_URI');
    expect(
      codeOf(() =>
        ProvenanceGraph.of(
          w.filter((e) => e.uri !== SRC),
          { closed: true },
        ),
      ),
    ).toBe('DANGLING_REFERENCE');
    expect(codeOf(() => ProvenanceGraph.of(w.filter((e) => e.uri !== SRC)))).toBeUndefined();
    const sneaky = makeActivity({ uri: `${SRC}/B1/log` });
    expect(codeOf(() => ProvenanceGraph.of([...w, sneaky]))).toBe('KEY_UNDER_FOREIGN_ENTITY');
    const wrongKind = makeEntity({
      uri: `${OUT}/B2`,
      granularity: 'feature',
      partOf: OUT,
      relations: [{ kind: 'wasAttributedTo', object: `${BASE}/activity/merge` }],
    });
    expect(codeOf(() => ProvenanceGraph.of([...w, wrongKind], { closed: true }))).toBe('WRONG_NODE_KIND');
  });
});

describe('lineage', () => {
  it('walks an attribute back to its source attribute, with the activity and the agents (incl. delegation)', () => {
    const g = ProvenanceGraph.of(world(), { closed: true });
    const { steps, truncated } = lineage(g, `${OUT}/B1/properties.height`);
    expect(truncated).toBe(false);
    expect(steps.map((s) => [s.uri, s.depth, s.granularity])).toEqual([
      [`${OUT}/B1/properties.height`, 0, 'attribute'],
      [`${SRC}/B1/properties.height`, 1, 'attribute'],
    ]);
    const [out, src] = steps;
    expect(out!.derivedFrom).toMatchObject([
      {
        source: `${SRC}/B1/properties.height`,
        activity: `${BASE}/activity/merge`,
        operation: 'kept',
        sourceRole: 'authoritative',
      },
    ]);
    // generation is inherited from the output dataset, and so are the agents of the merge
    expect(out!.generatedBy).toEqual([
      { activity: `${BASE}/activity/merge`, time: '2024-02-01T00:00:00Z', declaredBy: OUT },
    ]);
    expect(out!.agents).toEqual([
      { agent: `${BASE}/agent/tool`, via: 'association', declaredBy: `${BASE}/activity/merge` },
      { agent: `${BASE}/agent/office`, via: 'delegation', declaredBy: `${BASE}/agent/tool` },
    ]);
    expect(src!.generatedBy[0]!.declaredBy).toBe(SRC);
    expect(src!.agents.map((a) => a.via)).toEqual(['attribution', 'association']);
    expect(src!.entryHash).toBe(entryHashHex(world()[6]!));
  });

  it('describes a URI without an entry by its nearest ancestor and stops at unknown sources', () => {
    const g = ProvenanceGraph.of(world().filter((e) => !e.uri.startsWith(SRC)));
    const { steps } = lineage(g, `${OUT}/B1/geometry`);
    expect(steps[0]).toMatchObject({
      uri: `${OUT}/B1/geometry`,
      describedBy: `${OUT}/B1`,
      granularity: 'attribute',
    });
    expect(steps[1]).toMatchObject({ uri: `${SRC}/B1`, describedBy: null, granularity: null });
    expect(lineage(g, `${OUT}/B1`, { maxDepth: 0 })).toMatchObject({ truncated: true });
  });
});

describe('touchedBy', () => {
  it('lists what the merge used and produced at each granularity, with operation counts', () => {
    const g = ProvenanceGraph.of(world(), { closed: true });
    const t = touchedBy(g, `${BASE}/activity/merge`);
    expect(t.agents).toEqual([`${BASE}/agent/tool`]);
    expect(t.informedBy).toEqual([`${BASE}/activity/import`]);
    expect(t.used).toEqual({
      dataset: [SRC],
      feature: [`${SRC}/B1`],
      attribute: [`${SRC}/B1/properties.height`],
      other: [],
    });
    expect(t.generated).toEqual({
      dataset: [OUT],
      feature: [`${OUT}/B1`],
      attribute: [`${OUT}/B1/properties.height`],
      other: [],
    });
    expect(t.operations).toEqual({ dataset: {}, feature: { merged: 1 }, attribute: { kept: 1 } });
  });

  it('counts the finer entities of an imported dataset as generated by the import', () => {
    const g = ProvenanceGraph.of(world(), { closed: true });
    expect(touchedBy(g, `${BASE}/activity/import`).generated).toEqual({
      dataset: [SRC],
      feature: [`${SRC}/B1`],
      attribute: [`${SRC}/B1/properties.height`],
      other: [],
    });
  });
});
