#!/usr/bin/env node
// Writes test/vectors/*.json, the evaluation and bucketing contract every Switchyard SDK runs.
//
//   node test/vectors/generate.mjs          rewrite the files
//   node test/vectors/generate.mjs --check  exit 1 when a file differs from what this script writes
//
// Hand-written cases carry hand-reasoned expectations. Every bucket, and so every variant served by a
// rollout, is computed here with the reference `murmurhash` package and the contract in DESIGN.md
// ("Bucketing"), never with @switchyard/core, so the vectors check the evaluator instead of echoing it.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import murmurhash from 'murmurhash';

const OUT = new URL('./', import.meta.url);
const WEIGHT_TOTAL = 100_000;

// ---------------------------------------------------------------------------------------------------
// The reference: DESIGN.md "Bucketing", implemented from the text with the reference hash.

/** murmurhash3_x86_32(utf8(salt + "/" + value), seed 0) mod 100000 (the package encodes UTF-8). */
function referenceBucket(salt, value) {
  return murmurhash.v3(`${salt}/${value}`, 0) % WEIGHT_TOTAL;
}

/** The variant whose cumulative weight range [start, end) contains the bucket, in list order. */
function variantForBucket(slices, b) {
  let end = 0;
  for (const slice of slices) {
    end += slice.weight;
    if (b < end) return slice.variant;
  }
  throw new Error(`bucket ${b} is outside the rollout`);
}

/** The bucketing value: a string attribute as is, a finite number as its JavaScript string; else none. */
function bucketingValue(context, attribute) {
  const raw = context[attribute];
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return undefined;
}

