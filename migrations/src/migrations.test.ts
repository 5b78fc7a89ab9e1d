import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkMigrationSource } from './check.js';
import { migrations } from './index.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const MIGRATION_FILE = /^\d{4}-.*\.ts$/;
const files = readdirSync(dir)
  .filter((f) => MIGRATION_FILE.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
  .sort();

const HEADER = '// expand: test\nimport { sql } from "kysely";\n';
const check = (body: string, header = HEADER): string[] => checkMigrationSource(header + body, '0099-test.ts');

describe('the shipped migrations', () => {
  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s has an expand/contract header and passes the safety checks', (file) => {
    const source = readFileSync(`${dir}/${file}`, 'utf8');
    expect(source.split('\n')[0]).toMatch(/^\/\/ (expand|contract): \S/);
    expect(checkMigrationSource(source, file)).toEqual([]);
  });

  it('have unique numbers and names, in order, all listed in index.ts in the same order', async () => {
    const names = files.map((f) => f.replace(/\.ts$/, ''));
    const numbers = names.map((n) => n.slice(0, 4));
    expect(new Set(numbers).size, `duplicate migration numbers: ${numbers.join(', ')}`).toBe(numbers.length);
    expect(Object.keys(migrations)).toEqual(names);
    for (const name of names) {
      const module = (await import(`./${name}.js`)) as { up: unknown };
      expect(migrations[name]?.up, `index.ts entry ${name} is not that file's up()`).toBe(module.up);
    }
  });
});

