/** Longest regular expression accepted in a `matches` clause. */
export const MAX_REGEX_LENGTH = 256;

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
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not allowed';
  if (/\(\?<[=!]/.test(pattern)) return 'lookbehind assertions are not allowed';
  return nestedQuantifier(pattern);
}

interface Group {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

// Walks the pattern once, tracking per group whether its body contains a quantifier or an
// alternation; a group that does and is itself quantified is rejected.
function nestedQuantifier(pattern: string): string | undefined {
  const stack: Group[] = [{ hasQuantifier: false, hasAlternation: false }];
  let inClass = false;
  let lastClosed: Group | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
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
