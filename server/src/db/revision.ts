import type { Transaction } from 'kysely';
import type { Database } from './schema.js';
import { toNumber } from './values.js';

/**
 * Takes the next global revision inside the caller's transaction. The row lock on the counter
 * serialises writers, so revisions commit in order and an SDK resuming from revision N never misses
 * a change committed later with a smaller number.
 */
export async function nextRevision(trx: Transaction<Database>): Promise<number> {
  const row = await trx
    .updateTable('revision_counter')
    .set((eb) => ({ revision: eb('revision', '+', 1) }))
    .where('id', '=', 1)
    .returning('revision')
    .executeTakeFirstOrThrow();
  return toNumber(row.revision);
}

/** The latest committed revision. */
export async function currentRevision(db: import('kysely').Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('revision_counter').select('revision').where('id', '=', 1).executeTakeFirst();
  return toNumber(row?.revision);
}