/** Smallest n such that `${prefix}${n}` falls into each wanted bucket under `salt`. */
function keysForBuckets(salt, prefix, wanted) {
  const missing = new Set(wanted);
  const found = new Map();
  for (let n = 0; missing.size > 0; n++) {
    if (n > 20_000_000) throw new Error(`no key found for buckets ${[...missing]} of salt ${salt}`);
    const b = referenceBucket(salt, `${prefix}${n}`);
    if (missing.has(b)) {
      found.set(b, `${prefix}${n}`);
      missing.delete(b);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Builders.

const BOOLEAN_VARIANTS = [
  { key: 'true', value: true },
  { key: 'false', value: false },
];

/** A complete FlagConfig; boolean, on, serving "false" by default and "false" when off. */
function flag(key, fields = {}) {
  const config = {
    key,
    version: 1,
    type: fields.type ?? 'boolean',
    variants: fields.variants ?? BOOLEAN_VARIANTS,
    enabled: fields.enabled ?? true,
    offVariant: fields.offVariant ?? 'false',
    targets: fields.targets ?? [],
    rules: fields.rules ?? [],
    fallthrough: fields.fallthrough ?? { variant: 'false' },
    prerequisites: fields.prerequisites ?? [],
  };
  if (fields.killed !== undefined) {
    // Keep the documented field order: killed sits before enabled.
    const { key: k, version, type, variants, ...rest } = config;
    return { key: k, version, type, variants, killed: fields.killed, ...rest };
  }
  return config;
}

/** A complete Segment, as SegmentSchema outputs it. */
function segment(key, fields = {}) {
  return {
    key,
    name: fields.name ?? key,
    description: '',
    included: fields.included ?? [],
    excluded: fields.excluded ?? [],
    rules: (fields.rules ?? []).map((clauses) => ({ clauses })),
  };
}

const clause = (attribute, op, values, negate) => (negate ? { attribute, op, values, negate: true } : { attribute, op, values });

/** A boolean flag with one rule "match" of one clause serving true; everyone else falls through to false. */
function clauseFlag(key, c) {
  return flag(key, { rules: [{ id: 'match', clauses: [c], serve: { variant: 'true' } }] });
}

const MATCH = Object.freeze({ value: true, variant: 'true', reason: 'RULE_MATCH', ruleId: 'match' });
const NO_MATCH = Object.freeze({ value: false, variant: 'false', reason: 'FALLTHROUGH' });
const ruleMatch = (ruleId, variant = 'true', value = variant === 'true' ? true : variant === 'false' ? false : variant) => ({ value, variant, reason: 'RULE_MATCH', ruleId });
const served = (reason, variant, value) => ({ value, variant, reason });
const errorDetail = (value, errorCode) => ({ value, reason: 'ERROR', errorCode });

/** Expected detail of a serve (fixed or rollout) by the reference, for a rule (ruleId) or the fallthrough. */
function expectServe(config, serve, context, reason, ruleId) {
  const valueOf = (variant) => {
    const v = config.variants.find((x) => x.key === variant);
    if (v === undefined) throw new Error(`${config.key}: no variant ${variant}`);
    return v.value;
  };
  const detail = (variant, r = reason) => {
    const d = { value: valueOf(variant), variant, reason: r };
    if (r === 'RULE_MATCH') d.ruleId = ruleId;
    return d;
  };
  if ('variant' in serve) return detail(serve.variant);
  const rollout = serve.rollout;
  const value = bucketingValue(context, rollout.bucketBy ?? 'key');
  if (value === undefined) return detail(config.offVariant, 'BUCKET_KEY_MISSING');
  const b = referenceBucket(rollout.salt ?? config.key, value);
  return detail(variantForBucket(rollout.variants, b));
}

const expectFallthrough = (config, context) => expectServe(config, config.fallthrough, context, 'FALLTHROUGH');

function rolloutOf(weights, extra = {}) {
  return { rollout: { variants: Object.entries(weights).map(([variant, weight]) => ({ variant, weight })), ...extra } };
}

// ---------------------------------------------------------------------------------------------------
// Output: pretty but compact, one flag, segment or case per line.

function render(file) {
  const lines = ['{'];
  const entries = Object.entries(file);
  entries.forEach(([name, value], i) => {
    const comma = i < entries.length - 1 ? ',' : '';
    if (Array.isArray(value)) {
      if (value.length === 0) {
        lines.push(`  ${JSON.stringify(name)}: []${comma}`);
        return;
      }
      lines.push(`  ${JSON.stringify(name)}: [`);
      value.forEach((item, j) => lines.push(`    ${JSON.stringify(item)}${j < value.length - 1 ? ',' : ''}`));
      lines.push(`  ]${comma}`);
    } else {
      lines.push(`  ${JSON.stringify(name)}: ${JSON.stringify(value)}${comma}`);
    }
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function checkUnique(fileName, file) {
  const seen = new Set();
  for (const c of file.cases) {
    if (seen.has(c[0])) throw new Error(`${fileName}: duplicate case name ${c[0]}`);
    seen.add(c[0]);
  }
  if (file.flags) {
    const keys = new Set();
    for (const f of file.flags) {
      if (keys.has(f.key)) throw new Error(`${fileName}: duplicate flag ${f.key}`);
      keys.add(f.key);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// bucketing.json

function bucketingFile() {
  const cases = [];
  const add = (name, salt, value) => cases.push([name, salt, value, referenceBucket(salt, value)]);
  const utf8Length = (s) => new TextEncoder().encode(s).length;

  add('empty salt and empty value (hashes "/")', '', '');
  add('empty value', 'new-checkout', '');
  add('empty salt', '', 'user-42');
  add('ascii key', 'new-checkout', 'user-42');
  add('ascii key, other flag', 'checkout-layout', 'user-42');
  add('case matters', 'new-checkout', 'User-42');
  add('whitespace is not trimmed', 'new-checkout', ' user-42 ');
  add('email key', 'new-checkout', 'ana.lopez@example.com');
  add('uuid key', 'new-checkout', '7d444840-9dc0-11d1-b245-5ffdce74fad2');
  add('numeric string key', 'new-checkout', '42');
  add('zero string key', 'new-checkout', '0');
  add('negative number string', 'new-checkout', '-7');
  add('decimal string', 'new-checkout', '1.5');
  add('salt with a slash', 'team/a', 'b');
  add('value with a slash', 'team', 'a/b');
  add('tab and newline', 'new-checkout', 'line\tone\nline two');
  add('punctuation', 'new-checkout', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
  for (let n = 1; n <= 10; n++) add(`sequential key user-${n}`, 'rollout-50', `user-${n}`);

  // Message lengths (bytes of salt + "/" + value) covering every remainder mod 4, twice over.
  const alphabet = 'abcdefghijklmnop';
  for (let n = 0; n <= 9; n++) {
    const value = alphabet.slice(0, n);
    const len = utf8Length(`s/${value}`);
    add(`ascii, ${len} bytes (len % 4 = ${len % 4})`, 's', value);
  }
  for (let n = 0; n <= 3; n++) {
    const salt = 'x'.repeat(n);
    const len = utf8Length(`${salt}/user-42`);
    add(`salt of ${n} chars, ${len} bytes (len % 4 = ${len % 4})`, salt, 'user-42');
  }

  // Long values.
  add('64 chars', 'new-checkout', 'k'.repeat(64));
  add('255 chars', 'new-checkout', 'abc'.repeat(85));
  add('1000 chars', 'new-checkout', '0123456789'.repeat(100));
  add('4096 chars', 'new-checkout', 'user-'.repeat(819) + 'x');

  // Non-ASCII: 2-, 3- and 4-byte UTF-8 sequences, at every alignment within a 4-byte block.
  add('e acute (2 bytes)', 'new-checkout', 'é');
  add('u umlaut (2 bytes)', 'new-checkout', 'ü');
  add('latin-1 word', 'new-checkout', 'Zürich');
  add('decomposed e + combining acute (not normalised)', 'new-checkout', 'e\u0301');
  add('sharp s', 'new-checkout', 'straße');
  add('cyrillic', 'new-checkout', 'пользователь');
  add('greek', 'new-checkout', 'χρήστης');
  add('arabic', 'new-checkout', 'مستخدم');
  add('hebrew', 'new-checkout', 'משתמש');
  add('CJK (3 bytes each)', 'new-checkout', '用户');
  add('japanese', 'new-checkout', 'ユーザー四十二');
  add('korean', 'new-checkout', '사용자');
  add('euro sign (3 bytes)', 'new-checkout', '€100');
  add('BOM character U+FEFF', 'new-checkout', '\uFEFFuser');
  add('emoji (4 bytes, surrogate pair)', 'new-checkout', '😀');
  add('emoji thumbs up', 'new-checkout', '👍');
  add('emoji in ascii', 'new-checkout', 'user-🚀-42');
  add('emoji ZWJ family sequence', 'new-checkout', '👨‍👩‍👧');
  add('flag emoji (regional indicators)', 'new-checkout', '🇳🇱');
  add('emoji with skin tone modifier', 'new-checkout', '👋🏽');
  add('supplementary-plane CJK U+20BB7', 'new-checkout', '𠮷野家');
  add('max code point U+10FFFF', 'new-checkout', '\u{10FFFF}');
  add('highest BMP code point U+FFFF', 'new-checkout', '\uFFFF');
  add('non-ASCII salt', 'prüfung', 'user-42');
  add('emoji salt', '🚀', 'user-42');
  for (const [label, ch] of [['é', 'é'], ['日', '日'], ['😀', '😀']]) {
    for (let pad = 0; pad <= 3; pad++) {
      const value = `${'a'.repeat(pad)}${ch}`;
      const len = utf8Length(`s/${value}`);
      add(`${label} after ${pad} ascii chars, ${len} bytes (len % 4 = ${len % 4})`, 's', value);
    }
  }

  // Keys at the edges of the bucket range, found with the reference hash.
  const edges = keysForBuckets('edges', 'user-', [0, 1, 99_998, 99_999]);
  for (const [b, key] of [...edges].sort((x, y) => x[0] - y[0])) add(`key landing in bucket ${b}`, 'edges', key);

  return {
    description:
      'Bucketing: bucket = murmurhash3_x86_32(utf8(salt + "/" + value), seed 0) mod 100000. Cases: [name, salt, value, expectedBucket]. Expected buckets computed with the reference murmurhash npm package.',
    kind: 'bucketing',
    cases,
  };
}

// ---------------------------------------------------------------------------------------------------
// operators.json: one flag per operator (and its negation), one rule "match" serving true.

function operatorsFile() {
  const flags = [];
  const cases = [];
  // Flag keys are lower-case: op-notIn becomes op-not-in.
  const def = (name, c) => {
    const key = name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`);
    flags.push(clauseFlag(key, c));
    return key;
  };
  const yes = (name, key, context) => cases.push([name, key, context, null, MATCH]);
  const no = (name, key, context) => cases.push([name, key, context, null, NO_MATCH]);

  // eq
  let k = def('op-eq', clause('plan', 'eq', ['pro']));
  yes('eq: equal string', k, { key: 'u1', plan: 'pro' });
  no('eq: different string', k, { key: 'u1', plan: 'free' });
  no('eq: case-sensitive', k, { key: 'u1', plan: 'PRO' });
  no('eq: missing attribute', k, { key: 'u1' });
  no('eq: null attribute is missing', k, { key: 'u1', plan: null });
  no('eq: number vs string value (no coercion)', k, { key: 'u1', plan: 1 });
  no('eq: boolean vs string value', k, { key: 'u1', plan: true });
  yes('eq: list attribute, one element equal', k, { key: 'u1', plan: ['free', 'pro'] });
  no('eq: list attribute, no element equal', k, { key: 'u1', plan: ['free', 'team'] });
  no('eq: empty list attribute', k, { key: 'u1', plan: [] });
  no('eq: without context key, attribute still used', k, { plan: 'free' });
  yes('eq: without context key, attribute matches', k, { plan: 'pro' });

  k = def('op-eq-negated', clause('plan', 'eq', ['pro'], true));
  no('eq negated: equal string', k, { key: 'u1', plan: 'pro' });
  yes('eq negated: different string', k, { key: 'u1', plan: 'free' });
  no('eq negated: missing attribute never matches', k, { key: 'u1' });
  no('eq negated: null attribute never matches', k, { key: 'u1', plan: null });
  yes('eq negated: type mismatch counts as not equal', k, { key: 'u1', plan: 1 });
  no('eq negated: list with an equal element', k, { key: 'u1', plan: ['free', 'pro'] });
  yes('eq negated: list without an equal element', k, { key: 'u1', plan: ['free', 'team'] });
  yes('eq negated: empty list', k, { key: 'u1', plan: [] });

  k = def('op-eq-number', clause('seats', 'eq', [30]));
  yes('eq number: equal', k, { key: 'u1', seats: 30 });
  yes('eq number: 30.0 is 30', k, { key: 'u1', seats: 30.0 });
  no('eq number: different', k, { key: 'u1', seats: 31 });
  no('eq number: numeric string is not a number', k, { key: 'u1', seats: '30' });

  k = def('op-eq-boolean', clause('beta', 'eq', [true]));
  yes('eq boolean: true', k, { key: 'u1', beta: true });
  no('eq boolean: false', k, { key: 'u1', beta: false });
  no('eq boolean: string "true" is not true', k, { key: 'u1', beta: 'true' });
  no('eq boolean: 1 is not true', k, { key: 'u1', beta: 1 });

  // neq
  k = def('op-neq', clause('plan', 'neq', ['pro']));
  no('neq: equal string', k, { key: 'u1', plan: 'pro' });
  yes('neq: different string', k, { key: 'u1', plan: 'free' });
  no('neq: missing attribute never matches', k, { key: 'u1' });
  no('neq: null attribute never matches', k, { key: 'u1', plan: null });
  yes('neq: type mismatch counts as not equal', k, { key: 'u1', plan: 1 });
  no('neq: list with an equal element', k, { key: 'u1', plan: ['free', 'pro'] });
  yes('neq: list without an equal element', k, { key: 'u1', plan: ['free', 'team'] });
  yes('neq: empty list', k, { key: 'u1', plan: [] });

  k = def('op-neq-negated', clause('plan', 'neq', ['pro'], true));
  yes('neq negated: equal string', k, { key: 'u1', plan: 'pro' });
  no('neq negated: different string', k, { key: 'u1', plan: 'free' });
  no('neq negated: missing attribute never matches', k, { key: 'u1' });
  yes('neq negated: list with an equal element', k, { key: 'u1', plan: ['free', 'pro'] });

  // in
  k = def('op-in', clause('country', 'in', ['NL', 'DE', 'BE']));
  yes('in: first value', k, { key: 'u1', country: 'NL' });
  yes('in: last value', k, { key: 'u1', country: 'BE' });
  no('in: not listed', k, { key: 'u1', country: 'FR' });
  no('in: case-sensitive', k, { key: 'u1', country: 'nl' });
  no('in: missing attribute', k, { key: 'u1' });
  yes('in: list attribute with a listed element', k, { key: 'u1', country: ['FR', 'DE'] });
  no('in: list attribute without a listed element', k, { key: 'u1', country: ['FR', 'US'] });

  k = def('op-in-negated', clause('country', 'in', ['NL', 'DE', 'BE'], true));
  no('in negated: listed', k, { key: 'u1', country: 'NL' });
  yes('in negated: not listed', k, { key: 'u1', country: 'FR' });
  no('in negated: missing attribute never matches', k, { key: 'u1' });
  no('in negated: list with a listed element', k, { key: 'u1', country: ['FR', 'DE'] });

  k = def('op-in-mixed-types', clause('tier', 'in', [1, '2', true]));
  yes('in mixed: number 1', k, { key: 'u1', tier: 1 });
  no('in mixed: string "1" is not 1', k, { key: 'u1', tier: '1' });
  yes('in mixed: string "2"', k, { key: 'u1', tier: '2' });
  no('in mixed: number 2 is not "2"', k, { key: 'u1', tier: 2 });
  yes('in mixed: boolean true', k, { key: 'u1', tier: true });
  no('in mixed: string "true" is not true', k, { key: 'u1', tier: 'true' });

  const many = Array.from({ length: 12 }, (_, i) => `acct-${i}`);
  k = def('op-in-many', clause('account', 'in', [...many, 7]));
  yes('in many values: string listed', k, { key: 'u1', account: 'acct-11' });
  no('in many values: string not listed', k, { key: 'u1', account: 'acct-12' });
  yes('in many values: number listed', k, { key: 'u1', account: 7 });
  no('in many values: string "7" is not 7', k, { key: 'u1', account: '7' });

  // notIn
  k = def('op-notIn', clause('country', 'notIn', ['NL', 'DE']));
  no('notIn: listed', k, { key: 'u1', country: 'NL' });
  yes('notIn: not listed', k, { key: 'u1', country: 'FR' });
  no('notIn: missing attribute never matches', k, { key: 'u1' });
  no('notIn: list with a listed element', k, { key: 'u1', country: ['FR', 'DE'] });
  yes('notIn: list without a listed element', k, { key: 'u1', country: ['FR', 'US'] });
  yes('notIn: type mismatch is not listed', k, { key: 'u1', country: 31 });

  k = def('op-notIn-negated', clause('country', 'notIn', ['NL', 'DE'], true));
  yes('notIn negated: listed', k, { key: 'u1', country: 'NL' });
  no('notIn negated: not listed', k, { key: 'u1', country: 'FR' });
  no('notIn negated: missing attribute never matches', k, { key: 'u1' });

  // contains
  k = def('op-contains', clause('email', 'contains', ['@acme.', 'admin']));
  yes('contains: substring', k, { key: 'u1', email: 'ana@acme.io' });
  yes('contains: second value', k, { key: 'u1', email: 'sysadmin@example.com' });
  no('contains: no substring', k, { key: 'u1', email: 'ana@example.com' });
  no('contains: case-sensitive', k, { key: 'u1', email: 'ANA@ACME.IO' });
  no('contains: number attribute', k, { key: 'u1', email: 5 });
  no('contains: missing attribute', k, { key: 'u1' });
  yes('contains: list attribute, one element contains', k, { key: 'u1', email: ['x@example.com', 'y@acme.io'] });

  k = def('op-contains-negated', clause('email', 'contains', ['@acme.', 'admin'], true));
  no('contains negated: substring', k, { key: 'u1', email: 'ana@acme.io' });
  yes('contains negated: no substring', k, { key: 'u1', email: 'ana@example.com' });
  yes('contains negated: number attribute (type mismatch)', k, { key: 'u1', email: 5 });
  no('contains negated: missing attribute never matches', k, { key: 'u1' });

  k = def('op-contains-empty', clause('email', 'contains', ['']));
  yes('contains empty string: any string', k, { key: 'u1', email: 'anything' });
  yes('contains empty string: empty string', k, { key: 'u1', email: '' });
  no('contains empty string: number', k, { key: 'u1', email: 0 });

  // startsWith
  k = def('op-startsWith', clause('path', 'startsWith', ['/admin', '/internal']));
  yes('startsWith: prefix', k, { key: 'u1', path: '/admin/users' });
  yes('startsWith: equal string', k, { key: 'u1', path: '/internal' });
  no('startsWith: not a prefix', k, { key: 'u1', path: '/public/admin' });
  no('startsWith: case-sensitive', k, { key: 'u1', path: '/ADMIN' });
  no('startsWith: missing attribute', k, { key: 'u1' });
  k = def('op-startsWith-negated', clause('path', 'startsWith', ['/admin', '/internal'], true));
  no('startsWith negated: prefix', k, { key: 'u1', path: '/admin/users' });
  yes('startsWith negated: not a prefix', k, { key: 'u1', path: '/public' });
  no('startsWith negated: missing attribute never matches', k, { key: 'u1' });

  // endsWith
  k = def('op-endsWith', clause('email', 'endsWith', ['@acme.io']));
  yes('endsWith: suffix', k, { key: 'u1', email: 'bob@acme.io' });
  no('endsWith: not a suffix', k, { key: 'u1', email: 'bob@acme.io.evil.com' });
  no('endsWith: case-sensitive', k, { key: 'u1', email: 'bob@ACME.IO' });
  no('endsWith: missing attribute', k, { key: 'u1' });
  yes('endsWith: non-ASCII attribute', k, { key: 'u1', email: 'zoë@acme.io' });
  k = def('op-endsWith-negated', clause('email', 'endsWith', ['@acme.io'], true));
  no('endsWith negated: suffix', k, { key: 'u1', email: 'bob@acme.io' });
  yes('endsWith negated: not a suffix', k, { key: 'u1', email: 'bob@example.com' });
  no('endsWith negated: missing attribute never matches', k, { key: 'u1' });

  // matches
  k = def('op-matches', clause('email', 'matches', ['^[a-z]+@acme\\.io$']));
  yes('matches: full match', k, { key: 'u1', email: 'ana@acme.io' });
  no('matches: digits not allowed by the pattern', k, { key: 'u1', email: 'ana1@acme.io' });
  no('matches: case-sensitive', k, { key: 'u1', email: 'Ana@acme.io' });
  no('matches: escaped dot is literal', k, { key: 'u1', email: 'ana@acmexio' });
  no('matches: number attribute', k, { key: 'u1', email: 42 });
  no('matches: missing attribute', k, { key: 'u1' });
  yes('matches: list attribute, one element matches', k, { key: 'u1', email: ['Bad', 'bob@acme.io'] });
  yes('matches: input of exactly 1024 chars is tested', k, { key: 'u1', email: `${'a'.repeat(1016)}@acme.io` });
  no('matches: input over 1024 chars never matches', k, { key: 'u1', email: `${'a'.repeat(1017)}@acme.io` });
  k = def('op-matches-unanchored', clause('version', 'matches', ['beta', '^rc-\\d+$']));
  yes('matches: unanchored pattern finds a substring', k, { key: 'u1', version: '2.0-beta-3' });
  yes('matches: second pattern', k, { key: 'u1', version: 'rc-12' });
  no('matches: neither pattern', k, { key: 'u1', version: 'rc-12a' });
  k = def('op-matches-negated', clause('email', 'matches', ['^[a-z]+@acme\\.io$'], true));
  no('matches negated: full match', k, { key: 'u1', email: 'ana@acme.io' });
  yes('matches negated: no match', k, { key: 'u1', email: 'ana@example.com' });
  no('matches negated: missing attribute never matches', k, { key: 'u1' });
  yes('matches negated: number attribute (type mismatch)', k, { key: 'u1', email: 42 });
  yes('matches negated: over-long input does not match, so the negation does', k, { key: 'u1', email: `${'a'.repeat(4089)}@acme.io` });

  // lt lte gt gte
  k = def('op-lt', clause('age', 'lt', [18]));
  yes('lt: smaller', k, { key: 'u1', age: 17 });
  yes('lt: fraction', k, { key: 'u1', age: 17.5 });
  yes('lt: negative', k, { key: 'u1', age: -1 });
  no('lt: equal', k, { key: 'u1', age: 18 });
  no('lt: larger', k, { key: 'u1', age: 19 });
  no('lt: numeric string is not a number', k, { key: 'u1', age: '17' });
  no('lt: boolean is not a number', k, { key: 'u1', age: false });
  no('lt: missing attribute', k, { key: 'u1' });
  yes('lt: list attribute, one element smaller', k, { key: 'u1', age: [30, 10] });
  k = def('op-lt-negated', clause('age', 'lt', [18], true));
  no('lt negated: smaller', k, { key: 'u1', age: 17 });
  yes('lt negated: equal', k, { key: 'u1', age: 18 });
  yes('lt negated: numeric string (type mismatch)', k, { key: 'u1', age: '17' });
  no('lt negated: missing attribute never matches', k, { key: 'u1' });
  k = def('op-lt-two-values', clause('age', 'lt', [10, 20]));
  yes('lt two values: below either', k, { key: 'u1', age: 15 });
  no('lt two values: below neither', k, { key: 'u1', age: 20 });

  k = def('op-lte', clause('age', 'lte', [18]));
  yes('lte: equal', k, { key: 'u1', age: 18 });
  yes('lte: smaller', k, { key: 'u1', age: 0 });
  no('lte: larger', k, { key: 'u1', age: 18.5 });
  no('lte: missing attribute', k, { key: 'u1' });
  k = def('op-lte-negated', clause('age', 'lte', [18], true));
  no('lte negated: equal', k, { key: 'u1', age: 18 });
  yes('lte negated: larger', k, { key: 'u1', age: 18.5 });
  no('lte negated: missing attribute never matches', k, { key: 'u1' });

  k = def('op-gt', clause('age', 'gt', [65]));
  yes('gt: larger', k, { key: 'u1', age: 66 });
  yes('gt: fraction', k, { key: 'u1', age: 65.5 });
  no('gt: equal', k, { key: 'u1', age: 65 });
  no('gt: smaller', k, { key: 'u1', age: 64 });
  no('gt: boolean true is not a number', k, { key: 'u1', age: true });
  no('gt: missing attribute', k, { key: 'u1' });
  k = def('op-gt-negated', clause('age', 'gt', [65], true));
  no('gt negated: larger', k, { key: 'u1', age: 66 });
  yes('gt negated: equal', k, { key: 'u1', age: 65 });
  no('gt negated: missing attribute never matches', k, { key: 'u1' });

  k = def('op-gte', clause('age', 'gte', [65]));
  yes('gte: equal', k, { key: 'u1', age: 65 });
  yes('gte: larger', k, { key: 'u1', age: 1e6 });
  no('gte: just below', k, { key: 'u1', age: 64.999 });
  no('gte: missing attribute', k, { key: 'u1' });
  k = def('op-gte-negated', clause('age', 'gte', [65], true));
  no('gte negated: equal', k, { key: 'u1', age: 65 });
  yes('gte negated: just below', k, { key: 'u1', age: 64.999 });
  no('gte negated: missing attribute never matches', k, { key: 'u1' });

  // before / after: 2026-01-01T00:00:00Z is 1767225600000 ms since the epoch.
  k = def('op-before', clause('signupDate', 'before', ['2026-01-01T00:00:00Z']));
  yes('before: one second earlier', k, { key: 'u1', signupDate: '2025-12-31T23:59:59Z' });
  no('before: the same instant (strict)', k, { key: 'u1', signupDate: '2026-01-01T00:00:00Z' });
  no('before: one millisecond later', k, { key: 'u1', signupDate: '2026-01-01T00:00:00.001Z' });
  yes('before: offset +01:00 is an hour earlier in UTC', k, { key: 'u1', signupDate: '2026-01-01T00:59:59+01:00' });
  no('before: offset without colon, same instant', k, { key: 'u1', signupDate: '2026-01-01T01:00:00+0100' });
  yes('before: negative offset', k, { key: 'u1', signupDate: '2025-12-31T22:59:59-01:00' });
  no('before: negative offset, same instant', k, { key: 'u1', signupDate: '2025-12-31T23:00:00-01:00' });
  yes('before: no zone is UTC', k, { key: 'u1', signupDate: '2025-12-31T23:59:59' });
  yes('before: date only is UTC midnight', k, { key: 'u1', signupDate: '2025-12-31' });
  no('before: date only, same day', k, { key: 'u1', signupDate: '2026-01-01' });
  yes('before: epoch milliseconds', k, { key: 'u1', signupDate: 1767225599999 });
  no('before: epoch milliseconds, same instant', k, { key: 'u1', signupDate: 1767225600000 });
  no('before: invalid date 2025-02-30', k, { key: 'u1', signupDate: '2025-02-30' });
  no('before: not a date', k, { key: 'u1', signupDate: 'yesterday' });
  no('before: boolean', k, { key: 'u1', signupDate: true });
  no('before: missing attribute', k, { key: 'u1' });
  k = def('op-before-negated', clause('signupDate', 'before', ['2026-01-01T00:00:00Z'], true));
  no('before negated: earlier', k, { key: 'u1', signupDate: '2025-12-31' });
  yes('before negated: later', k, { key: 'u1', signupDate: '2026-06-01T12:00:00Z' });
  yes('before negated: not a date (type mismatch)', k, { key: 'u1', signupDate: 'yesterday' });
  no('before negated: missing attribute never matches', k, { key: 'u1' });

  k = def('op-after', clause('lastSeen', 'after', ['2024-02-29']));
  yes('after: a second after leap-day midnight', k, { key: 'u1', lastSeen: '2024-02-29T00:00:01Z' });
  no('after: the same instant (strict)', k, { key: 'u1', lastSeen: '2024-02-29T00:00:00Z' });
  no('after: earlier', k, { key: 'u1', lastSeen: '2024-02-28T23:59:59.999Z' });
  no('after: 2023-02-29 is not a date', k, { key: 'u1', lastSeen: '2023-02-29' });
  yes('after: 2100-02-28 is later', k, { key: 'u1', lastSeen: '2100-02-28' });
  no('after: 2100-02-29 is not a date (2100 is not a leap year)', k, { key: 'u1', lastSeen: '2100-02-29' });
  yes('after: the next day', k, { key: 'u1', lastSeen: '2024-03-01' });
  yes('after: offset -05:30 moves later in UTC', k, { key: 'u1', lastSeen: '2024-02-28T18:30:01-05:30' });
  no('after: offset -0530 without colon, same instant', k, { key: 'u1', lastSeen: '2024-02-28T18:30:00-0530' });
  yes('after: epoch milliseconds', k, { key: 'u1', lastSeen: 1709164800001 });
  no('after: lower-case z and t are accepted, same instant', k, { key: 'u1', lastSeen: '2024-02-29t00:00:00z' });
  no('after: missing attribute', k, { key: 'u1' });
  yes('after: list attribute, one element later', k, { key: 'u1', lastSeen: ['2020-01-01', '2025-01-01'] });
  k = def('op-after-negated', clause('lastSeen', 'after', ['2024-02-29'], true));
  yes('after negated: earlier', k, { key: 'u1', lastSeen: '2024-01-01' });
  no('after negated: later', k, { key: 'u1', lastSeen: '2024-03-01' });
  no('after negated: missing attribute never matches', k, { key: 'u1' });
  k = def('op-after-epoch-value', clause('lastSeen', 'after', [1767225600000]));
  yes('after epoch value: ISO attribute later', k, { key: 'u1', lastSeen: '2026-01-01T00:00:00.001Z' });
  no('after epoch value: ISO attribute equal', k, { key: 'u1', lastSeen: '2026-01-01' });

  // semver
  k = def('op-semverEq', clause('appVersion', 'semverEq', ['2.1.0']));
  yes('semverEq: equal', k, { key: 'u1', appVersion: '2.1.0' });
  yes('semverEq: build metadata ignored', k, { key: 'u1', appVersion: '2.1.0+build.7' });
  no('semverEq: patch differs', k, { key: 'u1', appVersion: '2.1.1' });
  no('semverEq: pre-release differs', k, { key: 'u1', appVersion: '2.1.0-rc.1' });
  no('semverEq: "v" prefix is not semver', k, { key: 'u1', appVersion: 'v2.1.0' });
  no('semverEq: two components is not semver', k, { key: 'u1', appVersion: '2.1' });
  no('semverEq: leading zero is not semver', k, { key: 'u1', appVersion: '02.1.0' });
  no('semverEq: number attribute', k, { key: 'u1', appVersion: 2.1 });
  no('semverEq: missing attribute', k, { key: 'u1' });
  k = def('op-semverEq-negated', clause('appVersion', 'semverEq', ['2.1.0'], true));
  no('semverEq negated: equal', k, { key: 'u1', appVersion: '2.1.0' });
  yes('semverEq negated: different', k, { key: 'u1', appVersion: '2.2.0' });
  yes('semverEq negated: invalid version (type mismatch)', k, { key: 'u1', appVersion: 'v2.1.0' });
  no('semverEq negated: missing attribute never matches', k, { key: 'u1' });

  k = def('op-semverLt', clause('appVersion', 'semverLt', ['2.0.0']));
  yes('semverLt: smaller', k, { key: 'u1', appVersion: '1.9.9' });
  yes('semverLt: minor compares numerically (1.10.0 < 2.0.0)', k, { key: 'u1', appVersion: '1.10.0' });
  yes('semverLt: pre-release sorts before its release', k, { key: 'u1', appVersion: '2.0.0-rc.1' });
  no('semverLt: equal', k, { key: 'u1', appVersion: '2.0.0' });
  no('semverLt: equal up to build metadata', k, { key: 'u1', appVersion: '2.0.0+exp.sha.5114f85' });
  no('semverLt: major compares numerically (10.0.0 > 2.0.0)', k, { key: 'u1', appVersion: '10.0.0' });
  no('semverLt: invalid version', k, { key: 'u1', appVersion: '1.0' });
  no('semverLt: missing attribute', k, { key: 'u1' });
  k = def('op-semverLt-negated', clause('appVersion', 'semverLt', ['2.0.0'], true));
  no('semverLt negated: smaller', k, { key: 'u1', appVersion: '1.9.9' });
  yes('semverLt negated: equal', k, { key: 'u1', appVersion: '2.0.0' });
  no('semverLt negated: missing attribute never matches', k, { key: 'u1' });
  k = def('op-semverLt-prerelease', clause('appVersion', 'semverLt', ['1.0.0-beta.11']));
  yes('semverLt pre-release: numeric identifiers compare numerically (beta.2 < beta.11)', k, { key: 'u1', appVersion: '1.0.0-beta.2' });
  yes('semverLt pre-release: alpha.beta < beta.11', k, { key: 'u1', appVersion: '1.0.0-alpha.beta' });
  yes('semverLt pre-release: beta < beta.11 (fewer identifiers)', k, { key: 'u1', appVersion: '1.0.0-beta' });
  no('semverLt pre-release: rc.1 > beta.11', k, { key: 'u1', appVersion: '1.0.0-rc.1' });
  no('semverLt pre-release: release > pre-release', k, { key: 'u1', appVersion: '1.0.0' });

  k = def('op-semverGt', clause('appVersion', 'semverGt', ['2.0.0']));
  yes('semverGt: patch larger', k, { key: 'u1', appVersion: '2.0.1' });
  yes('semverGt: major compares numerically', k, { key: 'u1', appVersion: '10.0.0' });
  no('semverGt: pre-release of the same version is smaller', k, { key: 'u1', appVersion: '2.0.0-rc.1' });
  no('semverGt: build metadata does not make it larger', k, { key: 'u1', appVersion: '2.0.0+build.1' });
  no('semverGt: equal', k, { key: 'u1', appVersion: '2.0.0' });
  no('semverGt: missing attribute', k, { key: 'u1' });
  k = def('op-semverGt-negated', clause('appVersion', 'semverGt', ['2.0.0'], true));
  no('semverGt negated: larger', k, { key: 'u1', appVersion: '2.0.1' });
  yes('semverGt negated: equal', k, { key: 'u1', appVersion: '2.0.0' });
  no('semverGt negated: missing attribute never matches', k, { key: 'u1' });
  k = def('op-semverGt-alpha', clause('appVersion', 'semverGt', ['1.0.0-alpha']));
  yes('semverGt alpha: alpha.1 > alpha', k, { key: 'u1', appVersion: '1.0.0-alpha.1' });
  yes('semverGt alpha: numeric identifiers sort before alphanumeric (alpha.beta > alpha.1 > alpha)', k, { key: 'u1', appVersion: '1.0.0-alpha.beta' });
  no('semverGt alpha: equal', k, { key: 'u1', appVersion: '1.0.0-alpha' });
  no('semverGt alpha: ASCII order, upper case sorts first (Alpha < alpha)', k, { key: 'u1', appVersion: '1.0.0-Alpha' });

  // Clauses on the context key itself: browsers receive the string lists of eq/neq/in/notIn hashed
  // (and compare the hashed key), so these cases also check that rewrite in the hashed runs.
  k = def('op-key-in', clause('key', 'in', ['user-1', 'user-2']));
  yes('key in: listed key', k, { key: 'user-2' });
  no('key in: unlisted key', k, { key: 'user-3' });
  no('key in: missing key', k, { plan: 'pro' });
  no('key in: number key never equals a string', k, { key: 2 });
  k = def('op-key-not-in', clause('key', 'notIn', ['user-1']));
  no('key notIn: listed key', k, { key: 'user-1' });
  yes('key notIn: unlisted key', k, { key: 'user-9' });
  no('key notIn: missing key never matches', k, {});
  yes('key notIn: number key counts as not equal', k, { key: 7 });
  k = def('op-key-eq-negated', clause('key', 'eq', ['user-1'], true));
  no('key eq negated: the key', k, { key: 'user-1' });
  yes('key eq negated: another key', k, { key: 'user-10' });
  k = def('op-key-neq', clause('key', 'neq', ['ü-1']));
  no('key neq: the (non-ASCII) key', k, { key: 'ü-1' });
  yes('key neq: another key', k, { key: 'u-1' });
  k = def('op-key-in-mixed', clause('key', 'in', ['user-1', 7]));
  yes('key in mixed list (sent in clear): string', k, { key: 'user-1' });
  yes('key in mixed list (sent in clear): number', k, { key: 7 });
  k = def('op-key-starts-with', clause('key', 'startsWith', ['user-']));
  yes('key startsWith (sent in clear)', k, { key: 'user-5' });
  no('key startsWith (sent in clear): no', k, { key: 'admin-5' });

  // Several clauses in one rule: all must match.
  flags.push(
    flag('op-all-clauses', {
      rules: [{ id: 'match', clauses: [clause('country', 'eq', ['NL']), clause('age', 'gte', [18]), clause('plan', 'in', ['pro'], true)], serve: { variant: 'true' } }],
    }),
  );
  yes('all clauses: every clause matches', 'op-all-clauses', { key: 'u1', country: 'NL', age: 30, plan: 'free' });
  no('all clauses: one clause fails', 'op-all-clauses', { key: 'u1', country: 'NL', age: 30, plan: 'pro' });
  no('all clauses: missing attribute in a negated clause', 'op-all-clauses', { key: 'u1', country: 'NL', age: 30 });

  return {
    description:
      'Every clause operator, positive and negated, with list-valued, missing, null and mistyped attributes. Each flag op-* has one rule "match" serving true; everyone else falls through to false. Cases: [name, flagKey, context, defaultValue, expectedDetail].',
    kind: 'evaluation',
    flags,
    segments: [],
    cases,
  };
}

// ---------------------------------------------------------------------------------------------------
// targeting.json: targets, rule order, fallthrough, off, killed, not found, malformed, unsupported.

const LAYOUT_VARIANTS = [
  { key: 'control', value: 'control' },
  { key: 'grid', value: 'grid' },
  { key: 'list', value: 'list' },
];

function targetingFile() {
  const flags = [];
  const cases = [];
  const schemaInvalidFlags = [];
  const add = (...c) => cases.push(c);

  flags.push(
    flag('checkout-layout', {
      type: 'string',
      variants: LAYOUT_VARIANTS,
      offVariant: 'control',
      targets: [
        { variant: 'grid', values: ['qa-1', 'qa-2'] },
        { variant: 'list', values: ['qa-3'] },
      ],
      rules: [
        { id: 'nl-grid', clauses: [clause('country', 'in', ['NL'])], serve: { variant: 'grid' } },
        { id: 'pro-list', clauses: [clause('plan', 'eq', ['pro'])], serve: { variant: 'list' } },
        { id: 'nl-pro-control', clauses: [clause('country', 'in', ['NL']), clause('plan', 'eq', ['pro'])], serve: { variant: 'control' } },
      ],
      fallthrough: { variant: 'control' },
    }),
  );
  add('target: first target list', 'checkout-layout', { key: 'qa-1' }, 'default', served('TARGET_MATCH', 'grid', 'grid'));
  add('target: second key of a target', 'checkout-layout', { key: 'qa-2', plan: 'pro' }, 'default', served('TARGET_MATCH', 'grid', 'grid'));
  add('target: beats a matching rule', 'checkout-layout', { key: 'qa-3', country: 'NL' }, 'default', served('TARGET_MATCH', 'list', 'list'));
  add('target: keys are case-sensitive', 'checkout-layout', { key: 'QA-1' }, 'default', served('FALLTHROUGH', 'control', 'control'));
  add('target: only the key is compared, not other attributes', 'checkout-layout', { key: 'u9', email: 'qa-1' }, 'default', served('FALLTHROUGH', 'control', 'control'));
  add('rule: first rule', 'checkout-layout', { key: 'u1', country: 'NL' }, 'default', ruleMatch('nl-grid', 'grid'));
  add('rule: first matching rule wins over later ones', 'checkout-layout', { key: 'u1', country: 'NL', plan: 'pro' }, 'default', ruleMatch('nl-grid', 'grid'));
  add('rule: second rule', 'checkout-layout', { key: 'u1', country: 'DE', plan: 'pro' }, 'default', ruleMatch('pro-list', 'list'));
  add('fallthrough: no rule matches', 'checkout-layout', { key: 'u1', country: 'DE', plan: 'free' }, 'default', served('FALLTHROUGH', 'control', 'control'));
  add('fallthrough: empty context', 'checkout-layout', {}, 'default', served('FALLTHROUGH', 'control', 'control'));
  add('rule: context without a key still matches rules', 'checkout-layout', { country: 'NL' }, 'default', ruleMatch('nl-grid', 'grid'));

  flags.push(
    flag('empty-key-target', {
      targets: [{ variant: 'true', values: [''] }],
      fallthrough: { variant: 'false' },
    }),
  );
  add('target: the empty string is a key', 'empty-key-target', { key: '' }, null, served('TARGET_MATCH', 'true', true));
  add('target: a missing key is not the empty string', 'empty-key-target', {}, null, served('FALLTHROUGH', 'false', false));

  flags.push(
    flag('unicode-target', {
      targets: [{ variant: 'true', values: ['josé', '用户-42', '🚀'] }],
    }),
  );
  add('target: non-ASCII key', 'unicode-target', { key: 'josé' }, null, served('TARGET_MATCH', 'true', true));
  add('target: CJK key', 'unicode-target', { key: '用户-42' }, null, served('TARGET_MATCH', 'true', true));
  add('target: emoji key', 'unicode-target', { key: '🚀' }, null, served('TARGET_MATCH', 'true', true));
  add('target: decomposed form is a different key (no normalisation)', 'unicode-target', { key: 'jose\u0301' }, null, served('FALLTHROUGH', 'false', false));

  flags.push(flag('catch-all-rule', { rules: [{ id: 'everyone', clauses: [], serve: { variant: 'true' } }] }));
  add('rule without clauses matches everyone', 'catch-all-rule', { key: 'u1' }, null, ruleMatch('everyone'));
  add('rule without clauses matches an empty context', 'catch-all-rule', {}, null, ruleMatch('everyone'));

  // Off and killed.
  flags.push(
    flag('off-flag', {
      enabled: false,
      targets: [{ variant: 'true', values: ['qa-1'] }],
      rules: [{ id: 'everyone', clauses: [], serve: { variant: 'true' } }],
      fallthrough: { variant: 'true' },
    }),
  );
  add('off: serves offVariant', 'off-flag', { key: 'u1' }, true, served('OFF', 'false', false));
  add('off: beats targets', 'off-flag', { key: 'qa-1' }, true, served('OFF', 'false', false));
  flags.push(flag('off-flag-on-variant', { enabled: false, offVariant: 'true', fallthrough: { variant: 'false' } }));
  add('off: offVariant may be "true"', 'off-flag-on-variant', { key: 'u1' }, false, served('OFF', 'true', true));
  flags.push(flag('killed-flag', { enabled: false, killed: true, fallthrough: { variant: 'true' } }));
  add('killed: reason KILLED', 'killed-flag', { key: 'u1' }, true, served('KILLED', 'false', false));
  flags.push(flag('killed-false-flag', { enabled: false, killed: false, fallthrough: { variant: 'true' } }));
  add('off with killed: false: reason OFF', 'killed-false-flag', { key: 'u1' }, true, served('OFF', 'false', false));
  flags.push(flag('on-flag', { fallthrough: { variant: 'true' } }));
  add('on: fallthrough', 'on-flag', { key: 'u1' }, false, served('FALLTHROUGH', 'true', true));

  // Flag not found: the caller's default, whatever its type.
  const notFound = (value) => ({ value, reason: 'FLAG_NOT_FOUND', errorCode: 'FLAG_NOT_FOUND' });
  add('not found: boolean default', 'no-such-flag', { key: 'u1' }, false, notFound(false));
  add('not found: string default', 'no-such-flag', { key: 'u1' }, 'fallback', notFound('fallback'));
  add('not found: number default', 'no-such-flag', { key: 'u1' }, 0, notFound(0));
  add('not found: JSON default', 'no-such-flag', { key: 'u1' }, { layout: 'grid', columns: [1, 2] }, notFound({ layout: 'grid', columns: [1, 2] }));
  add('not found: null default', 'no-such-flag', { key: 'u1' }, null, notFound(null));
  add('not found: keys are case-sensitive', 'ON-FLAG', { key: 'u1' }, false, notFound(false));

  // Variant values of every type.
  flags.push(
    flag('price-tier', {
      type: 'number',
      variants: [
        { key: 'low', value: 9.99 },
        { key: 'high', value: 19 },
        { key: 'zero', value: 0 },
      ],
      offVariant: 'zero',
      rules: [{ id: 'pro', clauses: [clause('plan', 'eq', ['pro'])], serve: { variant: 'high' } }],
      fallthrough: { variant: 'low' },
    }),
  );
  add('number flag: rule', 'price-tier', { key: 'u1', plan: 'pro' }, -1, ruleMatch('pro', 'high', 19));
  add('number flag: fallthrough', 'price-tier', { key: 'u1' }, -1, served('FALLTHROUGH', 'low', 9.99));
  flags.push(
    flag('banner-config', {
      type: 'json',
      variants: [
        { key: 'none', value: null },
        { key: 'sale', value: { text: 'Sale €', colors: ['red', 'white'], dismissible: true, weight: 1.5 } },
        { key: 'list', value: [1, 'two', false] },
      ],
      offVariant: 'none',
      rules: [{ id: 'nl', clauses: [clause('country', 'eq', ['NL'])], serve: { variant: 'sale' } }],
      fallthrough: { variant: 'list' },
    }),
  );
  add('json flag: object value', 'banner-config', { key: 'u1', country: 'NL' }, {}, ruleMatch('nl', 'sale', { text: 'Sale €', colors: ['red', 'white'], dismissible: true, weight: 1.5 }));
  add('json flag: array value', 'banner-config', { key: 'u1' }, {}, served('FALLTHROUGH', 'list', [1, 'two', false]));
  flags.push(flag('banner-config-off', { type: 'json', variants: [{ key: 'none', value: null }, { key: 'on', value: { a: 1 } }], offVariant: 'none', enabled: false, fallthrough: { variant: 'on' } }));
  add('json flag: null value served when off (not the default)', 'banner-config-off', { key: 'u1' }, { fallback: true }, served('OFF', 'none', null));
  add('default value type is not checked by evaluate', 'on-flag', { key: 'u1' }, 'a string', served('FALLTHROUGH', 'true', true));

  // Unsupported operator: this evaluator does not know "regexCaseless". The flag serves its offVariant.
  const unsupported = flag('unsupported-operator', {
    type: 'string',
    variants: LAYOUT_VARIANTS,
    offVariant: 'control',
    targets: [{ variant: 'grid', values: ['qa-1'] }],
    rules: [
      { id: 'nl', clauses: [clause('country', 'eq', ['NL'])], serve: { variant: 'grid' } },
      { id: 'future', clauses: [clause('email', 'regexCaseless', ['@ACME'])], serve: { variant: 'list' } },
    ],
    fallthrough: { variant: 'list' },
  });
  flags.push(unsupported);
  schemaInvalidFlags.push(unsupported.key);
  const unsupportedDetail = { value: 'control', variant: 'control', reason: 'ERROR', errorCode: 'UNSUPPORTED_OPERATOR' };
  add('unsupported operator: offVariant with ERROR', 'unsupported-operator', { key: 'u1' }, 'default', unsupportedDetail);
  add('unsupported operator: even when an earlier rule matches', 'unsupported-operator', { key: 'u1', country: 'NL' }, 'default', unsupportedDetail);
  add('unsupported operator: even for a targeted key', 'unsupported-operator', { key: 'qa-1' }, 'default', unsupportedDetail);
  const unsupportedOff = flag('unsupported-operator-off', {
    enabled: false,
    rules: [{ id: 'future', clauses: [clause('email', 'regexCaseless', ['@ACME'])], serve: { variant: 'true' } }],
  });
  flags.push(unsupportedOff);
  schemaInvalidFlags.push(unsupportedOff.key);
  add('unsupported operator: an off flag is still OFF', 'unsupported-operator-off', { key: 'u1' }, true, served('OFF', 'false', false));

  // Malformed flags: the caller's default with ERROR, for every context, on or off.
  const malformed = (key, fields, invalid = false) => {
    flags.push(flag(key, fields));
    if (invalid) schemaInvalidFlags.push(key);
    return key;
  };
  let k = malformed('malformed-fallthrough', { fallthrough: { variant: 'maybe' } });
  add('malformed: fallthrough names an unknown variant', k, { key: 'u1' }, 'default', errorDetail('default', 'MALFORMED_FLAG'));
  k = malformed('malformed-rule-serve', {
    rules: [
      { id: 'nl', clauses: [clause('country', 'eq', ['NL'])], serve: { variant: 'true' } },
      { id: 'bad', clauses: [clause('country', 'eq', ['DE'])], serve: { variant: 'maybe' } },
    ],
  });
  add('malformed: a rule serves an unknown variant', k, { key: 'u1', country: 'DE' }, false, errorDetail(false, 'MALFORMED_FLAG'));
  add('malformed: the whole flag is an error, even for a context matching a good rule', k, { key: 'u1', country: 'NL' }, false, errorDetail(false, 'MALFORMED_FLAG'));
  k = malformed('malformed-target', { targets: [{ variant: 'maybe', values: ['qa-1'] }] });
  add('malformed: a target names an unknown variant', k, { key: 'u1' }, null, errorDetail(null, 'MALFORMED_FLAG'));
  k = malformed('malformed-off-variant', { enabled: false, offVariant: 'maybe' });
  add('malformed: unknown offVariant, even when off', k, { key: 'u1' }, true, errorDetail(true, 'MALFORMED_FLAG'));
  k = malformed('malformed-rollout-variant', { fallthrough: rolloutOf({ true: 50_000, maybe: 50_000 }) });
  add('malformed: a rollout names an unknown variant', k, { key: 'u1' }, 'x', errorDetail('x', 'MALFORMED_FLAG'));
  k = malformed('malformed-rollout-sum', { fallthrough: rolloutOf({ true: 50_000, false: 49_999 }) }, true);
  add('malformed: rollout weights sum to 99999', k, { key: 'u1' }, 'x', errorDetail('x', 'MALFORMED_FLAG'));
  k = malformed('malformed-rollout-over', { fallthrough: rolloutOf({ true: 50_000, false: 50_001 }) }, true);
  add('malformed: rollout weights sum to 100001', k, { key: 'u1' }, 'x', errorDetail('x', 'MALFORMED_FLAG'));
  k = malformed('malformed-rollout-negative', { fallthrough: rolloutOf({ true: -1, false: 100_001 }) }, true);
  add('malformed: negative rollout weight', k, { key: 'u1' }, 'x', errorDetail('x', 'MALFORMED_FLAG'));
  k = malformed('malformed-rollout-fraction', { fallthrough: rolloutOf({ true: 0.5, false: 99_999.5 }) }, true);
  add('malformed: fractional rollout weight', k, { key: 'u1' }, 'x', errorDetail('x', 'MALFORMED_FLAG'));
  k = malformed('malformed-regex', { rules: [{ id: 'bad', clauses: [clause('email', 'matches', ['(unclosed'])], serve: { variant: 'true' } }] });
  add('malformed: a matches clause with an invalid regex', k, { key: 'u1' }, false, errorDetail(false, 'MALFORMED_FLAG'));

  return {
    description:
      'Evaluation order: off and killed, targets, rules in order (first match wins), fallthrough; flags not found; variant value types; unsupported operators and malformed flags. Cases: [name, flagKey, context, defaultValue, expectedDetail].',
    kind: 'evaluation',
    schemaInvalidFlags,
    flags,
    segments: [],
    cases,
  };
}

// ---------------------------------------------------------------------------------------------------
// rollouts.json: expected variants from the reference hash.

function rolloutsFile() {
  const flags = [];
  const cases = [];
  const byKey = new Map();
  const def = (config) => {
    flags.push(config);
    byKey.set(config.key, config);
    return config.key;
  };
  /** A fallthrough case whose expectation is computed by the reference. */
  const fall = (name, key, context, defaultValue = null) => cases.push([name, key, context, defaultValue, expectFallthrough(byKey.get(key), context)]);
  const sample = (key, n, prefix = 'user-') => {
    for (let i = 0; i < n; i++) fall(`${key}: ${prefix}${i}`, key, { key: `${prefix}${i}` });
  };
  const percent = (key, on) => def(flag(key, { fallthrough: rolloutOf({ true: on, false: WEIGHT_TOTAL - on }) }));
  const atBuckets = (key, salt, buckets, label = (b) => `bucket ${b}`) => {
    const found = keysForBuckets(salt, 'user-', buckets);
    for (const b of buckets) {
      const context = { key: found.get(b) };
      const expected = expectFallthrough(byKey.get(key), context);
      if (referenceBucket(salt, context.key) !== b) throw new Error('search is broken');
      cases.push([`${key}: ${label(b)}`, key, context, null, expected]);
    }
  };

  // Edge percentages, with keys at the exact boundary buckets.
  percent('rollout-0', 0);
  atBuckets('rollout-0', 'rollout-0', [0, 99_999], (b) => `0% serves nobody, not even bucket ${b}`);
  sample('rollout-0', 4);
  percent('rollout-0-001', 1);
  atBuckets('rollout-0-001', 'rollout-0-001', [0, 1, 99_999], (b) => `0.001% serves only bucket 0; bucket ${b}`);
  sample('rollout-0-001', 4);
  percent('rollout-99-999', 99_999);
  atBuckets('rollout-99-999', 'rollout-99-999', [0, 99_998, 99_999], (b) => `99.999% serves all but bucket 99999; bucket ${b}`);
  sample('rollout-99-999', 4);
  percent('rollout-100', 100_000);
  atBuckets('rollout-100', 'rollout-100', [0, 99_999], (b) => `100% serves everyone, bucket ${b}`);
  sample('rollout-100', 4);
  percent('rollout-25', 25_000);
  atBuckets('rollout-25', 'rollout-25', [0, 24_999, 25_000, 99_999], (b) => `25% boundary, bucket ${b}`);
  sample('rollout-25', 12);
  percent('rollout-50', 50_000);
  sample('rollout-50', 12);

  // Multivariate: 33.333 / 33.333 / 33.334.
  def(
    flag('experiment-abc', {
      type: 'string',
      variants: [
        { key: 'a', value: 'variant-a' },
        { key: 'b', value: 'variant-b' },
        { key: 'c', value: 'variant-c' },
        { key: 'off', value: 'off' },
      ],
      offVariant: 'off',
      fallthrough: rolloutOf({ a: 33_333, b: 33_333, c: 33_334 }),
    }),
  );
  atBuckets('experiment-abc', 'experiment-abc', [0, 33_332, 33_333, 66_665, 66_666, 99_999], (b) => `33/33/34 boundary, bucket ${b}`);
  sample('experiment-abc', 16);
  fall('experiment-abc: missing key serves offVariant', 'experiment-abc', { country: 'NL' }, 'default');

  // Four variants, one with weight 0 in the middle: never served.
  def(
    flag('weights-with-zero', {
      type: 'number',
      variants: [
        { key: 'v10', value: 10 },
        { key: 'v0', value: 0 },
        { key: 'v60', value: 60 },
        { key: 'v30', value: 30 },
      ],
      offVariant: 'v0',
      fallthrough: rolloutOf({ v10: 10_000, v0: 0, v60: 60_000, v30: 30_000 }),
    }),
  );
  atBuckets('weights-with-zero', 'weights-with-zero', [9_999, 10_000, 69_999, 70_000], (b) => `zero weight is skipped, bucket ${b}`);
  sample('weights-with-zero', 8);

  // Keys: empty, non-ASCII, emoji, missing.
  for (const [label, key] of [
    ['empty-string key is bucketed (not missing)', ''],
    ['e acute', 'é'],
    ['latin-1 word', 'Zürich'],
    ['CJK key', '用户-42'],
    ['japanese key', 'ユーザー'],
    ['emoji key', '😀'],
    ['emoji ZWJ sequence', '👨‍👩‍👧'],
    ['mixed key', 'user-🚀-ü-42'],
    ['long key', 'k'.repeat(300)],
  ]) {
    fall(`rollout-50: ${label}`, 'rollout-50', { key });
    fall(`experiment-abc: ${label}`, 'experiment-abc', { key });
  }
  fall('rollout-50: missing key gives BUCKET_KEY_MISSING', 'rollout-50', { country: 'NL' });
  fall('rollout-50: empty context gives BUCKET_KEY_MISSING', 'rollout-50', {});
  fall('rollout-50: null key gives BUCKET_KEY_MISSING', 'rollout-50', { key: null });

  // Custom bucketBy and salt.
  def(
    flag('team-rollout', {
      type: 'string',
      variants: [
        { key: 'on', value: 'on' },
        { key: 'off', value: 'off' },
      ],
      offVariant: 'off',
      fallthrough: rolloutOf({ on: 40_000, off: 60_000 }, { bucketBy: 'accountId', salt: 'accounts-2026' }),
    }),
  );
  for (let i = 0; i < 10; i++) fall(`team-rollout: accountId acct-${i}`, 'team-rollout', { key: `user-${i}`, accountId: `acct-${i}` });
  fall('team-rollout: two users of one account get the same variant (a)', 'team-rollout', { key: 'user-a', accountId: 'acct-7' });
  fall('team-rollout: two users of one account get the same variant (b)', 'team-rollout', { key: 'user-b', accountId: 'acct-7' });
  fall('team-rollout: missing bucketBy attribute', 'team-rollout', { key: 'user-1' });
  fall('team-rollout: null bucketBy attribute', 'team-rollout', { key: 'user-1', accountId: null });
  fall('team-rollout: boolean bucketBy attribute is missing', 'team-rollout', { key: 'user-1', accountId: true });
  fall('team-rollout: list bucketBy attribute is missing', 'team-rollout', { key: 'user-1', accountId: ['acct-1'] });
  for (const [label, n] of [
    ['integer', 12345],
    ['zero', 0],
    ['negative integer', -7],
    ['fraction', 1.5],
    ['large integer', 1767225600000],
  ]) {
    fall(`team-rollout: numeric bucketBy (${label}) hashed as its string ${JSON.stringify(String(n))}`, 'team-rollout', { key: 'user-1', accountId: n });
    if (label === 'integer') fall('team-rollout: the string "12345" buckets like the number 12345', 'team-rollout', { key: 'user-1', accountId: '12345' });
  }

  // Flags sharing a salt share users; the default salt is the flag key.
  def(flag('shared-salt-a', { fallthrough: rolloutOf({ true: 50_000, false: 50_000 }, { salt: 'checkout-2026' }) }));
  def(flag('shared-salt-b', { fallthrough: rolloutOf({ true: 50_000, false: 50_000 }, { salt: 'checkout-2026' }) }));
  for (let i = 0; i < 8; i++) {
    fall(`shared-salt-a: user-${i}`, 'shared-salt-a', { key: `user-${i}` });
    fall(`shared-salt-b: user-${i} (same as shared-salt-a)`, 'shared-salt-b', { key: `user-${i}` });
  }
  def(flag('explicit-empty-salt', { fallthrough: rolloutOf({ true: 50_000, false: 50_000 }, { salt: '' }) }));
  for (let i = 0; i < 4; i++) fall(`explicit-empty-salt: user-${i} (salt "" hashes "/" + key)`, 'explicit-empty-salt', { key: `user-${i}` });

  // A rollout served by a rule: RULE_MATCH with the rule id; the rule's own bucketBy applies.
  const ruleRollout = { id: 'beta-rollout', clauses: [clause('beta', 'eq', [true])], serve: rolloutOf({ true: 50_000, false: 50_000 }) };
  def(flag('rule-rollout', { rules: [ruleRollout], fallthrough: { variant: 'false' } }));
  for (let i = 0; i < 8; i++) {
    const context = { key: `user-${i}`, beta: true };
    cases.push([`rule-rollout: user-${i}`, 'rule-rollout', context, null, expectServe(byKey.get('rule-rollout'), ruleRollout.serve, context, 'RULE_MATCH', 'beta-rollout')]);
  }
  cases.push(['rule-rollout: missing key in a matching rule gives BUCKET_KEY_MISSING', 'rule-rollout', { beta: true }, null, served('BUCKET_KEY_MISSING', 'false', false)]);
  fall('rule-rollout: no rule match falls through', 'rule-rollout', { key: 'user-1' });

  return {
    description:
      'Percentage rollouts: edge percentages (0, 0.001, 99.999, 100 percent), boundary buckets, multivariate weights, non-ASCII and emoji keys, missing, numeric and custom bucketBy attributes, custom salts. Expected details computed with the reference murmurhash package. Cases: [name, flagKey, context, defaultValue, expectedDetail].',
    kind: 'evaluation',
    flags,
    segments: [],
    cases,
  };
}

// ---------------------------------------------------------------------------------------------------
// segments-prerequisites.json

function segmentsPrerequisitesFile() {
  const flags = [];
  const segments = [];
  const cases = [];
  const add = (...c) => cases.push(c);
  const TRUE_FALLTHROUGH = served('FALLTHROUGH', 'true', true);

  // Segments.
  segments.push(segment('internal-users', { included: ['alice', 'carol'], excluded: ['mallory', 'carol'], rules: [[clause('email', 'endsWith', ['@acme.io'])]] }));
  segments.push(segment('beta-testers', { included: ['bob'], rules: [[clause('beta', 'eq', [true])]] }));
  segments.push(segment('eu-customers', { rules: [[clause('country', 'in', ['NL', 'DE', 'FR'])], [clause('region', 'eq', ['eu']), clause('verified', 'eq', [true])]] }));
  segments.push(segment('internal-or-enterprise', { rules: [[clause('segment', 'inSegment', ['internal-users'])], [clause('plan', 'eq', ['enterprise'])]] }));
  segments.push(segment('not-internal', { rules: [[clause('segment', 'inSegment', ['internal-users'], true)]] }));
  segments.push(segment('empty-segment'));
  segments.push(segment('cycle-a', { rules: [[clause('segment', 'inSegment', ['cycle-b'])]] }));
  segments.push(segment('cycle-b', { rules: [[clause('segment', 'inSegment', ['cycle-a'])]] }));
  segments.push(segment('cycle-self', { included: ['root'], rules: [[clause('segment', 'inSegment', ['cycle-self'])]] }));
  const futureSegment = segment('future-segment', { included: ['alice'], rules: [[clause('email', 'regexCaseless', ['@ACME'])]] });
  segments.push(futureSegment);
  for (let i = 1; i <= 17; i++) {
    const rules = i < 17 ? [[clause('segment', 'inSegment', [`depth-${i + 1}`])]] : [[clause('deep', 'eq', [true])]];
    segments.push(segment(`depth-${i}`, { rules }));
  }

  const segFlag = (key, segmentKeys, negate = false) => {
    flags.push(clauseFlag(key, clause('segment', 'inSegment', segmentKeys, negate)));
    return key;
  };
  let k = segFlag('seg-internal', ['internal-users']);
  add('segment: included key', k, { key: 'alice' }, null, MATCH);
  add('segment: included beats rules not matching', k, { key: 'alice', email: 'alice@example.com' }, null, MATCH);
  add('segment: rule match', k, { key: 'dave', email: 'dave@acme.io' }, null, MATCH);
  add('segment: excluded beats a matching rule', k, { key: 'mallory', email: 'mallory@acme.io' }, null, NO_MATCH);
  add('segment: included beats excluded', k, { key: 'carol' }, null, MATCH);
  add('segment: neither listed nor matching', k, { key: 'erin', email: 'erin@example.com' }, null, NO_MATCH);
  add('segment: without a key only rules apply', k, { email: 'x@acme.io' }, null, MATCH);
  add('segment: without a key and no rule match', k, {}, null, NO_MATCH);
  k = segFlag('seg-internal-negated', ['internal-users'], true);
  add('segment negated: included key', k, { key: 'alice' }, null, NO_MATCH);
  add('segment negated: excluded key', k, { key: 'mallory', email: 'mallory@acme.io' }, null, MATCH);
  add('segment negated: outside the segment', k, { key: 'erin' }, null, MATCH);
  add('segment negated: empty context (no attribute needed)', k, {}, null, MATCH);
  k = segFlag('seg-any', ['beta-testers', 'eu-customers']);
  add('segment list: in the first', k, { key: 'bob' }, null, MATCH);
  add('segment list: in the second', k, { key: 'u1', country: 'DE' }, null, MATCH);
  add('segment list: in neither', k, { key: 'u1', country: 'US', beta: false }, null, NO_MATCH);
  add('segment rules: any rule puts the context in (second rule, all its clauses)', k, { key: 'u1', region: 'eu', verified: true }, null, MATCH);
  add('segment rules: a rule needs all its clauses', k, { key: 'u1', region: 'eu', verified: false }, null, NO_MATCH);
  k = segFlag('seg-nested', ['internal-or-enterprise']);
  add('nested segment: through the inner segment (included)', k, { key: 'alice' }, null, MATCH);
  add('nested segment: through the inner segment (rule)', k, { key: 'u1', email: 'u1@acme.io' }, null, MATCH);
  add('nested segment: through its own rule', k, { key: 'u1', plan: 'enterprise' }, null, MATCH);
  add('nested segment: excluded from the inner segment', k, { key: 'mallory', email: 'm@acme.io' }, null, NO_MATCH);
  add('nested segment: excluded inner, own rule still matches', k, { key: 'mallory', email: 'm@acme.io', plan: 'enterprise' }, null, MATCH);
  k = segFlag('seg-not-internal', ['not-internal']);
  add('nested negated segment: outside the inner segment', k, { key: 'erin' }, null, MATCH);
  add('nested negated segment: inside the inner segment', k, { key: 'alice' }, null, NO_MATCH);
  k = segFlag('seg-empty', ['empty-segment']);
  add('empty segment: nobody is in it', k, { key: 'alice' }, null, NO_MATCH);
  k = segFlag('seg-missing', ['no-such-segment']);
  add('missing segment: nobody is in it', k, { key: 'alice' }, null, NO_MATCH);
  k = segFlag('seg-missing-negated', ['no-such-segment'], true);
  add('missing segment negated: everyone is outside it', k, { key: 'alice' }, null, MATCH);
  k = segFlag('seg-cycle', ['cycle-a']);
  add('segment cycle: ERROR with the caller default', k, { key: 'u1' }, 'default', errorDetail('default', 'SEGMENT_CYCLE'));
  k = segFlag('seg-self-cycle', ['cycle-self']);
  add('segment self-cycle: ERROR', k, { key: 'u1' }, false, errorDetail(false, 'SEGMENT_CYCLE'));
  add('segment self-cycle: an included key never reaches the cycle', k, { key: 'root' }, false, MATCH);
  k = segFlag('seg-depth-16', ['depth-2']);
  add('segments nested 16 deep: evaluated', k, { key: 'u1', deep: true }, null, MATCH);
  add('segments nested 16 deep: no match', k, { key: 'u1', deep: false }, null, NO_MATCH);
  k = segFlag('seg-depth-17', ['depth-1']);
  add('segments nested 17 deep: ERROR', k, { key: 'u1', deep: true }, null, errorDetail(null, 'SEGMENT_CYCLE'));

  // A segment using an operator this evaluator does not know: a flag reaching it serves its offVariant.
  const unsupportedViaSegment = { value: false, variant: 'false', reason: 'ERROR', errorCode: 'UNSUPPORTED_OPERATOR' };
  k = segFlag('seg-future', ['future-segment']);
  add('segment with an unsupported operator: offVariant with ERROR', k, { key: 'u1' }, 'default', unsupportedViaSegment);
  add('segment with an unsupported operator: even for an included key', k, { key: 'alice' }, 'default', unsupportedViaSegment);
  k = segFlag('seg-future-negated', ['future-segment'], true);
  add('segment with an unsupported operator, negated: offVariant with ERROR', k, { key: 'u1' }, 'default', unsupportedViaSegment);

  // Segments in rules next to other clauses, and a rule order depending on segments.
  flags.push(
    flag('seg-rules', {
      type: 'string',
      variants: LAYOUT_VARIANTS,
      offVariant: 'control',
      rules: [
        { id: 'internal', clauses: [clause('segment', 'inSegment', ['internal-users'])], serve: { variant: 'grid' } },
        { id: 'eu-beta', clauses: [clause('segment', 'inSegment', ['eu-customers']), clause('segment', 'inSegment', ['beta-testers'])], serve: { variant: 'list' } },
      ],
      fallthrough: { variant: 'control' },
    }),
  );
  add('segment rules: first rule', 'seg-rules', { key: 'alice', country: 'NL', beta: true }, 'x', ruleMatch('internal', 'grid'));
  add('segment rules: both segments required', 'seg-rules', { key: 'u1', country: 'NL', beta: true }, 'x', ruleMatch('eu-beta', 'list'));
  add('segment rules: one segment is not enough', 'seg-rules', { key: 'u1', country: 'NL' }, 'x', served('FALLTHROUGH', 'control', 'control'));

  // Prerequisites.
  flags.push(flag('base', { rules: [{ id: 'nl', clauses: [clause('country', 'eq', ['NL'])], serve: { variant: 'true' } }] }));
  flags.push(flag('dependent', { prerequisites: [{ flag: 'base', variant: 'true' }], targets: [{ variant: 'true', values: ['qa-1'] }], fallthrough: { variant: 'true' } }));
  add('prerequisite met', 'dependent', { key: 'u1', country: 'NL' }, null, TRUE_FALLTHROUGH);
  add('prerequisite not met', 'dependent', { key: 'u1', country: 'DE' }, null, served('PREREQUISITE_FAILED', 'false', false));
  add('prerequisite is checked before targets', 'dependent', { key: 'qa-1', country: 'DE' }, null, served('PREREQUISITE_FAILED', 'false', false));
  add('prerequisite met, then targets', 'dependent', { key: 'qa-1', country: 'NL' }, null, served('TARGET_MATCH', 'true', true));
  flags.push(flag('transitive', { prerequisites: [{ flag: 'dependent', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('transitive prerequisite met', 'transitive', { key: 'u1', country: 'NL' }, null, TRUE_FALLTHROUGH);
  add('transitive prerequisite not met', 'transitive', { key: 'u1', country: 'DE' }, null, served('PREREQUISITE_FAILED', 'false', false));
  flags.push(flag('requires-false', { prerequisites: [{ flag: 'base', variant: 'false' }], fallthrough: { variant: 'true' } }));
  add('prerequisite on its "false" variant: met', 'requires-false', { key: 'u1', country: 'DE' }, null, TRUE_FALLTHROUGH);
  add('prerequisite on its "false" variant: not met', 'requires-false', { key: 'u1', country: 'NL' }, null, served('PREREQUISITE_FAILED', 'false', false));

  flags.push(flag('disabled-base', { enabled: false, offVariant: 'false', fallthrough: { variant: 'true' } }));
  flags.push(flag('requires-disabled-true', { prerequisites: [{ flag: 'disabled-base', variant: 'true' }], fallthrough: { variant: 'true' } }));
  flags.push(flag('requires-disabled-false', { prerequisites: [{ flag: 'disabled-base', variant: 'false' }], fallthrough: { variant: 'true' } }));
  add('prerequisite off', 'requires-disabled-true', { key: 'u1' }, null, served('PREREQUISITE_FAILED', 'false', false));
  add('prerequisite off fails even when its offVariant is the required variant', 'requires-disabled-false', { key: 'u1' }, null, served('PREREQUISITE_FAILED', 'false', false));
  flags.push(flag('killed-base', { enabled: false, killed: true, offVariant: 'true', fallthrough: { variant: 'true' } }));
  flags.push(flag('requires-killed', { prerequisites: [{ flag: 'killed-base', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite killed fails even when its offVariant is the required variant', 'requires-killed', { key: 'u1' }, null, served('PREREQUISITE_FAILED', 'false', false));
  flags.push(flag('requires-ghost', { prerequisites: [{ flag: 'ghost', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite flag missing', 'requires-ghost', { key: 'u1' }, null, served('PREREQUISITE_FAILED', 'false', false));
  flags.push(flag('off-with-failing-prerequisite', { enabled: false, prerequisites: [{ flag: 'ghost', variant: 'true' }] }));
  add('off is checked before prerequisites', 'off-with-failing-prerequisite', { key: 'u1' }, null, served('OFF', 'false', false));

  flags.push(
    flag('layout', {
      type: 'string',
      variants: LAYOUT_VARIANTS,
      offVariant: 'control',
      rules: [
        { id: 'nl', clauses: [clause('country', 'eq', ['NL'])], serve: { variant: 'grid' } },
        { id: 'de', clauses: [clause('country', 'eq', ['DE'])], serve: { variant: 'list' } },
      ],
      fallthrough: { variant: 'control' },
    }),
  );
  flags.push(flag('requires-grid', { prerequisites: [{ flag: 'layout', variant: 'grid' }], fallthrough: { variant: 'true' } }));
  add('multivariate prerequisite: required variant', 'requires-grid', { key: 'u1', country: 'NL' }, null, TRUE_FALLTHROUGH);
  add('multivariate prerequisite: other variant', 'requires-grid', { key: 'u1', country: 'DE' }, null, served('PREREQUISITE_FAILED', 'false', false));
  add('multivariate prerequisite: fallthrough variant', 'requires-grid', { key: 'u1' }, null, served('PREREQUISITE_FAILED', 'false', false));
  flags.push(
    flag('requires-two', {
      prerequisites: [
        { flag: 'base', variant: 'true' },
        { flag: 'layout', variant: 'grid' },
      ],
      fallthrough: { variant: 'true' },
    }),
  );
  add('two prerequisites, both met', 'requires-two', { key: 'u1', country: 'NL' }, null, TRUE_FALLTHROUGH);
  add('two prerequisites, neither met', 'requires-two', { key: 'u1', country: 'DE' }, null, served('PREREQUISITE_FAILED', 'false', false));

  // Cycles and depth: ERROR with the caller's default.
  flags.push(flag('cycle-a', { prerequisites: [{ flag: 'cycle-b', variant: 'true' }], fallthrough: { variant: 'true' } }));
  flags.push(flag('cycle-b', { prerequisites: [{ flag: 'cycle-a', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite cycle a → b → a', 'cycle-a', { key: 'u1' }, 'default', errorDetail('default', 'PREREQUISITE_CYCLE'));
  add('prerequisite cycle b → a → b', 'cycle-b', { key: 'u1' }, false, errorDetail(false, 'PREREQUISITE_CYCLE'));
  flags.push(flag('cycle-x', { prerequisites: [{ flag: 'cycle-y', variant: 'true' }], fallthrough: { variant: 'true' } }));
  flags.push(flag('cycle-y', { prerequisites: [{ flag: 'cycle-z', variant: 'true' }], fallthrough: { variant: 'true' } }));
  flags.push(flag('cycle-z', { prerequisites: [{ flag: 'cycle-x', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite cycle x → y → z → x', 'cycle-x', { key: 'u1' }, true, errorDetail(true, 'PREREQUISITE_CYCLE'));
  flags.push(flag('self-prerequisite', { prerequisites: [{ flag: 'self-prerequisite', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('flag is its own prerequisite', 'self-prerequisite', { key: 'u1' }, null, errorDetail(null, 'PREREQUISITE_CYCLE'));
  flags.push(flag('requires-cycle', { prerequisites: [{ flag: 'cycle-a', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite inside a cycle: ERROR for the dependent too', 'requires-cycle', { key: 'u1' }, 'default', errorDetail('default', 'PREREQUISITE_CYCLE'));
  flags.push(
    flag('cycle-guarded', {
      prerequisites: [
        { flag: 'base', variant: 'true' },
        { flag: 'cycle-a', variant: 'true' },
      ],
      fallthrough: { variant: 'true' },
    }),
  );
  add('prerequisites are checked in order and stop at the first failure', 'cycle-guarded', { key: 'u1', country: 'DE' }, 'default', served('PREREQUISITE_FAILED', 'false', false));
  add('a later prerequisite in a cycle is reached once earlier ones are met', 'cycle-guarded', { key: 'u1', country: 'NL' }, 'default', errorDetail('default', 'PREREQUISITE_CYCLE'));
  for (let i = 0; i <= 16; i++) {
    flags.push(flag(`chain-${i}`, { prerequisites: i < 16 ? [{ flag: `chain-${i + 1}`, variant: 'true' }] : [], fallthrough: { variant: 'true' } }));
  }
  flags.push(flag('chain-top', { prerequisites: [{ flag: 'chain-0', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite chain of 16 links is evaluated', 'chain-0', { key: 'u1' }, 'default', TRUE_FALLTHROUGH);
  add('prerequisite chain of 17 links is an ERROR', 'chain-top', { key: 'u1' }, 'default', errorDetail('default', 'PREREQUISITE_CYCLE'));

  // Prerequisites that are themselves broken.
  flags.push(flag('broken-base', { fallthrough: { variant: 'maybe' } }));
  flags.push(flag('requires-broken', { prerequisites: [{ flag: 'broken-base', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('malformed prerequisite: ERROR for the dependent', 'requires-broken', { key: 'u1' }, 'default', errorDetail('default', 'MALFORMED_FLAG'));
  const unsupportedBase = flag('unsupported-base', { offVariant: 'true', rules: [{ id: 'future', clauses: [clause('x', 'regexCaseless', ['a'])], serve: { variant: 'true' } }], fallthrough: { variant: 'true' } });
  flags.push(unsupportedBase);
  flags.push(flag('requires-unsupported', { prerequisites: [{ flag: 'unsupported-base', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite with an unsupported operator serves ERROR, so it is not met', 'requires-unsupported', { key: 'u1' }, 'default', served('PREREQUISITE_FAILED', 'false', false));
  flags.push(flag('rollout-base', { offVariant: 'true', fallthrough: rolloutOf({ true: 100_000, false: 0 }) }));
  flags.push(flag('requires-rollout', { prerequisites: [{ flag: 'rollout-base', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite served by a rollout', 'requires-rollout', { key: 'u1' }, null, TRUE_FALLTHROUGH);
  add('prerequisite BUCKET_KEY_MISSING still serves a variant (its offVariant), which may meet the requirement', 'requires-rollout', {}, null, TRUE_FALLTHROUGH);

  flags.push(flag('requires-seg-future', { prerequisites: [{ flag: 'seg-future', variant: 'false' }], fallthrough: { variant: 'true' } }));
  add('prerequisite reaching a segment with an unsupported operator is not met', 'requires-seg-future', { key: 'u1' }, 'default', served('PREREQUISITE_FAILED', 'false', false));

  // Segments inside prerequisites.
  flags.push(flag('requires-internal', { prerequisites: [{ flag: 'seg-internal', variant: 'true' }], fallthrough: { variant: 'true' } }));
  add('prerequisite matched through a segment', 'requires-internal', { key: 'alice' }, null, TRUE_FALLTHROUGH);
  add('prerequisite not matched through a segment', 'requires-internal', { key: 'erin' }, null, served('PREREQUISITE_FAILED', 'false', false));

  return {
    description:
      'Segments (included > excluded > rules, nesting, cycles, depth) and prerequisites (met, not met, off, killed, missing, cycles, depth, broken). Cases: [name, flagKey, context, defaultValue, expectedDetail].',
    kind: 'evaluation',
    schemaInvalidFlags: [unsupportedBase.key],
    schemaInvalidSegments: [futureSegment.key],
    flags,
    segments,
    cases,
  };
}

// ---------------------------------------------------------------------------------------------------

const files = {
  'bucketing.json': bucketingFile(),
  'operators.json': operatorsFile(),
  'targeting.json': targetingFile(),
  'rollouts.json': rolloutsFile(),
  'segments-prerequisites.json': segmentsPrerequisitesFile(),
};

const check = process.argv.includes('--check');
let stale = 0;
let total = 0;
for (const [name, file] of Object.entries(files)) {
  checkUnique(name, file);
  total += file.cases.length;
  const path = fileURLToPath(new URL(name, OUT));
  const text = render(file);
  if (check) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // A missing file is stale.
    }
    if (current !== text) {
      stale++;
      console.error(`${name} is out of date: run node test/vectors/generate.mjs`);
    }
  } else {
    writeFileSync(path, text);
    console.log(`${name}: ${file.cases.length} cases`);
  }
}
if (!check) console.log(`total: ${total} cases`);
if (stale > 0) process.exit(1);