describe('checkMigrationSource', () => {
  // Each rule, shown failing on its own: [what, unsafe source].
  const unsafe: [string, string][] = [
    ['DROP COLUMN', 'await sql`ALTER TABLE flags DROP COLUMN owner`.execute(db);'],
    ['DROP TABLE', 'await sql`DROP TABLE IF EXISTS segments`.execute(db);'],
    ['RENAME COLUMN', 'await sql`ALTER TABLE flags RENAME COLUMN owner TO team`.execute(db);'],
    ['RENAME without COLUMN', 'await sql`ALTER TABLE flags RENAME owner TO team`.execute(db);'],
    ['RENAME TO (table)', 'await sql`ALTER TABLE flags RENAME TO toggles`.execute(db);'],
    ['ALTER COLUMN … TYPE', 'await sql`ALTER TABLE flags ALTER COLUMN version TYPE bigint`.execute(db);'],
    ['ALTER … SET DATA TYPE', 'await sql`ALTER TABLE flags ALTER version SET DATA TYPE bigint`.execute(db);'],
    ['ALTER COLUMN … SET NOT NULL', 'await sql`ALTER TABLE flags ALTER COLUMN expires_at SET NOT NULL`.execute(db);'],
    ['ADD COLUMN … NOT NULL', 'await sql`ALTER TABLE flags ADD COLUMN team text NOT NULL`.execute(db);'],
    ['ADD COLUMN IF NOT EXISTS … NOT NULL', 'await sql`ALTER TABLE flags ADD COLUMN IF NOT EXISTS team text NOT NULL REFERENCES teams (key)`.execute(db);'],
    ['ADD (no COLUMN) … NOT NULL', 'await sql`ALTER TABLE flags ADD team numeric(10, 2) NOT NULL, ADD note text DEFAULT \'\'`.execute(db);'],
    ['CREATE INDEX', 'await sql`CREATE INDEX IF NOT EXISTS flags_owner_idx ON flags (owner)`.execute(db);'],
    ['CREATE UNIQUE INDEX', 'await sql`CREATE UNIQUE INDEX flags_name_idx ON flags (name)`.execute(db);'],
    ['.dropColumn(', "await db.schema.alterTable('flags').dropColumn('owner').execute();"],
    ['.dropTable(', "await db.schema.dropTable('segments').ifExists().execute();"],
    ['.renameColumn(', "await db.schema.alterTable('flags').renameColumn('owner', 'team').execute();"],
    ['.renameTo(', "await db.schema.alterTable('flags').renameTo('toggles').execute();"],
    ['.createIndex(', "await db.schema.createIndex('flags_owner_idx').ifNotExists().on('flags').column('owner').execute();"],
    ['.setDataType(', "await db.schema.alterTable('flags').alterColumn('version', (c) => c.setDataType('bigint')).execute();"],
    ['.setNotNull(', "await db.schema.alterTable('flags').alterColumn('owner', (c) => c.setNotNull()).execute();"],
    ['.addColumn(… notNull) on an existing table', "await db.schema.alterTable('flags').addColumn('team', 'text', (c) => c.notNull()).execute();"],
    ['lower case', 'await sql`alter table flags drop column owner`.execute(db);'],
    ['split over lines', 'await sql`\n  ALTER TABLE flags\n    DROP\n    COLUMN owner`.execute(db);'],
    ['a plain string (sql.raw)', "await sql.raw('DROP TABLE segments').execute(db);"],
  ];

  it.each(unsafe)('rejects %s', (_what, body) => {
    const problems = check(body);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^0099-test\.ts:\d+: /);
  });

  it('names the line of each problem', () => {
    const problems = check('await sql`SELECT 1`.execute(db);\n\nawait sql`DROP TABLE a`.execute(db);\nawait sql`CREATE INDEX b ON a (x)`.execute(db);');
    expect(problems.map((p) => p.split(': ')[0])).toEqual(['0099-test.ts:5', '0099-test.ts:6']);
  });

  const safe: [string, string][] = [
    ['CREATE TABLE with NOT NULL columns', 'await sql`CREATE TABLE IF NOT EXISTS teams (key text PRIMARY KEY, name text NOT NULL, rank integer NOT NULL DEFAULT 0)`.execute(db);'],
    ['ADD COLUMN nullable', 'await sql`ALTER TABLE flags ADD COLUMN IF NOT EXISTS team text`.execute(db);'],
    ['ADD COLUMN NOT NULL DEFAULT', "await sql`ALTER TABLE flags ADD COLUMN IF NOT EXISTS stale boolean NOT NULL DEFAULT false, ADD COLUMN note text`.execute(db);"],
    ['ADD CONSTRAINT', 'await sql`ALTER TABLE flags ADD CONSTRAINT owner_present CHECK (owner IS NOT NULL) NOT VALID`.execute(db);'],
    ['CREATE INDEX CONCURRENTLY', 'await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS flags_owner_idx ON flags (owner)`.execute(db);'],
    ['CREATE UNIQUE INDEX CONCURRENTLY', 'await sql`create unique index concurrently if not exists flags_name_idx on flags (name)`.execute(db);'],
    ['createTable(...).addColumn(... notNull)', "await db.schema.createTable('teams').ifNotExists().addColumn('key', 'text', (c) => c.primaryKey().notNull()).execute();"],
    ['alterTable(...).addColumn(... notNull().defaultTo)', "await db.schema.alterTable('flags').addColumn('stale', 'boolean', (c) => c.notNull().defaultTo(false)).execute();"],
    ['JS comments', '// we never DROP COLUMN here\n/* nor DROP TABLE\n   nor RENAME */\nawait sql`SELECT 1`.execute(db);'],
    ['SQL comments', 'await sql`\n  -- DROP COLUMN owner was considered\n  /* CREATE INDEX foo ON bar (x) */\n  SELECT 1`.execute(db);'],
    ['an interpolated identifier', 'await sql`ALTER TABLE ${sql.id(table)} ADD COLUMN IF NOT EXISTS note text`.execute(db);'],
    ['words that merely contain the keywords', 'await sql`CREATE TABLE IF NOT EXISTS renames (dropped_columns integer, rename_count integer)`.execute(db);'],
  ];

  it.each(safe)('accepts %s', (_what, body) => {
    expect(check(body)).toEqual([]);
  });

  it('requires a header line saying expand or contract', () => {
    expect(checkMigrationSource('import { sql } from "kysely";\n', '0099-x.ts')).toEqual([expect.stringMatching(/^0099-x\.ts:1: missing header line/)]);
    expect(checkMigrationSource('// adds a table\nimport { sql } from "kysely";\n', '0099-x.ts')).toHaveLength(1);
    expect(checkMigrationSource('// expand:\nimport { sql } from "kysely";\n', '0099-x.ts')).toHaveLength(1);
    expect(checkMigrationSource('// contract: drops nothing yet\n// second line\nexport {};\n', '0099-x.ts')).toEqual([]);
  });

  it('lets a contract migration waive the drop rules only, with a reason, in its header', () => {
    const drop = 'await sql`ALTER TABLE flags DROP COLUMN legacy_owner`.execute(db);';
    expect(check(drop, '// contract: drops flags.legacy_owner\n// allow drop-column: unused since 1.4.0\n')).toEqual([]);
    expect(check(drop, '// contract: drops flags.legacy_owner\n')).toHaveLength(1);
    expect(check(drop, '// contract: drops flags.legacy_owner\n// allow drop-column:\n')).toHaveLength(2);
    expect(check(drop, '// expand: sneaky\n// allow drop-column: trust me\n')).toHaveLength(2);
    const rename = 'await sql`ALTER TABLE flags RENAME COLUMN a TO b`.execute(db);';
    expect(check(rename, '// contract: renames\n// allow rename: please\n')).toHaveLength(2);
  });
});
