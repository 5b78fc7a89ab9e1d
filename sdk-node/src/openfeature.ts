import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  type EvaluationContext,
  type JsonValue as OpenFeatureJson,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import type { Context, ContextValue, Detail, JsonValue } from '@switchyard/core';
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

function toContext(context: EvaluationContext): Context {
  const out: Record<string, ContextValue> = {};
  for (const [name, value] of Object.entries(context)) {
    if (name === 'targetingKey') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[name] = value;
    else if (value instanceof Date) out[name] = value.toISOString();
    else if (Array.isArray(value)) out[name] = value.filter((v): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean');
  }
  if (typeof context.targetingKey === 'string') out.key = context.targetingKey;
  return out;
}

/**
 * An OpenFeature provider backed by a Switchyard client: local evaluation, `ConfigurationChanged`
 * events with the changed flag keys, Switchyard reasons mapped to OpenFeature's.
 * @example
 * await OpenFeature.setProviderAndWait(new SwitchyardProvider({ url, sdkKey }));
 * await OpenFeature.getClient().getBooleanValue('new-checkout', false, { targetingKey: 'user-42' });
 */
export class SwitchyardProvider implements Provider {
  readonly metadata = { name: 'switchyard' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  readonly client: SwitchyardClient;
  private readonly unsubscribe: () => void;

  constructor(clientOrOptions: SwitchyardClient | ClientOptions, private readonly readyTimeoutMs = 5_000) {
    this.client = 'enabled' in clientOrOptions ? clientOrOptions : createClient(clientOrOptions);
    this.unsubscribe = this.client.on('change', (keys) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: keys }));
  }

  async initialize(): Promise<void> {
    const result = await this.client.ready({ timeoutMs: this.readyTimeoutMs });
    if (!result.ok) throw result.error ?? new Error('Switchyard: no flag rules available');
  }

  async onClose(): Promise<void> {
    this.unsubscribe();
    await this.client.close();
  }

  private resolve<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext, accepts: (value: JsonValue) => boolean): ResolutionDetails<T> {
    const detail = this.client.detail(flagKey, toContext(context), defaultValue);
    const metadata: Record<string, string> = { switchyardReason: detail.reason };
    if (detail.ruleId !== undefined) metadata.ruleId = detail.ruleId;
    if (detail.reason === 'FLAG_NOT_FOUND') {
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.FLAG_NOT_FOUND, errorMessage: `flag "${flagKey}" not found`, flagMetadata: metadata };
    }
    if (detail.reason === 'ERROR') {
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.GENERAL, errorMessage: detail.errorCode ?? 'evaluation error', flagMetadata: metadata };
    }
    if (!accepts(detail.value)) {
      return { value: defaultValue, reason: StandardResolutionReasons.ERROR, errorCode: ErrorCode.TYPE_MISMATCH, errorMessage: `flag "${flagKey}" is not of the requested type`, flagMetadata: metadata };
    }
    const result: ResolutionDetails<T> = { value: detail.value as T, reason: REASONS[detail.reason], flagMetadata: metadata };
    if (detail.variant !== undefined) result.variant = detail.variant;
    return result;
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    return this.resolve(flagKey, defaultValue, context, (v) => typeof v === 'boolean');
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    return this.resolve(flagKey, defaultValue, context, (v) => typeof v === 'string');
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext): Promise<ResolutionDetails<number>> {
    return this.resolve(flagKey, defaultValue, context, (v) => typeof v === 'number');
  }

  async resolveObjectEvaluation<T extends OpenFeatureJson>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    return this.resolve(flagKey, defaultValue as JsonValue, context, (v) => typeof v === 'object' && v !== null) as ResolutionDetails<T>;
  }
}
