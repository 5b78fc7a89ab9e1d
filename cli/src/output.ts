/** Where a command writes: stdout for results, stderr for messages and progress. */
export interface Streams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

/** A live progress line on stderr (see {@link Output.progress}). */
export interface Progress {
  /**
   * Shows `text`. On a terminal the line is rewritten in place; otherwise a line is printed only when
   * `key` (default: the text) changes, so logs get one line per change, not one per poll.
   */
  update(text: string, key?: string): void;
  /** Ends the line (on a terminal) so later output starts on a fresh line. */
  done(): void;
}

/**
 * The output rules: `--json` prints exactly one JSON document on stdout; human results go to stdout;
 * messages, warnings and progress go to stderr.
 * @example const out = new Output(process, json); out.result({ open: true }, () => 'open');
 */
export class Output {
  private wroteJson = false;

  constructor(
    private readonly streams: Streams,
    /** Whether `--json` was given. */
    readonly json: boolean,
  ) {}

  /** Prints a command's result: the document with `--json`, else the human text (if any). */
  result(document: unknown, human: () => string | undefined): void {
    if (this.json) {
      this.document(document);
      return;
    }
    const text = human();
    if (text !== undefined && text !== '') this.streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Prints one JSON document on stdout; a second call is ignored (one document per run). */
  document(document: unknown): void {
    if (this.wroteJson) return;
    this.wroteJson = true;
    this.streams.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }

  /** True once a JSON document was printed. */
  get printedJson(): boolean {
    return this.wroteJson;
  }

  /** A message for people, on stderr. */
  info(text: string): void {
    this.streams.stderr.write(`${text}\n`);
  }

  /** A warning on stderr. */
  warn(text: string): void {
    this.streams.stderr.write(`warning: ${text}\n`);
  }

  /** A live progress line on stderr. */
  progress(): Progress {
    const tty = this.streams.stderr.isTTY === true;
    const stderr = this.streams.stderr;
    let lastKey: string | undefined;
    let open = false;
    return {
      update(text, key = text) {
        if (tty) {
          stderr.write(`\r${text}\x1b[K`);
          open = true;
        } else if (key !== lastKey) {
          stderr.write(`${text}\n`);
        }
        lastKey = key;
      },
      done() {
        if (tty && open) stderr.write('\n');
        open = false;
      },
    };
  }
}

/**
 * Lays out rows as a plain-text table with a header, columns padded to their widest cell.
 * @example table(['KEY', 'STATE'], [['new-checkout', 'on']])
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
