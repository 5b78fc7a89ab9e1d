import { segmentReferences, type Segment, type SegmentRule } from '@switchyard/core';
import type { Kysely, Selectable } from 'kysely';
import type { Database, SegmentsTable } from '../../db/schema.js';
import { fromJson, json } from '../../db/values.js';

export type SegmentRow = Selectable<SegmentsTable>;

/** The stored content of a segment: everything but its bookkeeping columns. */
export type SegmentContent = Pick<Segment, 'key' | 'name' | 'description' | 'included' | 'excluded' | 'rules'>;

export async function listSegments(db: Kysely<Database>): Promise<SegmentRow[]> {
  return db.selectFrom('segments').selectAll().orderBy('key').execute();
}

export async function findSegment(db: Kysely<Database>, key: string): Promise<SegmentRow | undefined> {
  return db.selectFrom('segments').selectAll().where('key', '=', key).executeTakeFirst();
}

export async function insertSegment(db: Kysely<Database>, segment: SegmentContent, at: Date): Promise<SegmentRow> {
  return db
    .insertInto('segments')
    .values({
      key: segment.key,
      name: segment.name,
      description: segment.description,
      included: json(segment.included),
      excluded: json(segment.excluded),
      rules: json(segment.rules),
      version: 1,
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateSegment(db: Kysely<Database>, segment: SegmentContent, version: number, at: Date): Promise<SegmentRow> {
  return db
    .updateTable('segments')
    .set({
      name: segment.name,
      description: segment.description,
      included: json(segment.included),
      excluded: json(segment.excluded),
      rules: json(segment.rules),
      version,
      updated_at: at,
    })
    .where('key', '=', segment.key)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * The `inSegment` references of every stored segment reachable from `start`, keyed by segment key;
 * a key missing from the map does not exist. Loaded breadth-first so a write reads only the part of
 * the graph a cycle could run through, not every segment's (possibly large) key lists.
 */
export async function segmentReferenceGraph(db: Kysely<Database>, start: readonly string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const requested = new Set<string>();
  let frontier = [...new Set(start)];
  while (frontier.length > 0) {
    for (const key of frontier) requested.add(key);
    const rows = await db.selectFrom('segments').select(['key', 'rules']).where('key', 'in', frontier).execute();
    const next = new Set<string>();
    for (const row of rows) {
      const references = segmentReferences({ rules: fromJson<SegmentRule[]>(row.rules) });
      graph.set(row.key, references);
      for (const key of references) if (!requested.has(key)) next.add(key);
    }
    frontier = [...next];
  }
  return graph;
}
