// Switchyard's flag configs for the engine-neutral FlagSpecs of fixtures.js.
import { FlagConfigSchema } from '@switchyard/core';

/** @typedef {import('./fixtures.js').FlagSpec} FlagSpec */

/** @param {FlagSpec} spec */
export function switchyardConfig(spec) {
  const bool = {
    key: spec.key,
    version: 1,
    type: 'boolean',
    variants: [
      { key: 'true', value: true },
      { key: 'false', value: false },
    ],
    enabled: true,
    offVariant: 'false',
    targets: [],
    rules: [],
    prerequisites: [],
    fallthrough: { variant: 'true' },
  };
  const rollout = (/** @type {number} */ percent) => ({
    rollout: {
      variants: [
        { variant: 'true', weight: percent * 1000 },
        { variant: 'false', weight: 100_000 - percent * 1000 },
      ],
    },
  });
  let config;
  switch (spec.kind) {
    case 'on':
      config = bool;
      break;
    case 'off':
      config = { ...bool, enabled: false };
      break;
    case 'rollout':
      config = { ...bool, fallthrough: rollout(spec.percent) };
      break;
    case 'rule-rollout':
      config = {
        ...bool,
        // Rule ids are unique per flag, as admin UIs generate them.
        rules: [{ id: `${spec.key}-countries`, clauses: [{ attribute: 'country', op: 'in', values: spec.countries }], serve: rollout(spec.percent) }],
        fallthrough: { variant: 'false' },
      };
      break;
    case 'split':
      config = {
        ...bool,
        type: 'string',
        variants: spec.variants.map(([v]) => ({ key: v, value: v })),
        offVariant: spec.variants[0]?.[0],
        fallthrough: { rollout: { variants: spec.variants.map(([v, pct]) => ({ variant: v, weight: pct * 1000 })) } },
      };
      break;
  }
  // Validated like the server validates what it sends; the parsed output is what an SDK holds.
  return FlagConfigSchema.parse(config);
}
