// One adapter per engine. Each turns the engine-neutral FlagSpecs (fixtures.js) into that engine's
// own configuration, builds contexts in its own shape, and exposes:
//   timed(spec)  a function (ctx) => number for the timing loop: the engine's public evaluation call
//                as an application would make it, scored 1/0 with isOn()
//   value(spec, ctx)  the raw served value, for the correctness checks
//   timedAll / valuesAll  the same for "every flag for one context"
// No adapter opens a socket: Unleash gets an unreachable 127.0.0.1 URL with polling and metrics off and
// bootstrap data; LaunchDarkly gets TestData; flagd-core and GrowthBook are given their config directly.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFlagSet } from '@switchyard/core';
import { FlagdCore } from '@openfeature/flagd-core';
import { GrowthBookClient } from '@growthbook/growthbook';
import { Unleash, InMemStorageProvider } from 'unleash-client';
import { init as ldInit, basicLogger } from '@launchdarkly/node-server-sdk';
import { TestData } from '@launchdarkly/node-server-sdk/integrations';
import { isOn } from './fixtures.js';
import { switchyardConfig } from './switchyard-config.js';

export { switchyardConfig };

/** @typedef {import('./fixtures.js').FlagSpec} FlagSpec */
/** @typedef {import('./fixtures.js').BaseContext} BaseContext */
/**
 * @typedef {object} Loaded
 * @property {boolean} async
 * @property {(spec: FlagSpec) => (ctx: any) => any} timed
 * @property {(spec: FlagSpec, ctx: any) => unknown | Promise<unknown>} value
 * @property {(ctx: any) => any} timedAll
 * @property {(ctx: any) => Promise<Map<string, unknown>>} valuesAll
 * @property {() => Promise<void> | void} close
 */
/**
 * @typedef {object} Engine
 * @property {string} name
 * @property {string} pkg
 * @property {string} api          how it is called, for the report
 * @property {(base: BaseContext) => any} context
 * @property {(specs: FlagSpec[]) => Promise<Loaded>} load
 */

const here = dirname(fileURLToPath(import.meta.url));

/** Installed version of a package (reads its package.json from the nearest node_modules). @param {string} name */
export function installedVersion(name) {
  for (let dir = here; ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return /** @type {string} */ (JSON.parse(readFileSync(file, 'utf8')).version);
    if (dirname(dir) === dir) return 'unknown';
  }
}

const isSplit = (/** @type {FlagSpec} */ spec) => spec.kind === 'split';

// ---------------------------------------------------------------- Switchyard

/** @type {Engine} */
const switchyard = {
  name: 'switchyard',
  pkg: '@switchyard/core',
  api: 'createFlagSet(snapshot).evaluate(key, ctx, default) / evaluateAll(ctx)',
  context: (b) => ({ key: b.key, country: b.country }),
  async load(specs) {
    const set = createFlagSet({ flags: specs.map(switchyardConfig) });
    const probe = specs[specs.length - 1]?.key ?? '';
    return {
      async: false,
      timed(spec) {
        const key = spec.key;
        if (isSplit(spec)) return (ctx) => (set.evaluate(key, ctx, 'none').value === 'a' ? 1 : 0);
        return (ctx) => (set.evaluate(key, ctx, false).value === true ? 1 : 0);
      },
      value: (spec, ctx) => set.evaluate(spec.key, ctx, isSplit(spec) ? 'none' : false).value,
      timedAll: (ctx) => isOn(set.evaluateAll(ctx).get(probe)?.value),
      async valuesAll(ctx) {
        return new Map([...set.evaluateAll(ctx)].map(([k, d]) => [k, d.value]));
      },
      close() {},
    };
  },
};

// ---------------------------------------------------------------- flagd-core (OpenFeature)

/** @param {FlagSpec} spec */
function flagdFlag(spec) {
  const bool = { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'off' };
  const fractional = (/** @type {number} */ percent) => ({ fractional: [['on', percent], ['off', 100 - percent]] });
  switch (spec.kind) {
    case 'on':
      return { ...bool, defaultVariant: 'on' };
    case 'off':
      return { ...bool, state: 'DISABLED' };
    case 'rollout':
      return { ...bool, targeting: fractional(spec.percent) };
    case 'rule-rollout':
      return { ...bool, targeting: { if: [{ in: [{ var: 'country' }, spec.countries] }, fractional(spec.percent), 'off'] } };
    case 'split':
      return {
        state: 'ENABLED',
        variants: Object.fromEntries(spec.variants.map(([v]) => [v, v])),
        defaultVariant: spec.variants[0]?.[0],
        targeting: { fractional: spec.variants },
      };
  }
}

