import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  type EvaluationContext,
  type JsonValue as OpenFeatureJson,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import type { Context, ContextValue, Detail, JsonValue } from '@switchyard/core/evaluate';
import { createClient, type ClientOptions, type SwitchyardClient } from './client.js';

/** Switchyard reasons as OpenFeature resolution reasons. */
const REASONS: Record<Detail['reason'], string> = {
  TARGET_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  RULE_MATCH: StandardResolutionReasons.TARGETING_MATCH,
  FALLTHROUGH: StandardResolutionReasons.DEFAULT,
  OFF: StandardResolutionReasons.DISABLED,
  KILLED: StandardResolutionReasons.DISABLED,
  PREREQUISITE_FAILED: StandardResolutionReasons.DISABLED,
  BUCKET_KEY_MISSING: StandardResolutionReasons.DEFAULT,
  FLAG_NOT_FOUND: StandardResolutionReasons.ERROR,
  ERROR: StandardResolutionReasons.ERROR,
};

/**
 * An OpenFeature evaluation context as a Switchyard context: `targetingKey` becomes `key`, dates
 * become ISO strings, lists keep their scalars, nested objects are dropped.
 * @example toContext({ targetingKey: 'user-42', country: 'NL' }) // { key: 'user-42', country: 'NL' }
 */
export function toContext(context: EvaluationContext | undefined): Context {
  const out: Record<string, ContextValue> = {};
  for (const [name, value] of Object.entries(context ?? {})) {
    if (name === 'targetingKey') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[name] = value;
    else if (value instanceof Date) out[name] = value.toISOString();
    else if (Array.isArray(value)) out[name] = value.filter((v): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean');
  }
  if (typeof context?.targetingKey === 'string') out.key = context.targetingKey;
  return out;
}

/**
 * An OpenFeature web provider backed by a Switchyard browser client. Resolution is synchronous and
 * local; `onContextChange` re-hashes the context key (no network round trip, so no RECONCILING
 * state); new rules emit `ConfigurationChanged` with the keys whose values changed.
 * @example
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { SwitchyardProvider } from '@switchyard/sdk-browser/openfeature';
 * await OpenFeature.setContext({ targetingKey: 'user-42' });
 * await OpenFeature.setProviderAndWait(new SwitchyardProvider({ url, clientKey }));
 * OpenFeature.getClient().getBooleanValue('new-checkout', false);
 */
export class SwitchyardProvider implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly client: SwitchyardClient;
  private readonly unsubscribe: () => void;
  private switching = false;

  /** Takes a client, or the options to create one; `readyTimeoutMs` bounds `initialize()`. */
  constructor(
    clientOrOptions: SwitchyardClient | ClientOptions,
    private readonly readyTimeoutMs = 5_000,
  ) {
    this.client = 'enabled' in clientOrOptions ? clientOrOptions : createClient(clientOrOptions);
    // A context switch is announced by OpenFeature itself (ContextChanged); only new rules are ours to tell.
    this.unsubscribe = this.client.on('change', (keys) => {
      if (!this.switching) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: keys });
    });
  }

  /** Applies the global context and waits for rules (network, cache or bootstrap); fails only with none at all. */
  async initialize(context?: EvaluationContext): Promise<void> {
    if (context !== undefined) this.onContextChange(undefined, context);
    const result = await this.client.ready({ timeoutMs: this.readyTimeoutMs });
    if (!result.ok) throw result.error ?? new Error('Switchyard: no flag rules available');
  }

  /** Switches the client's context synchronously. */
  onContextChange(_oldContext: EvaluationContext | undefined, newContext: EvaluationContext): void {
    this.switching = true;
    try {
      this.client.setContext(toContext(newContext));
    } finally {
      this.switching = false;
    }
  }

  async onClose(): Promise<void> {
    this.unsubscribe();
    await this.client.close();
  }

  private resolve<T extends JsonValue>(flagKey: string, defaultValue: T, accepts: (value: JsonValue) => boolean): ResolutionDetails<T> {
    const detail = this.client.detail(flagKey, defaultValue);
    const flagMetadata: Record<string, string> = { switchyardReason: detail.reason };
    if (detail.ruleId !== undefined) flagMetadata.ruleId = detail.ruleId;
    const error = (errorCode: ErrorCode, errorMessage: string): ResolutionDetails<T> => ({ value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode, errorMessage, flagMetadata });
    if (detail.reason === 'FLAG_NOT_FOUND') return error(ErrorCode.FLAG_NOT_FOUND, `flag "${flagKey}" not found`);
    if (detail.reason === 'ERROR') return error(ErrorCode.GENERAL, detail.errorCode ?? 'evaluation error');
    if (!accepts(detail.value)) return error(ErrorCode.TYPE_MISMATCH, `flag "${flagKey}" is not of the requested type`);
    const result: ResolutionDetails<T> = { value: detail.value as T, reason: REASONS[detail.reason], flagMetadata };
    if (detail.variant !== undefined) result.variant = detail.variant;
    return result;
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return this.resolve(flagKey, defaultValue, (v) => typeof v === 'boolean');
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return this.resolve(flagKey, defaultValue, (v) => typeof v === 'string');
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return this.resolve(flagKey, defaultValue, (v) => typeof v === 'number');
  }

  resolveObjectEvaluation<T extends OpenFeatureJson>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return this.resolve(flagKey, defaultValue as JsonValue, (v) => typeof v === 'object' && v !== null) as ResolutionDetails<T>;
  }
}
