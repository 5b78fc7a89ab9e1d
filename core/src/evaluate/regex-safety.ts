/** Longest regular expression accepted in a `matches` clause. */
export const MAX_REGEX_LENGTH = 256;

/**
 * Most unbounded quantifiers (`*`, `+`, `{n,}`) in one pattern, an unanchored start counting as one.
 * Each can multiply backtracking by the input length, so with this limit and the 1024-character input
 * cap the worst case is about a million steps; `.*a.*a.*a` style patterns (polynomial blow-up) are refused.
 */
export const MAX_UNBOUNDED_QUANTIFIERS = 2;

// Counts *, + and {n,} outside character classes and escapes, plus one for a pattern not anchored
// with ^ (a search retries from every position, which costs another factor of the input length).
function unboundedQuantifiers(pattern: string): number {
  let count = 0;
  let inClass = false;
  let depth = 0;
  let topLevelAlternation = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) topLevelAlternation = true;
    else if (ch === '*' || ch === '+') count++;
    else if (ch === '{' && /^\{\d+,\}/.test(pattern.slice(i))) count++;
  }
  const anchored = pattern.startsWith('^') && !topLevelAlternation;
  return anchored ? count : count + 1;
}

/**
 * Checks that a `matches` pattern is safe to run on user input: bounded length, compiles, no
 * backreferences or lookbehinds, and no nested quantifiers such as `(a+)+` or `(a|aa)*`, the shapes
 * behind catastrophic backtracking. Returns the problem, or `undefined` when the pattern is accepted.
 * @example regexProblem('(a+)+$') // 'nested quantifier ...'
 */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) return `regex is longer than ${MAX_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch (error) {
    return `invalid regex: ${error instanceof Error ? error.message : String(error)}`;
  }
  const problem = unsafeConstruct(pattern);
  if (problem !== undefined) return problem;
  if (unboundedQuantifiers(pattern) > MAX_UNBOUNDED_QUANTIFIERS) {
    return `at most ${MAX_UNBOUNDED_QUANTIFIERS} unbounded quantifiers (*, +, {n,}) per pattern, counting an unanchored start (no ^) as one: anchor it or bound the others, e.g. {1,64}`;
  }
  return undefined;
}

interface Group {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

// Walks the pattern once, rejecting backreferences and lookbehinds, and tracking per group whether
// its body contains a quantifier or an alternation; a group that does and is itself quantified is
// rejected. Escapes are skipped as a unit, so `\\1` (a literal backslash, then "1") is no backreference.
function unsafeConstruct(pattern: string): string | undefined {
  const stack: Group[] = [{ hasQuantifier: false, hasAlternation: false }];
  let inClass = false;
  let lastClosed: Group | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if ((next >= '1' && next <= '9') || (next === 'k' && pattern[i + 2] === '<')) return 'backreferences are not allowed';
      i++;
      lastClosed = undefined;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return 'unbalanced parentheses';
    switch (ch) {
      case '[':
        inClass = true;
        lastClosed = undefined;
        break;
      case '(':
        if (pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) return 'lookbehind assertions are not allowed';
        stack.push({ hasQuantifier: false, hasAlternation: false });
        lastClosed = undefined;
        break;
      case ')': {
        const closed = stack.pop();
        const parent = stack[stack.length - 1];
        if (closed === undefined || parent === undefined) return 'unbalanced parentheses';
        parent.hasQuantifier ||= closed.hasQuantifier;
        parent.hasAlternation ||= closed.hasAlternation;
        lastClosed = closed;
        continue;
      }
      case '|':
        top.hasAlternation = true;
        lastClosed = undefined;
        break;
      case '*':
      case '+':
      case '?':
      case '{': {
        if (ch === '{' && !/^\{\d+(,\d*)?\}/.test(pattern.slice(i))) break;
        const repeats = ch !== '?' && !/^\{(0|1)(,(0|1))?\}/.test(pattern.slice(i));
        if (lastClosed !== undefined && repeats && (lastClosed.hasQuantifier || lastClosed.hasAlternation)) {
          return `nested quantifier at position ${i}: a repeated group that itself repeats or alternates can backtrack catastrophically`;
        }
        if (repeats) top.hasQuantifier = true;
        if (ch === '{') i = pattern.indexOf('}', i);
        // A lazy or possessive marker after a quantifier is not itself a quantifier.
        if (pattern[i + 1] === '?') i++;
        lastClosed = undefined;
        continue;
      }
      default:
        lastClosed = undefined;
    }
  }
  return undefined;
}