/** @type {Engine} */
const flagd = {
  name: 'flagd-core',
  pkg: '@openfeature/flagd-core',
  api: 'FlagdCore.resolveBooleanEvaluation / resolveStringEvaluation / resolveAll',
  context: (b) => ({ targetingKey: b.key, country: b.country }),
  async load(specs) {
    const core = new FlagdCore();
    core.setConfigurations(JSON.stringify({ flags: Object.fromEntries(specs.map((s) => [s.key, flagdFlag(s)])) }));
    const probe = specs[specs.length - 1]?.key ?? '';
    return {
      async: false,
      timed(spec) {
        const key = spec.key;
        if (isSplit(spec)) return (ctx) => (core.resolveStringEvaluation(key, 'none', ctx).value === 'a' ? 1 : 0);
        return (ctx) => (core.resolveBooleanEvaluation(key, false, ctx).value === true ? 1 : 0);
      },
      value: (spec, ctx) =>
        isSplit(spec) ? core.resolveStringEvaluation(spec.key, 'none', ctx).value : core.resolveBooleanEvaluation(spec.key, false, ctx).value,
      timedAll(ctx) {
        const all = core.resolveAll(ctx);
        return all.length + (all[all.length - 1]?.flagKey === probe ? 1 : 0);
      },
      async valuesAll(ctx) {
        // resolveAll omits DISABLED flags; they serve the caller's default (false), as in the other engines.
        const m = new Map(specs.map((s) => [s.key, /** @type {unknown} */ (false)]));
        for (const r of core.resolveAll(ctx)) m.set(r.flagKey, r.value);
        return m;
      },
      close() {},
    };
  },
};

// ---------------------------------------------------------------- GrowthBook

/** @param {FlagSpec} spec */
function growthbookFeature(spec) {
  switch (spec.kind) {
    case 'on':
      return { defaultValue: true };
    case 'off':
      return { defaultValue: false };
    case 'rollout':
      return { defaultValue: false, rules: [{ force: true, coverage: spec.percent / 100, hashAttribute: 'id' }] };
    case 'rule-rollout':
      return {
        defaultValue: false,
        rules: [{ condition: { country: { $in: spec.countries } }, force: true, coverage: spec.percent / 100, hashAttribute: 'id' }],
      };
    case 'split':
      return {
        defaultValue: spec.variants[0]?.[0],
        rules: [
          {
            key: spec.key,
            variations: spec.variants.map(([v]) => v),
            weights: spec.variants.map(([, pct]) => pct / 100),
            hashAttribute: 'id',
          },
        ],
      };
  }
}

/** @type {Engine} */
const growthbook = {
  name: 'growthbook',
  pkg: '@growthbook/growthbook',
  api: 'GrowthBookClient (multi-user server client).isOn / getFeatureValue(key, { attributes }); all = loop over keys',
  context: (b) => ({ attributes: { id: b.key, country: b.country } }),
  async load(specs) {
    const client = new GrowthBookClient({});
    client.initSync({ payload: { features: Object.fromEntries(specs.map((s) => [s.key, growthbookFeature(s)])) } });
    const keys = specs.map((s) => s.key);
    const split = specs.map(isSplit);
    return {
      async: false,
      timed(spec) {
        const key = spec.key;
        if (isSplit(spec)) return (ctx) => (client.getFeatureValue(key, 'none', ctx) === 'a' ? 1 : 0);
        return (ctx) => (client.isOn(key, ctx) ? 1 : 0);
      },
      value: (spec, ctx) => (isSplit(spec) ? client.getFeatureValue(spec.key, 'none', ctx) : client.isOn(spec.key, ctx)),
      timedAll(ctx) {
        let on = 0;
        for (let i = 0; i < keys.length; i++) on += isOn(client.evalFeature(/** @type {string} */ (keys[i]), ctx).value);
        return on;
      },
      async valuesAll(ctx) {
        return new Map(keys.map((k, i) => [k, split[i] ? client.getFeatureValue(k, 'none', ctx) : client.isOn(k, ctx)]));
      },
      close: () => client.destroy(),
    };
  },
};

// ---------------------------------------------------------------- Unleash

/** @param {FlagSpec} spec */
function unleashFeature(spec) {
  const rollout = (/** @type {number} */ percent, /** @type {any[]} */ constraints = []) => ({
    name: 'flexibleRollout',
    parameters: { rollout: String(percent), stickiness: 'userId', groupId: spec.key },
    constraints,
  });
  const base = { name: spec.key, type: 'release', enabled: true, project: 'default', stale: false, impressionData: false, variants: [] };
  switch (spec.kind) {
    case 'on':
      return { ...base, strategies: [{ name: 'default', parameters: {}, constraints: [] }] };
    case 'off':
      return { ...base, enabled: false, strategies: [{ name: 'default', parameters: {}, constraints: [] }] };
    case 'rollout':
      return { ...base, strategies: [rollout(spec.percent)] };
    case 'rule-rollout':
      return { ...base, strategies: [rollout(spec.percent, [{ contextName: 'country', operator: 'IN', values: spec.countries }])] };
    case 'split':
      return {
        ...base,
        strategies: [
          {
            ...rollout(100),
            variants: spec.variants.map(([v, pct]) => ({ name: v, weight: pct * 10, weightType: 'fix', stickiness: 'userId' })),
          },
        ],
      };
  }
}

