/** A parsed semantic version (build metadata is dropped: it does not take part in precedence). */
export interface SemVer {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease: readonly string[];
}

// Case-insensitive only so that [a-z] covers A-Z: the grammar has no other letters.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-z-][\da-z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-z-][\da-z-]*))*))?(?:\+[\da-z-]+(?:\.[\da-z-]+)*)?$/i;

/**
 * Parses a version by the Semantic Versioning 2.0.0 grammar; anything else is `undefined`.
 * @example parseSemver('1.2.3-rc.1+build.5')?.prerelease // ['rc', '1']
 */
export function parseSemver(text: string): SemVer | undefined {
  if (text.length > 256) return undefined;
  const m = SEMVER.exec(text);
  if (m === null) return undefined;
  return { major: m[1] ?? '0', minor: m[2] ?? '0', patch: m[3] ?? '0', prerelease: m[4] === undefined ? [] : m[4].split('.') };
}

const NUMERIC = /^\d+$/;

// Numeric identifiers have no leading zeros, so a longer one is larger; this avoids BigInt for huge numbers.
function compareNumeric(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareIdentifier(a: string, b: string): number {
  const an = NUMERIC.test(a);
  const bn = NUMERIC.test(b);
  if (an && bn) return compareNumeric(a, b);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semver precedence: -1, 0 or 1. A pre-release sorts before its release; identifiers compare
 * numerically when numeric, in ASCII order otherwise, and numeric identifiers sort first.
 * @example compareSemver(parseSemver('1.0.0-alpha')!, parseSemver('1.0.0')!) // -1
 */
export function compareSemver(a: SemVer, b: SemVer): number {
  const core = compareNumeric(a.major, b.major) || compareNumeric(a.minor, b.minor) || compareNumeric(a.patch, b.patch);
  if (core !== 0) return core;
  const ap = a.prerelease;
  const bp = b.prerelease;
  if (ap.length === 0 || bp.length === 0) return ap.length === bp.length ? 0 : ap.length === 0 ? 1 : -1;
  const n = Math.min(ap.length, bp.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifier(ap[i] ?? '', bp[i] ?? '');
    if (c !== 0) return c;
  }
  return ap.length === bp.length ? 0 : ap.length < bp.length ? -1 : 1;
}

// A numeric identifier as its length, then its digits: with no leading zeros, a longer one is larger.
const lengthFirst = (digits: string): string => String.fromCharCode(digits.length) + digits;

/**
 * A version as a string whose order (`<`, `===`, `>`) is semver precedence, or `undefined` when it is
 * not one: what the compact evaluator compares, instead of {@link compareSemver}. Numeric parts are
 * prefixed with their length; a pre-release identifier with \x01 (numeric) or \x02 (alphanumeric),
 * which sort below every identifier character; a release ends in \x03, above any pre-release.
 * @example semverKey('1.0.0-alpha')! < semverKey('1.0.0')! // true
 */
export function semverKey(text: unknown): string | undefined {
  const m = typeof text == 'string' && text.length <= 256 ? SEMVER.exec(text) : null;
  return m ? lengthFirst(m[1]!) + lengthFirst(m[2]!) + lengthFirst(m[3]!) + (m[4] ? m[4].split('.').map((id) => (NUMERIC.test(id) ? `\x01${lengthFirst(id)}` : `\x02${id}`)).join('') : '\x03') : undefined;
}
