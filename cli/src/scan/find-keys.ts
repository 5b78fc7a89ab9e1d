/**
 * Functions and methods whose first argument is a flag key: the Switchyard SDKs' `enabled`, `variant`,
 * `detail`, common wrappers (`isEnabled`) and the OpenFeature client's typed getters.
 */
export const FLAG_FUNCTIONS: readonly string[] = [
  'enabled',
  'isEnabled',
  'variant',
  'detail',
  'getBooleanValue',
  'getStringValue',
  'getNumberValue',
  'getObjectValue',
  'getBooleanDetails',
  'getStringDetails',
  'getNumberDetails',
  'getObjectDetails',
];

/** Where a key is used: 1-based line and column. */
export interface KeyUse {
  readonly key: string;
  readonly line: number;
  readonly column: number;
}

const IDENTIFIER = '[A-Za-z_$][\\w$]*';
// `const { enabled: isOn, variant } = flags` (also `let`/`var`, function parameters are not followed by `=`).
const DESTRUCTURING = /\{([^{}]*)\}\s*=(?![=>])/g;
// `import { enabled as isOn } from '…'`
const IMPORT_RENAMES = /\bimport\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{([^{}]*)\}\s*from\b/g;
// `const isOn = flags.enabled;` or `= flags.enabled.bind(flags)`
const ASSIGNMENT = new RegExp(`\\b(?:const|let|var)\\s+(${IDENTIFIER})\\s*=\\s*(?:${IDENTIFIER}\\s*(?:\\?\\.|\\.)\\s*)*(${IDENTIFIER})(?:\\s*\\.\\s*bind\\s*\\([^()]*\\))?\\s*(?:;|$)`, 'gm');

function escape(name: string): string {
  return name.replace(/\$/g, '\\$');
}

const callPatterns = new Map<string, RegExp>();

/**
 * The call pattern for a set of function names: `name(` or `obj.name(` / `obj?.name(`, optional type
 * arguments, then a string literal (quotes or a backtick without `${`) holding a flag key.
 */
function callPattern(names: readonly string[]): RegExp {
  const id = names.join('|');
  let pattern = callPatterns.get(id);
  if (pattern === undefined) {
    pattern = new RegExp(`(?<![\\w$])(?:${names.map(escape).join('|')})\\s*(?:<[^<>()]*>\\s*)?\\(\\s*(['"\`])([a-z0-9][a-z0-9._-]{0,127})\\1`, 'g');
    if (callPatterns.size > 1000) callPatterns.clear();
    callPatterns.set(id, pattern);
  }
  pattern.lastIndex = 0;
  return pattern;
}

/**
 * Local names a file gives the flag functions: renamed destructuring (`const { enabled: isOn } =
 * flags`), renamed imports (`import { enabled as isOn }`) and plain aliases (`const isOn =
 * flags.enabled.bind(flags)`).
 * @example aliases("const { enabled: on } = flags;", new Set(['enabled'])) // ['on']
 */
export function aliases(source: string, functions: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  const fromList = (list: string, separator: RegExp): void => {
    for (const item of list.split(',')) {
      const [name, alias] = item.split(separator).map((s) => s.trim().replace(/\s*=[\s\S]*$/, ''));
      if (name !== undefined && alias !== undefined && functions.has(name) && new RegExp(`^${IDENTIFIER}$`).test(alias)) found.add(alias);
    }
  };
  if (source.includes('{')) {
    for (const match of source.matchAll(DESTRUCTURING)) fromList(match[1] ?? '', /\s*:\s*/);
    for (const match of source.matchAll(IMPORT_RENAMES)) fromList(match[1] ?? '', /\s+as\s+/);
  }
  for (const match of source.matchAll(ASSIGNMENT)) {
    const [, alias, name] = match;
    if (alias !== undefined && name !== undefined && functions.has(name) && !functions.has(alias)) found.add(alias);
  }
  for (const name of functions) found.delete(name);
  return [...found];
}

/**
 * Finds flag keys passed as string literals to the flag functions (and to local aliases of them).
 * Keys built at run time (`enabled(name)`, template literals with `${}`) cannot be seen.
 * @example findFlagKeys("if (flags.enabled('new-checkout', ctx)) {}") // [{ key: 'new-checkout', line: 1, column: 20 }]
 */
export function findFlagKeys(source: string, functions: readonly string[] = FLAG_FUNCTIONS): KeyUse[] {
  const names = [...functions, ...aliases(source, new Set(functions))];
  const pattern = callPattern(names);
  const uses: KeyUse[] = [];
  let line = 1;
  let lineStart = 0;
  let scanned = 0;
  for (let match = pattern.exec(source); match !== null; match = pattern.exec(source)) {
    const key = match[2] ?? '';
    const at = match.index + match[0].length - key.length - 1;
    for (let i = source.indexOf('\n', scanned); i !== -1 && i < at; i = source.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    scanned = at;
    uses.push({ key, line, column: at - lineStart + 1 });
  }
  return uses;
}
