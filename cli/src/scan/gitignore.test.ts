import { describe, expect, it } from 'vitest';
import { globToRegex, isIgnored, parseGitignore, type IgnoreFile } from './gitignore.js';

function ignored(text: string, path: string, dir = false, base = ''): boolean {
  return isIgnored([{ base, rules: parseGitignore(text) }], path, dir);
}

describe('gitignore matcher', () => {
  it('matches a name without a slash at any depth', () => {
    expect(ignored('*.log', 'a.log')).toBe(true);
    expect(ignored('*.log', 'src/deep/a.log')).toBe(true);
    expect(ignored('*.log', 'src/a.logx')).toBe(false);
    expect(ignored('build', 'packages/app/build', true)).toBe(true);
    expect(ignored('build', 'packages/app/build')).toBe(true);
  });

  it('anchors patterns with a leading or middle slash to the file\'s folder', () => {
    expect(ignored('/generated', 'generated', true)).toBe(true);
    expect(ignored('/generated', 'src/generated', true)).toBe(false);
    expect(ignored('src/gen', 'src/gen', true)).toBe(true);
    expect(ignored('src/gen', 'lib/src/gen', true)).toBe(false);
    expect(ignored('*.ts', 'app/x.ts', false, 'app')).toBe(true);
    expect(ignored('/x.ts', 'app/x.ts', false, 'app')).toBe(true);
    expect(ignored('/x.ts', 'other/x.ts', false, 'app')).toBe(false);
  });

  it('matches directories only with a trailing slash', () => {
    expect(ignored('out/', 'out', true)).toBe(true);
    expect(ignored('out/', 'out', false)).toBe(false);
    expect(ignored('out/', 'a/out', true)).toBe(true);
  });

  it('supports ** at the start, the end and in the middle', () => {
    expect(ignored('**/fixtures', 'fixtures', true)).toBe(true);
    expect(ignored('**/fixtures', 'a/b/fixtures', true)).toBe(true);
    expect(ignored('vendor/**', 'vendor/a/b.ts')).toBe(true);
    expect(ignored('vendor/**', 'vendor', true)).toBe(false);
    expect(ignored('a/**/z.ts', 'a/z.ts')).toBe(true);
    expect(ignored('a/**/z.ts', 'a/b/c/z.ts')).toBe(true);
    expect(ignored('a/**/z.ts', 'b/a/z.ts')).toBe(false);
  });

  it('lets a later ! rule re-include, and the last match wins', () => {
    expect(ignored('*.ts\n!keep.ts', 'keep.ts')).toBe(false);
    expect(ignored('*.ts\n!keep.ts', 'drop.ts')).toBe(true);
    expect(ignored('!keep.ts\n*.ts', 'keep.ts')).toBe(true);
  });

  it('lets deeper files override outer ones', () => {
    const files: IgnoreFile[] = [
      { base: '', rules: parseGitignore('*.gen.ts') },
      { base: 'src', rules: parseGitignore('!wanted.gen.ts') },
    ];
    expect(isIgnored(files, 'src/wanted.gen.ts', false)).toBe(false);
    expect(isIgnored(files, 'src/other.gen.ts', false)).toBe(true);
    expect(isIgnored(files, 'lib/wanted.gen.ts', false)).toBe(true);
  });

  it('handles comments, blank lines, escapes, ? and character classes', () => {
    expect(ignored('# a comment\n\n', '# a comment')).toBe(false);
    expect(ignored('\\#hash', '#hash')).toBe(true);
    expect(ignored('\\!bang', '!bang')).toBe(true);
    expect(ignored('file?.js', 'file1.js')).toBe(true);
    expect(ignored('file?.js', 'file12.js')).toBe(false);
    expect(ignored('file[0-9].js', 'file7.js')).toBe(true);
    expect(ignored('file[!0-9].js', 'file7.js')).toBe(false);
    expect(ignored('file[!0-9].js', 'filex.js')).toBe(true);
    expect(ignored('*.js   ', 'a.js')).toBe(true);
    expect(globToRegex('a.b+c')).toBe('^a\\.b\\+c$');
  });
});
