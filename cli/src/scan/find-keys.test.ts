import { describe, expect, it } from 'vitest';
import { aliases, findFlagKeys, FLAG_FUNCTIONS } from './find-keys.js';

const keys = (source: string, functions?: readonly string[]): string[] => findFlagKeys(source, functions).map((u) => u.key);

describe('findFlagKeys', () => {
  it('finds keys in SDK calls, as functions and as methods, with any quotes', () => {
    const source = `
      if (flags.enabled('new-checkout', ctx)) {}
      const layout = client.variant("checkout-layout", ctx, 'control');
      const d = flags?.detail(\`pricing.v2\`, ctx);
      enabled('bare_call');
      this.flags.isEnabled( 'spaced' , ctx);
      await of.getBooleanValue('of-bool', false, { targetingKey: 'u' });
      await of.getStringValue('of-string', 'x');
      await of.getNumberValue('of-number', 1);
      await of.getObjectValue('of-object', {});
      await of.getBooleanDetails('of-details', false);
      flags.enabled<boolean>('generic-arg');
      flags.enabled(
        'next-line',
      );
    `;
    expect(keys(source)).toEqual(['new-checkout', 'checkout-layout', 'pricing.v2', 'bare_call', 'spaced', 'of-bool', 'of-string', 'of-number', 'of-object', 'of-details', 'generic-arg', 'next-line']);
  });

  it('ignores dynamic keys, other functions and non-keys', () => {
    const source = `
      flags.enabled(name, ctx);
      flags.enabled(\`flag-\${x}\`, ctx);
      flags.enabled('Upper-Case');
      notenabled('nope');
      myvariant('nope2');
      analytics.track('checkout-completed');
      flags.enabled('a' + suffix);
      $enabled('dollar');
    `;
    // 'a' + suffix still starts with a complete literal: the key 'a' is what the code names first.
    expect(keys(source)).toEqual(['a']);
  });

  it('follows renamed destructuring, renamed imports and aliases in the same file', () => {
    const source = `
      import { enabled as isOn, variant } from './flags';
      const { enabled: on, detail: explain = fallback } = flags;
      let check = flags.enabled.bind(flags);
      var v = client.variant;
      isOn('from-import');
      on('from-destructuring');
      explain('from-default');
      check('from-bind');
      v('from-member', ctx, 'x');
      variant('plain');
    `;
    expect(aliases(source, new Set(FLAG_FUNCTIONS)).sort()).toEqual(['check', 'explain', 'isOn', 'on', 'v']);
    expect(keys(source)).toEqual(['from-import', 'from-destructuring', 'from-default', 'from-bind', 'from-member', 'plain']);
  });

  it('does not let an alias from one file leak into another', () => {
    expect(keys("const { enabled: on } = flags; on('one');")).toEqual(['one']);
    expect(keys("on('two');")).toEqual([]);
  });

  it('takes extra function names', () => {
    expect(keys("useFlag('hooked'); enabled('plain')", [...FLAG_FUNCTIONS, 'useFlag'])).toEqual(['hooked', 'plain']);
  });

  it('reports 1-based lines and columns', () => {
    const source = "const a = 1;\n  if (flags.enabled('x-1')) {}\n\nvariant('y-2', c, 'd'); enabled('z-3')";
    expect(findFlagKeys(source)).toEqual([
      { key: 'x-1', line: 2, column: 22 },
      { key: 'y-2', line: 4, column: 10 },
      { key: 'z-3', line: 4, column: 34 },
    ]);
  });
});
