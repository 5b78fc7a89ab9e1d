import { sql, type RawBuilder } from 'kysely';

// Postgres parses and plans every unnamed statement anew; for the hot paths (an admin write is two
// statements) that planning was a third of the database's time. A statement that starts with this
// marker is sent as a named prepared statement on pg connections (connect.ts), so each connection
// plans it once. PGlite runs it as is: to Postgres the marker is a comment.
const MARKER = /^\/\* prepare ([a-z0-9-]{1,60}) \*\//;

/**
 * Marks the statement it starts as prepared under `name`. One name, one SQL text: a statement whose
 * text varies (an IN list of variable length) must put the variation in the name, and only a few
 * names may exist, since every connection keeps each one. Prepared statements keep their plan, and
 * their result columns: list columns instead of `*`, so a migration that adds a column cannot fail
 * them with "cached plan must not change result type".
 */
export function prepare(name: string): RawBuilder<unknown> {
  if (!/^[a-z0-9-]{1,60}$/.test(name)) throw new Error(`bad prepared statement name "${name}"`);
  return sql.raw(`/* prepare ${name} */`);
}

/** The prepared statement name a statement asks for, if any. */
export function preparedName(text: string): string | undefined {
  return MARKER.exec(text)?.[1];
}
