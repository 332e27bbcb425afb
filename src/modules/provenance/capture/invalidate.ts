/**
 * When a capture re-runs with the previously anchored entries (`previous`), entities it no longer
 * produces must not silently linger as if still current: each gets a new version that adds
 * `wasInvalidatedBy(<this run's activity>, time)`, chained to its last version like any update.
 * Entities already invalidated are left alone.
 */
import { makeEntity, nextVersion, type RelationDraft } from '../entry.ts';
import type { ActivityEntry, EntityEntry, ProvenanceEntry } from '../model.ts';
import { isUnder } from '../uri.ts';

export function invalidateVanished(
  previous: ReadonlyMap<string, ProvenanceEntry>,
  produced: ReadonlySet<string>,
  rootUri: string,
  activity: ActivityEntry,
  time: string,
): EntityEntry[] {
  const vanished = [...previous.values()]
    .filter(
      (e): e is EntityEntry =>
        e.kind === 'entity' && (e.uri === rootUri || isUnder(e.uri, rootUri)) && !produced.has(e.uri),
    )
    .filter((e) => !e.relations.some((r) => r.kind === 'wasInvalidatedBy'))
    .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
  return vanished.map((old) => {
    const relations: RelationDraft[] = [
      ...old.relations,
      { kind: 'wasInvalidatedBy', object: activity.uri, time, objectEntry: activity },
    ];
    const attribute =
      old.attributeKind === null
        ? null
        : old.attributeKind === 'geometry'
          ? ({ kind: 'geometry' } as const)
          : ({ kind: 'property', name: old.propertyName! } as const);
    const draft = makeEntity({
      uri: old.uri,
      granularity: old.granularity,
      partOf: old.partOf,
      attribute,
      attributes: old.attributes,
      relations,
    });
    return nextVersion(draft, old);
  });
}
