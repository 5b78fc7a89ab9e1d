import { MAX_REGEX_INPUT } from './operators.js';
import { describe, expect, it } from 'vitest';
import { MAX_REGEX_LENGTH, regexProblem } from './regex-safety.js';

describe('regexProblem', () => {
  it.each([
    '^[a-z]+@acme\\.io$',
    '@acme\\.io$',
    '^beta-',
    '^user-\\d{1,6}$',
    '^(NL|DE|BE)$',
    '^(?:pro|enterprise)-plan$',
    '^[^@]+@[^@]+\\.[a-z]{2,24}$',
    '^.*.*x$',
    '(ab){2}',
    '(a+){1}',
    '(a+)?',
    '(a+){0,1}',
    '(?:a|b)c+',
    '^a+b+c',
    'Chrome/\\d+',
    '[(a+)+]',
    '^\\(a+\\)+',
    '(?=a)b+',
    '(?<year>\\d{4})-\\d{2}',
    '^\\w+\\s\\w+$',
    'x{2,3}y*?',
    'a\\\\1',
    '^C:\\\\2026\\\\',
    '\\(?<=x',
    '[(?<=]',
    '',
    'a'.repeat(MAX_REGEX_LENGTH),
  ])('accepts %j', (pattern) => {
    expect(regexProblem(pattern)).toBeUndefined();
  });

  it.each([
    ['(a+)+', /nested quantifier/],
    ['(a*)*', /nested quantifier/],
    ['(a+)*$', /nested quantifier/],
    ['^(a+)+$', /nested quantifier/],
    ['(a|aa)+', /nested quantifier/],
    ['(a|a)*', /nested quantifier/],
    ['(.*a){10}', /nested quantifier/],
    ['(.*a){2,}', /nested quantifier/],
    ['(?:a+)+', /nested quantifier/],
    ['(\\w+\\s?)+$', /nested quantifier/],
    ['([a-z]+)*', /nested quantifier/],
    ['((ab)+)+', /nested quantifier/],
    ['((a|b)c)*', /nested quantifier/],
    ['(a+?)+', /nested quantifier/],
    ['(a{2,})+', /nested quantifier/],
    ['(a)\\1', /backreferences/],
    ['(a+)\\2(b)', /backreferences/],
    ['(?<x>a)\\k<x>', /backreferences/],
    ['(?<=a)b', /lookbehind/],
    ['(?<!a)b', /lookbehind/],
    ['(unclosed', /invalid regex/],
    ['a)', /invalid regex/],
    ['*a', /invalid regex/],
    ['[z-a]', /invalid regex/],
    ['a'.repeat(MAX_REGEX_LENGTH + 1), /longer than 256/],
    ['a+b+c+', /unbounded quantifiers/],
    ['a*a*b', /unbounded quantifiers/],
    ['.*a.*b$', /unbounded quantifiers/],
    ['^a+|b+c+', /unbounded quantifiers/],
    ['^.*.*.*x$', /unbounded quantifiers/],
    ['.*a.*a.*a.*a.*a', /unbounded quantifiers/],
    ['^[^@]+@[^@]+\\.[a-z]{2,}$', /unbounded quantifiers/],
  ] as const)('rejects %j', (pattern, problem) => {
    expect(regexProblem(pattern)).toMatch(problem);
  });

  it('keeps accepted patterns fast on adversarial input', () => {
    const input = `${'a'.repeat(MAX_REGEX_INPUT)}!`;
    for (const pattern of ['^[a-z]+@acme\\.io$', '^(a|b)c+$', '(ab){2}', '^a+b+c$', '^.*.*x$', '^.*a.*b$', '.*x', 'a+b']) {
      expect(regexProblem(pattern)).toBeUndefined();
      const start = performance.now();
      new RegExp(pattern).test(input);
      expect(performance.now() - start).toBeLessThan(50);
    }
  });
});
