import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSemver, parseSemver, semverKey, type SemVer } from './semver.js';

function v(text: string): SemVer {
  const parsed = parseSemver(text);
  if (parsed === undefined) throw new Error(`not a semantic version: ${text}`);
  return parsed;
}

const cmp = (a: string, b: string): number => compareSemver(v(a), v(b));

describe('parseSemver', () => {
  it('parses core, pre-release and drops build metadata', () => {
    expect(parseSemver('1.2.3')).toEqual({ major: '1', minor: '2', patch: '3', prerelease: [] });
    expect(parseSemver('1.2.3-rc.1+build.5')).toEqual({ major: '1', minor: '2', patch: '3', prerelease: ['rc', '1'] });
    expect(parseSemver('0.0.0')).toEqual({ major: '0', minor: '0', patch: '0', prerelease: [] });
    expect(parseSemver('1.0.0+20130313144700')?.prerelease).toEqual([]);
    expect(parseSemver('1.0.0-x-y-z.--')?.prerelease).toEqual(['x-y-z', '--']);
    expect(parseSemver('1.0.0-0A.is.legal')?.prerelease).toEqual(['0A', 'is', 'legal']);
  });

  it.each([
    '1.0.0',
    '10.20.30',
    '1.1.2-prerelease+meta',
    '1.0.0-alpha',
    '1.0.0-alpha.beta.1',
    '1.0.0-alpha0.valid',
    '1.0.0-rc.1+build.123',
    '2.0.0+build.1848',
    '1.0.0+0.build.1-rc.10000aaa-kk-0.1',
    '99999999999999999999999.999999999999999999.99999999999999999',
  ])('accepts %s', (text) => {
    expect(parseSemver(text)).toBeDefined();
  });

  it.each([
    '',
    '1',
    '1.2',
    '1.2.3.4',
    'v1.2.3',
    'V1.2.3',
    '=1.2.3',
    ' 1.2.3',
    '1.2.3 ',
    '01.2.3',
    '1.02.3',
    '1.2.03',
    '1.2.3-',
    '1.2.3-01',
    '1.2.3-alpha..1',
    '1.2.3-alpha.01',
    '1.2.3+',
    '1.2.3+build..1',
    '1.2.3-béta',
    '-1.2.3',
    '1.2.x',
    '1.2.*',
    '^1.2.3',
    `1.0.0-${'a'.repeat(300)}`,
  ])('rejects %j', (text) => {
    expect(parseSemver(text)).toBeUndefined();
  });
});

describe('compareSemver', () => {
  it('orders the SemVer 2.0.0 specification example (section 11)', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const a = ordered[i] as string;
        const b = ordered[j] as string;
        expect({ a, b, c: cmp(a, b) }).toEqual({ a, b, c: Math.sign(i - j) });
      }
    }
  });

  it('compares major, minor and patch numerically', () => {
    expect(cmp('1.0.0', '2.0.0')).toBe(-1);
    expect(cmp('2.0.0', '2.1.0')).toBe(-1);
    expect(cmp('2.1.0', '2.1.1')).toBe(-1);
    expect(cmp('1.10.0', '1.9.0')).toBe(1);
    expect(cmp('10.0.0', '9.99.99')).toBe(1);
    expect(cmp('1.0.10', '1.0.9')).toBe(1);
  });

  it('compares numbers beyond 2^53 exactly', () => {
    expect(cmp('9007199254740993.0.0', '9007199254740992.0.0')).toBe(1);
    expect(cmp('1.0.0-9007199254740993', '1.0.0-9007199254740992')).toBe(1);
  });

  it('ignores build metadata', () => {
    expect(cmp('1.0.0+build.1', '1.0.0+build.2')).toBe(0);
    expect(cmp('1.0.0+build', '1.0.0')).toBe(0);
    expect(cmp('1.0.0-rc.1+a', '1.0.0-rc.1+b')).toBe(0);
  });

  it('sorts a pre-release before its release, and before the next patch', () => {
    expect(cmp('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(cmp('1.0.0', '1.0.0-rc.1')).toBe(1);
    expect(cmp('1.0.1-alpha', '1.0.0')).toBe(1);
  });

  it('sorts numeric identifiers before alphanumeric ones and alphanumeric ones in ASCII order', () => {
    expect(cmp('1.0.0-1', '1.0.0-a')).toBe(-1);
    expect(cmp('1.0.0-999', '1.0.0-0a')).toBe(-1);
    expect(cmp('1.0.0-Beta', '1.0.0-alpha')).toBe(-1);
    expect(cmp('1.0.0-a-b', '1.0.0-a.b')).toBe(1);
    expect(cmp('1.0.0-alpha', '1.0.0-alpha.0')).toBe(-1);
    expect(cmp('1.0.0-2', '1.0.0-10')).toBe(-1);
  });

  it('is antisymmetric and reflexive', () => {
    const versions = ['0.0.1', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0', '1.0.0+b', '1.2.3-x.7.z.92', '2.0.0-rc.1'];
    for (const a of versions) {
      expect(cmp(a, a)).toBe(0);
      for (const b of versions) expect(cmp(a, b)).toBe(-cmp(b, a) || 0);
    }
  });
});

describe('semverKey', () => {
  const sign = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  // Versions built from few pieces, so that random pairs often share a core or a pre-release prefix.
  const numeric = fc.oneof(fc.constantFrom('0', '1', '2', '9', '10', '11', '99', '100', '18446744073709551616'), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String));
  const alphanumeric = fc.oneof(fc.constantFrom('a', 'alpha', 'alpha0', 'b', 'beta', 'rc', 'x-y', '-', '--', '0a', 'A', 'Z', 'z'), fc.stringMatching(/^[0-9A-Za-z-]{0,4}[A-Za-z-][0-9A-Za-z-]{0,4}$/));
  const version = fc
    .tuple(numeric, numeric, numeric, fc.array(fc.oneof(numeric, alphanumeric), { maxLength: 4 }), fc.option(fc.constantFrom('b', 'build.5', '001')))
    .map(([major, minor, patch, pre, build]) => `${major}.${minor}.${patch}${pre.length > 0 ? `-${pre.join('.')}` : ''}${build === null ? '' : `+${build}`}`);

  it('orders versions as compareSemver does', () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        expect(sign(semverKey(a)!, semverKey(b)!)).toBe(compareSemver(v(a), v(b)));
      }),
      { numRuns: 20_000 },
    );
  });

  it('is undefined exactly when parseSemver is', () => {
    fc.assert(
      fc.property(fc.oneof(version, fc.string({ maxLength: 12 }), fc.anything()), (text) => {
        expect(semverKey(text) === undefined).toBe(typeof text !== 'string' || parseSemver(text) === undefined);
      }),
      { numRuns: 5_000 },
    );
  });
});
