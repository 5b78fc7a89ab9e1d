/** One compiled line of a .gitignore file. */
export interface IgnoreRule {
  /** The line as written (for messages and tests). */
  readonly pattern: string;
  /** `!pattern`: re-includes what an earlier rule excluded. */
  readonly negate: boolean;
  /** `pattern/`: matches directories only. */
  readonly directoryOnly: boolean;
  /** Contains a `/` (other than a trailing one): matched against the path from the .gitignore's folder; otherwise against the name alone, at any depth. */
  readonly anchored: boolean;
  readonly regex: RegExp;
}

/** The rules of one .gitignore file and the folder they apply to (posix, relative to the walk root; '' for the root). */
export interface IgnoreFile {
  readonly base: string;
  readonly rules: readonly IgnoreRule[];
}

function escapeRegex(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}

/**
 * Translates a gitignore glob to a regular expression source: `*` and `?` never cross `/`; a `**`
 * segment (leading, trailing or between slashes) spans any number of folders; `[abc]` and `[!a-z]` are
 * character classes; `\x` escapes.
 * @example globToRegex('*.log') // '^[^/]*\\.log$'
 */
export function globToRegex(glob: string): string {
  let out = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i] ?? '';
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const atEnd = i + 2 === glob.length;
        if (atStart && atEnd) {
          out += '.*';
          i += 2;
          continue;
        }
        if (atStart && glob[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 3;
          continue;
        }
        // `**` elsewhere is an ordinary `*`.
        out += '[^/]*';
        i += 2;
        continue;
      }
      out += '[^/]*';
      i += 1;
    } else if (c === '?') {
      out += '[^/]';
      i += 1;
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        i += 1;
        continue;
      }
      let body = glob.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      out += `[${negated ? '^' : ''}${body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]')}]`;
      i = close + 1;
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[i + 1] ?? '');
      i += 2;
    } else {
      out += escapeRegex(c);
      i += 1;
    }
  }
  return `^${out}$`;
}

/**
 * Parses a .gitignore file. Supported: blank lines and `#` comments, `!` negation, a trailing `/`
 * for directories, a leading or middle `/` anchoring the pattern to the file's folder, `*`, `?`,
 * `**`, character classes and backslash escapes. Trailing spaces are dropped.
 * @example parseGitignore('dist/\n*.log\n!keep.log')
 */
export function parseGitignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.replace(/(?<!\\)\s+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
      line = line.slice(1);
    }
    let directoryOnly = false;
    if (line.endsWith('/')) {
      directoryOnly = true;
      line = line.replace(/\/+$/, '');
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    rules.push({ pattern: raw, negate, directoryOnly, anchored, regex: new RegExp(globToRegex(line)) });
  }
  return rules;
}

/**
 * Whether a path is ignored by the .gitignore files that apply to it (outermost first). As in git,
 * the last matching rule wins, deeper files win over outer ones, and a path inside an ignored
 * folder is never looked at (the walk does not enter it), so `!` cannot re-include it.
 * @example isIgnored([{ base: '', rules: parseGitignore('*.log') }], 'src/a.log', false) // true
 */
export function isIgnored(files: readonly IgnoreFile[], path: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const file of files) {
    let relative: string;
    if (file.base === '') relative = path;
    else if (path.startsWith(`${file.base}/`)) relative = path.slice(file.base.length + 1);
    else continue;
    const name = relative.slice(relative.lastIndexOf('/') + 1);
    for (const rule of file.rules) {
      if (rule.directoryOnly && !isDirectory) continue;
      if (rule.regex.test(rule.anchored ? relative : name)) ignored = !rule.negate;
    }
  }
  return ignored;
}
