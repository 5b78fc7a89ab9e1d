/**
 * Static safety checks for a migration file: during a rolling deploy the previous server version runs
 * against the migrated schema, so a migration may only expand it (see migrations/README.md).
 */

interface Rule {
  readonly id: string;
  readonly pattern: RegExp;
  readonly problem: string;
}

const IDENTIFIER = String.raw`(?:"[^"]+"|[\w$]+)`;
// Words that may follow ALTER or ADD without naming a column.
const NOT_A_COLUMN = String.raw`(?!(?:TABLE|TYPE|DOMAIN|INDEX|SEQUENCE|VIEW|SCHEMA|FUNCTION|DATABASE|ROLE|USER|COLUMN|CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE|VALUE|IF)\b)`;

const RULES: readonly Rule[] = [
  { id: 'drop-column', pattern: /\bDROP\s+COLUMN\b/gi, problem: 'DROP COLUMN: the running version still reads it; stop using it in one release, drop it in a later contract migration' },
  { id: 'drop-table', pattern: /\bDROP\s+TABLE\b/gi, problem: 'DROP TABLE: the running version still uses it; drop it in a later contract migration' },
  { id: 'rename', pattern: /\bRENAME\b/gi, problem: 'RENAME: the running version still uses the old name; add the new column/table, copy, and drop the old one later' },
  {
    id: 'alter-column-type',
    pattern: new RegExp(String.raw`\bALTER\s+(?:COLUMN\s+)?${NOT_A_COLUMN}${IDENTIFIER}\s+(?:SET\s+DATA\s+)?TYPE\b`, 'gi'),
    problem: 'ALTER COLUMN … TYPE rewrites the table under an exclusive lock and can break the running version; add a new column instead',
  },
  { id: 'set-not-null', pattern: /\bSET\s+NOT\s+NULL\b/gi, problem: 'SET NOT NULL scans the table under an exclusive lock and fails the running version\'s inserts that omit the column' },
  {
    id: 'create-index',
    pattern: /\bCREATE\s+(?:UNIQUE\s+)?INDEX\b(?!\s+CONCURRENTLY\b)/gi,
    problem: 'CREATE INDEX without CONCURRENTLY blocks writes while it builds; use CREATE INDEX CONCURRENTLY IF NOT EXISTS',
  },
  { id: 'drop-column', pattern: /\.\s*dropColumn\s*\(/gi, problem: '.dropColumn(): the running version still reads it; drop it in a later contract migration' },
  { id: 'drop-table', pattern: /\.\s*dropTable\s*\(/gi, problem: '.dropTable(): the running version still uses it; drop it in a later contract migration' },
  { id: 'rename', pattern: /\.\s*renameColumn\s*\(/gi, problem: '.renameColumn(): the running version still uses the old name' },
  { id: 'rename', pattern: /\.\s*renameTo\s*\(/gi, problem: '.renameTo(): the running version still uses the old name' },
  { id: 'alter-column-type', pattern: /\.\s*setDataType\s*\(/gi, problem: '.setDataType() rewrites the table under an exclusive lock; add a new column instead' },
  { id: 'set-not-null', pattern: /\.\s*setNotNull\s*\(/gi, problem: '.setNotNull() scans the table under an exclusive lock and breaks the running version\'s inserts' },
  {
    id: 'create-index',
    pattern: /\.\s*createIndex\s*\(/gi,
    problem: '.createIndex(): the schema builder cannot build an index CONCURRENTLY; write sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS …`',
  },
];

const ADD_COLUMN_PROBLEM = 'ADD COLUMN … NOT NULL without DEFAULT fails on existing rows and breaks the running version\'s inserts; add a DEFAULT or make it nullable';

/** Rules a contract migration may waive, one header line each: `// allow drop-column: <why it is safe now>`. */
const WAIVABLE = new Set(['drop-column', 'drop-table']);

/**
 * Finds the problems that make a migration unsafe for a zero-downtime deploy: a missing
 * `// expand:` / `// contract:` header, and statements the previous server version cannot run against
 * (drops, renames, type changes, new NOT NULL constraints, blocking index builds), in raw SQL or
 * through Kysely's schema builder. Comments (JS and SQL) are ignored; matching is case-insensitive.
 * @example checkMigrationSource('// expand: x\nawait sql`DROP TABLE flags`.execute(db);', '0002-x.ts') // ['0002-x.ts:2: DROP TABLE: …']
 */
export function checkMigrationSource(source: string, fileName: string): string[] {
  const problems: string[] = [];
  const header = leadingComments(source);
  const kind = header.map((line) => /^\/\/\s*(expand|contract):\s*\S/i.exec(line)?.[1]?.toLowerCase()).find((k) => k !== undefined);
  if (kind === undefined) problems.push(`${fileName}:1: missing header line "// expand: <what it adds>" or "// contract: <what it removes>"`);

  const waived = new Set<string>();
  for (const line of header) {
    const allow = /^\/\/\s*allow\s+([a-z-]+)\s*:\s*(\S.*)?$/i.exec(line);
    if (allow === null) continue;
    const id = (allow[1] ?? '').toLowerCase();
    if (kind !== 'contract') problems.push(`${fileName}:1: "// allow ${id}" is only honoured in a contract migration`);
    else if (!WAIVABLE.has(id)) problems.push(`${fileName}:1: "${id}" cannot be waived (only ${[...WAIVABLE].join(', ')})`);
    else if (allow[2] === undefined) problems.push(`${fileName}:1: "// allow ${id}:" needs a reason (e.g. the release that stopped using it)`);
    else waived.add(id);
  }

  const code = withoutComments(source);
  const report = (index: number, problem: string): void => {
    problems.push(`${fileName}:${lineAt(code, index)}: ${problem}`);
  };
  for (const rule of RULES) {
    if (waived.has(rule.id)) continue;
    for (const match of code.matchAll(rule.pattern)) report(match.index, rule.problem);
  }
  for (const index of notNullColumnsWithoutDefault(code)) report(index, ADD_COLUMN_PROBLEM);
  return problems;
}

function leadingComments(source: string): string[] {
  const lines: string[] = [];
  for (const raw of source.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#!')) continue;
    if (!line.startsWith('//')) break;
    lines.push(line);
  }
  return lines;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The source with every comment blanked out (same length, newlines kept, so indexes still map to
 * lines): JS `//` and `/* *\/` comments in code, and SQL `--` and `/* *\/` comments inside template
 * literals, where the SQL lives. String contents are kept: that is where statements are.
 */
function withoutComments(source: string): string {
  const out = source.split('');
  const blank = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (out[i] !== '\n') out[i] = ' ';
  };
  // Each `${` inside a template pushes the brace depth at which its expression ends.
  const templateStack: number[] = [];
  let depth = 0;
  let i = 0;
  const n = source.length;
  const skipComment = (start: number, block: boolean): number => {
    const end = block ? source.indexOf('*/', start + 2) : source.indexOf('\n', start);
    const stop = end === -1 ? n : block ? end + 2 : end;
    blank(start, stop);
    return stop;
  };
  const skipQuoted = (start: number, quote: string): number => {
    let j = start + 1;
    while (j < n && source[j] !== quote && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  // Scans template text from `start` until its closing backtick or a `${`; returns where code resumes.
  const scanTemplate = (start: number): number => {
    let j = start;
    while (j < n) {
      const c = source[j];
      if (c === '\\') j += 2;
      else if (c === '`') return j + 1;
      else if (c === '$' && source[j + 1] === '{') {
        templateStack.push(depth);
        return j + 2;
      } else if (c === '-' && source[j + 1] === '-') j = skipComment(j, false);
      else if (c === '/' && source[j + 1] === '*') j = skipComment(j, true);
      else j++;
    }
    return n;
  };
  while (i < n) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') i = skipComment(i, false);
    else if (c === '/' && next === '*') i = skipComment(i, true);
    else if (c === "'" || c === '"') i = skipQuoted(i, c);
    else if (c === '`') i = scanTemplate(i + 1);
    else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      if (templateStack.length > 0 && templateStack[templateStack.length - 1] === depth) {
        templateStack.pop();
        i = scanTemplate(i + 1);
      } else {
        depth--;
        i++;
      }
    } else i++;
  }
  return out.join('');
}

/** Where a column is added NOT NULL without a DEFAULT: `ADD [COLUMN]` in SQL, `.addColumn(` in an alterTable chain. */
function notNullColumnsWithoutDefault(code: string): number[] {
  const found: number[] = [];
  const unsafe = (definition: string): boolean => /\bNOT\s*NULL\b|\.\s*notNull\s*\(/i.test(definition) && !/\bDEFAULT\b|\.\s*defaultTo\s*\(/i.test(definition);

  const add = new RegExp(String.raw`\bADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?${NOT_A_COLUMN}${IDENTIFIER}`, 'gi');
  for (const match of code.matchAll(add)) {
    const start = match.index + match[0].length;
    if (unsafe(code.slice(start, endOfDefinition(code, start)))) found.push(match.index);
  }

  // createTable(...).addColumn(..., (c) => c.notNull()) is fine: the table is new and empty.
  for (const chain of code.matchAll(/\.\s*alterTable\s*\(/gi)) {
    const rest = code.slice(chain.index);
    const end = rest.search(/\.\s*(?:execute|compile)\s*\(/i);
    const statement = end === -1 ? rest : rest.slice(0, end);
    for (const column of statement.matchAll(/\.\s*addColumn\s*\(/gi)) {
      const open = column.index + column[0].length;
      if (unsafe(statement.slice(open, endOfDefinition(statement, open, true)))) found.push(chain.index + column.index);
    }
  }
  return found;
}

/** The end of a column definition: the next top-level `,` or `;`, an unbalanced `)`, or the end of the template. */
function endOfDefinition(text: string, start: number, insideCall = false): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return i;
      depth--;
    } else if (depth === 0 && (c === ';' || c === '`' || (c === ',' && !insideCall))) return i;
  }
  return text.length;
}
