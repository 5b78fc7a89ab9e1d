// Engine-neutral fixtures: the contexts and the flags every engine is configured with.
import { prng } from '../lib/harness.js';

/** Countries of the contexts, in rotation; half of them are in the rule's list. */
export const COUNTRIES = ['NL', 'US', 'DE', 'GB', 'FR', 'SE'];
/** The rule of the rule+rollout scenario: `country in RULE_COUNTRIES`. */
export const RULE_COUNTRIES = ['NL', 'DE', 'FR'];

/**
 * @typedef {{ key: string, country: string }} BaseContext
 * @typedef {{ key: string, kind: 'on' }
 *   | { key: string, kind: 'off' }
 *   | { key: string, kind: 'rollout', percent: number }
 *   | { key: string, kind: 'rule-rollout', countries: string[], percent: number }
 *   | { key: string, kind: 'split', variants: [string, number][] }} FlagSpec
 * Percentages are whole numbers (Unleash's rollout granularity is 1%).
 */

/**
 * `count` distinct contexts `{ key: 'user-<n>-<random>', country }`, the same on every run. They go
 * through JSON, as contexts built from a request or a database row do: the keys are then flat
 * strings. (Built with a template literal they would be V8 cons strings, which every charCodeAt has
 * to walk through; that makes Switchyard's hashing about 30 ns slower, and the peers, which hash a
 * concatenation of salt and key in any case, hardly.)
 * @param {number} count
 * @returns {BaseContext[]}
 */
export function makeContexts(count) {
  const rand = prng(0x5eed);
  const out = [];
  for (let n = 0; n < count; n++) {
    const suffix = Math.floor(rand() * 2 ** 40).toString(36).padStart(8, '0');
    out.push({ key: `user-${n}-${suffix}`, country: /** @type {string} */ (COUNTRIES[n % COUNTRIES.length]) });
  }
  return JSON.parse(JSON.stringify(out));
}

/** The flags of the single-flag scenarios. @type {Record<string, FlagSpec>} */
export const SCENARIO_FLAGS = {
  on: { key: 'on-for-all', kind: 'on' },
  rollout: { key: 'rollout-25', kind: 'rollout', percent: 25 },
  ruleRollout: { key: 'rule-rollout', kind: 'rule-rollout', countries: RULE_COUNTRIES, percent: 50 },
  split: { key: 'split-3', kind: 'split', variants: [['a', 33], ['b', 33], ['c', 34]] },
};

const PERCENTS = [1, 5, 10, 25, 50, 75, 90, 100];

/**
 * `count` flags of mixed kinds: 35% on, 5% off, 30% rollouts of assorted percentages, 20% rule + rollout,
 * 10% three-way splits. Each key is `f<i>-<kind>`.
 * @param {number} count
 * @returns {FlagSpec[]}
 */
export function makeMixedFlags(count) {
  const flags = [];
  for (let i = 0; i < count; i++) {
    const m = i % 20;
    const percent = /** @type {number} */ (PERCENTS[i % PERCENTS.length]);
    if (m < 7) flags.push({ key: `f${i}-on`, kind: 'on' });
    else if (m < 8) flags.push({ key: `f${i}-off`, kind: 'off' });
    else if (m < 14) flags.push({ key: `f${i}-rollout`, kind: 'rollout', percent });
    else if (m < 18) {
      const first = i % COUNTRIES.length;
      const countries = [COUNTRIES[first], COUNTRIES[(first + 2) % COUNTRIES.length]];
      flags.push({ key: `f${i}-rule`, kind: 'rule-rollout', countries, percent });
    } else flags.push({ key: `f${i}-split`, kind: 'split', variants: [['a', 33], ['b', 33], ['c', 34]] });
  }
  return /** @type {FlagSpec[]} */ (flags);
}

/**
 * Probability that `spec` serves "on" (`true`, or variant `a` of a split) to a context from `country`.
 * @param {FlagSpec} spec @param {string} country
 */
export function onProbability(spec, country) {
  switch (spec.kind) {
    case 'on':
      return 1;
    case 'off':
      return 0;
    case 'rollout':
      return spec.percent / 100;
    case 'rule-rollout':
      return spec.countries.includes(country) ? spec.percent / 100 : 0;
    case 'split':
      return /** @type {number} */ (spec.variants[0]?.[1]) / 100;
  }
}

/** Whether a served value counts as "on" (see {@link onProbability}). @param {unknown} v */
export function isOn(v) {
  return v === true || v === 'a' ? 1 : 0;
}