/** @type {Engine} */
const unleash = {
  name: 'unleash',
  pkg: 'unleash-client',
  api: 'Unleash.isEnabled / getVariant(key, { userId, properties }); all = loop over keys',
  context: (b) => ({ userId: b.key, properties: { country: b.country } }),
  async load(specs) {
    const client = new Unleash({
      appName: 'switchyard-bench',
      url: 'http://127.0.0.1:1/api/',
      refreshInterval: 0,
      disableMetrics: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: /** @type {any} */ (specs.map(unleashFeature)) },
      bootstrapOverride: true,
      skipInstanceCountWarning: true,
    });
    client.on('error', (/** @type {Error} */ e) => {
      throw new Error(`unleash-client error in the benchmark: ${e.message}`);
    });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('unleash-client did not become ready from bootstrap in 5 s')), 5000);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    const keys = specs.map((s) => s.key);
    const split = specs.map(isSplit);
    return {
      async: false,
      timed(spec) {
        const key = spec.key;
        if (isSplit(spec)) return (ctx) => (client.getVariant(key, ctx).name === 'a' ? 1 : 0);
        return (ctx) => (client.isEnabled(key, ctx) ? 1 : 0);
      },
      value: (spec, ctx) => (isSplit(spec) ? client.getVariant(spec.key, ctx).name : client.isEnabled(spec.key, ctx)),
      timedAll(ctx) {
        let on = 0;
        for (let i = 0; i < keys.length; i++) {
          const key = /** @type {string} */ (keys[i]);
          on += split[i] ? isOn(client.getVariant(key, ctx).name) : client.isEnabled(key, ctx) ? 1 : 0;
        }
        return on;
      },
      async valuesAll(ctx) {
        return new Map(keys.map((k, i) => [k, split[i] ? client.getVariant(k, ctx).name : client.isEnabled(k, ctx)]));
      },
      close: () => client.destroy(),
    };
  },
};

// ---------------------------------------------------------------- LaunchDarkly

/** @param {FlagSpec} spec */
function launchdarklyFlag(spec) {
  const rollout = (/** @type {number[]} */ weights) => ({ rollout: { variations: weights.map((w, i) => ({ variation: i, weight: w })) } });
  const base = {
    key: spec.key,
    version: 1,
    on: true,
    variations: [true, false],
    offVariation: 1,
    fallthrough: { variation: 0 },
    targets: [],
    contextTargets: [],
    rules: [],
    prerequisites: [],
    salt: spec.key,
    trackEvents: false,
    trackEventsFallthrough: false,
    clientSide: false,
    deleted: false,
  };
  switch (spec.kind) {
    case 'on':
      return base;
    case 'off':
      return { ...base, on: false };
    case 'rollout':
      return { ...base, fallthrough: rollout([spec.percent * 1000, 100_000 - spec.percent * 1000]) };
    case 'rule-rollout':
      return {
        ...base,
        rules: [
          {
            id: `${spec.key}-countries`,
            clauses: [{ contextKind: 'user', attribute: 'country', op: 'in', values: spec.countries, negate: false }],
            ...rollout([spec.percent * 1000, 100_000 - spec.percent * 1000]),
            trackEvents: false,
          },
        ],
        fallthrough: { variation: 1 },
      };
    case 'split':
      return {
        ...base,
        variations: spec.variants.map(([v]) => v),
        offVariation: 0,
        fallthrough: rollout(spec.variants.map(([, pct]) => pct * 1000)),
      };
  }
}

/** @type {Engine} */
const launchdarkly = {
  name: 'launchdarkly',
  pkg: '@launchdarkly/node-server-sdk',
  api: 'await client.variation(key, { kind, key, country }, default) / await allFlagsState(ctx) (async API)',
  context: (b) => ({ kind: 'user', key: b.key, country: b.country }),
  async load(specs) {
    const td = new TestData();
    for (const s of specs) await td.usePreconfiguredFlag(launchdarklyFlag(s));
    const client = ldInit('sdk-key-benchmark', {
      updateProcessor: td.getFactory(),
      sendEvents: false,
      diagnosticOptOut: true,
      logger: basicLogger({ level: 'none' }),
    });
    await client.waitForInitialization({ timeout: 10 });
    const probe = specs[specs.length - 1]?.key ?? '';
    return {
      async: true,
      timed(spec) {
        const key = spec.key;
        const fallback = isSplit(spec) ? 'none' : false;
        return (ctx) => client.variation(key, ctx, fallback);
      },
      value: (spec, ctx) => client.variation(spec.key, ctx, isSplit(spec) ? 'none' : false),
      timedAll: (ctx) => client.allFlagsState(ctx).then((state) => state.getFlagValue(probe)),
      async valuesAll(ctx) {
        const state = await client.allFlagsState(ctx);
        return new Map(Object.entries(state.allValues()));
      },
      close: () => client.close(),
    };
  },
};

/** The engines, ours first. @type {Engine[]} */
export const ENGINES = [switchyard, flagd, growthbook, unleash, launchdarkly];
