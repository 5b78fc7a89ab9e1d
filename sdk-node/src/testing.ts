import type { Context, Detail, FlagConfig, JsonValue } from '@switchyard/core';
import { createClient, type SwitchyardClient } from './client.js';
import { silentLogger } from './logger.js';

/** A client for application tests: fixed values, no network, changeable with `set`. */
export interface TestClient extends SwitchyardClient {
  /** Changes (or adds) a flag's value and emits `change`. */
  set(key: string, value: JsonValue): void;
}

function typeOf(value: JsonValue): FlagConfig['type'] {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  return 'json';
}

function fixedFlag(key: string, value: JsonValue, version: number): FlagConfig {
  return {
    key,
    version,
    type: typeOf(value),
    variants: [{ key: 'fixed', value }],
    enabled: true,
    offVariant: 'fixed',
    targets: [],
    rules: [],
    fallthrough: { variant: 'fixed' },
    prerequisites: [],
  };
}

/**
 * A client with fixed flag values and no network, evaluated through the same core as the real one.
 * @example
 * const flags = createTestClient({ 'new-checkout': true, 'checkout-layout': 'grid' });
 * flags.enabled('new-checkout', { key: 'u1' }) // true
 * flags.set('new-checkout', false)
 */
export function createTestClient(values: Readonly<Record<string, JsonValue>> = {}): TestClient {
  let version = 1;
  const flags = new Map<string, FlagConfig>(Object.entries(values).map(([key, value]) => [key, fixedFlag(key, value, version)]));
  let client = createClient({ url: '', sdkKey: '', offline: true, logger: silentLogger, metricsIntervalMs: 0, bootstrap: { flags: [...flags.values()] } });
  const listeners = new Set<(keys: string[]) => void>();
  return {
    ready: (options) => client.ready(options),
    enabled: (key: string, context?: Context, defaultValue?: boolean) => client.enabled(key, context, defaultValue),
    variant: ((key: string, context: Context, defaultValue: JsonValue) => client.variant(key, context, defaultValue)) as SwitchyardClient['variant'],
    detail: (key: string, context?: Context, defaultValue?: JsonValue): Detail => client.detail(key, context, defaultValue),
    all: (context?: Context) => client.all(context),
    track: () => undefined,
    on(event, listener) {
      if (event !== 'change') return () => undefined;
      const l = listener as (keys: string[]) => void;
      listeners.add(l);
      return () => listeners.delete(l);
    },
    get revision() {
      return version;
    },
    get source() {
      return client.source;
    },
    close: () => client.close(),
    set(key, value) {
      version++;
      flags.set(key, fixedFlag(key, value, version));
      void client.close();
      client = createClient({ url: '', sdkKey: '', offline: true, logger: silentLogger, metricsIntervalMs: 0, bootstrap: { flags: [...flags.values()] } });
      for (const l of listeners) l([key]);
    },
  };
}
