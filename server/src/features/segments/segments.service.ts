import { isDeepStrictEqual } from 'node:util';
import { segmentReferences, validateSegment, type SegmentRule } from '@switchyard/core';
import type { Kysely } from 'kysely';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/schema.js';
import { nextRevision } from '../../db/revision.js';
import { fromJson, toIso, toNumber } from '../../db/values.js';
import { ApiError, validationError } from '../../errors.js';
import type { ChangeNotifier } from '../../plugins/changes.js';
import { writeAudit, type Actor } from '../audit/audit.store.js';
import type { CreateSegment, ReplaceSegment } from './segments.schemas.js';
import { findSegment, insertSegment, listSegments, segmentReferenceGraph, updateSegment, type SegmentContent, type SegmentRow } from './segments.store.js';

/** A segment as the API shows it. */
export interface SegmentView {
  readonly key: string;
  readonly name: string;
  readonly description: string;
  readonly included: string[];
  readonly excluded: string[];
  readonly rules: SegmentRule[];
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SegmentService {
  list(): Promise<SegmentView[]>;
  get(key: string): Promise<SegmentView>;
  create(input: CreateSegment, actor: Actor): Promise<SegmentView>;
  /** Replaces a segment's content; `expectedVersion` (from If-Match) makes the write conditional. */
  replace(key: string, input: ReplaceSegment, expectedVersion: number | undefined, actor: Actor): Promise<SegmentView>;
}

function view(row: SegmentRow): SegmentView {
  return {
    key: row.key,
    name: row.name,
    description: row.description,
    included: fromJson<string[]>(row.included),
    excluded: fromJson<string[]>(row.excluded),
    rules: fromJson<SegmentRule[]>(row.rules),
    version: toNumber(row.version),
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
  };
}

function content(segment: SegmentView | SegmentContent): SegmentContent {
  return { key: segment.key, name: segment.name, description: segment.description, included: segment.included, excluded: segment.excluded, rules: segment.rules };
}

async function validateAgainstStore(db: Kysely<Database>, segment: SegmentContent): Promise<void> {
  const graph = await segmentReferenceGraph(db, segmentReferences(segment));
  const issues = validateSegment(segment, { segmentExists: (key) => graph.has(key), segmentReferencesOf: (key) => graph.get(key) ?? [] });
  if (issues.length > 0) throw validationError(issues);
}

/** Thrown inside a replace transaction to roll it back when the content did not change. */
class Unchanged extends Error {
  constructor(readonly segment: SegmentView) {
    super('unchanged');
  }
}

export function createSegmentService(deps: { db: Kysely<Database>; clock: Clock; notifier?: Pick<ChangeNotifier, 'publish'> | undefined }): SegmentService {
  const { db, clock, notifier } = deps;
  // Segments apply to every environment; called only after the transaction committed.
  const published = (revision: number, key: string): void => {
    notifier?.publish({ revision, environments: 'all', kind: 'segment', keys: [key] });
  };

  return {
    async list() {
      return (await listSegments(db)).map(view);
    },

    async get(key) {
      const row = await findSegment(db, key);
      if (row === undefined) throw new ApiError('SEGMENT_NOT_FOUND', `no segment "${key}"`);
      return view(row);
    },

    async create(input, actor) {
      const { segment, revision } = await db.transaction().execute(async (trx) => {
        // Taking the revision first holds the counter's row lock for the rest of the transaction:
        // writers are serialised, so the existence and cycle checks below see every earlier commit
        // (two concurrent writes could otherwise each close half of an inSegment cycle).
        const revision = await nextRevision(trx);
        if ((await findSegment(trx, input.key)) !== undefined) {
          throw new ApiError('ALREADY_EXISTS', `segment "${input.key}" already exists`, [{ path: 'key', message: 'already exists' }]);
        }
        await validateAgainstStore(trx, input);
        const segment = view(await insertSegment(trx, content(input), clock.now()));
        await writeAudit(trx, { revision, actor, action: 'segment.create', resourceType: 'segment', resourceKey: segment.key, after: segment });
        return { segment, revision };
      });
      published(revision, segment.key);
      return segment;
    },

    async replace(key, input, expectedVersion, actor) {
      if (input.key !== undefined && input.key !== key) {
        throw new ApiError('VALIDATION_FAILED', `key: a segment's key cannot change (path says "${key}")`, [{ path: 'key', message: 'must equal the key in the path' }]);
      }
      const next = content({ ...input, key });
      const result = await db.transaction().execute(async (trx) => {
        const revision = await nextRevision(trx); // the writers' lock, as in create()
        const row = await findSegment(trx, key);
        if (row === undefined) throw new ApiError('SEGMENT_NOT_FOUND', `no segment "${key}"`);
        const before = view(row);
        if (expectedVersion !== undefined && expectedVersion !== before.version) {
          throw new ApiError('VERSION_CONFLICT', `segment "${key}" is at version ${before.version}, not ${expectedVersion}; reload it and retry`, [
            { path: 'If-Match', message: 'stale version', currentVersion: before.version },
          ]);
        }
        await validateAgainstStore(trx, next);
        // Re-applying the same content (a GitOps sync, a retried request) changes nothing: no new
        // version, no audit row, no patch to every SDK. Throwing rolls back the unused revision.
        if (isDeepStrictEqual(content(before), next)) throw new Unchanged(before);
        const after = view(await updateSegment(trx, next, before.version + 1, clock.now()));
        await writeAudit(trx, { revision, actor, action: 'segment.update', resourceType: 'segment', resourceKey: key, before, after });
        return { after, revision };
      }).catch((error: unknown) => {
        if (error instanceof Unchanged) return { unchanged: error.segment };
        throw error;
      });
      if ('unchanged' in result) return result.unchanged;
      published(result.revision, key);
      return result.after;
    },
  };
}
