import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue as OpenFeatureJson,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { toOpenFeatureResolution, toSwitchyardContext, type JsonValue } from '@switchyard/core';
import { createClient, type ClientOptions, type SwitchyardClient } from './client.js';

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
    return toOpenFeatureResolution(flagKey, this.client.detail(flagKey, toSwitchyardContext(context), defaultValue), defaultValue, accepts) as ResolutionDetails<T>;
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
