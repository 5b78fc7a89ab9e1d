import type { Migration } from 'kysely/migration';
import * as m0001 from './0001-initial-schema.js';
import * as m0002 from './0002-evaluation-metrics.js';
import * as m0003 from './0003-pipeline.js';

/**
 * Every migration of the server's schema, by name, in order. Names are never reused or edited once
 * shipped; each file's header says whether it is an expand or a contract step.
 * @example new Migrator({ db, provider: { getMigrations: async () => migrations } })
 */
export const migrations: Record<string, Migration> = {
  '0001-initial-schema': m0001,
  '0002-evaluation-metrics': m0002,
  '0003-pipeline': m0003,
};
