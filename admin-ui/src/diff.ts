/** One changed leaf between two JSON values. */
export interface Change {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly kind: 'added' | 'removed' | 'changed';
}

const MISSING = Symbol('missing');

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The leaves that differ between `before` and `after`, as paths like `rules[0].clauses[1].values`.
 * Arrays of scalars compare as a whole (a list of keys reads better as one line than per index).
 */
export function diff(before: unknown, after: unknown, path = ''): Change[] {
  const out: Change[] = [];
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (a === b || (a === MISSING && b === MISSING)) return;
    // An object on one side and an object or nothing (or null) on the other: compare field by field.
    const empty = (v: unknown): boolean => v === MISSING || v === null;
    if ((isObject(a) || empty(a)) && (isObject(b) || empty(b)) && (isObject(a) || isObject(b))) {
      const oa = isObject(a) ? a : {};
      const ob = isObject(b) ? b : {};
      for (const k of new Set([...Object.keys(oa), ...Object.keys(ob)])) walk(k in oa ? oa[k] : MISSING, k in ob ? ob[k] : MISSING, join(at, k));
      return;
    }
    const objectArray = (v: unknown): v is unknown[] => Array.isArray(v) && v.some((x) => typeof x === 'object' && x !== null);
    if ((objectArray(a) || objectArray(b)) && (Array.isArray(a) || a === MISSING) && (Array.isArray(b) || b === MISSING)) {
      const la = Array.isArray(a) ? a : [];
      const lb = Array.isArray(b) ? b : [];
      for (let i = 0; i < Math.max(la.length, lb.length); i++) walk(i < la.length ? la[i] : MISSING, i < lb.length ? lb[i] : MISSING, join(at, i));
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (a === MISSING) out.push({ path: at, before: undefined, after: b, kind: 'added' });
    else if (b === MISSING) out.push({ path: at, before: a, after: undefined, kind: 'removed' });
    else out.push({ path: at, before: a, after: b, kind: 'changed' });
  };
  walk(before ?? MISSING, after ?? MISSING, path);
  return out;
}

/** A value as one short line for a diff cell. */
export function show(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
