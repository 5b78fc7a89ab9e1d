import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext,
  type JsonValue as OpenFeatureJson,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import { toOpenFeatureResolution, toSwitchyardContext, type JsonValue } from '@switchyard/core/evaluate';
import { createClient, type ClientOptions, type SwitchyardClient } from './client.js';

/** An OpenFeature evaluation context as a Switchyard context (core's mapping, shared with the Node provider). */
export { toSwitchyardContext as toContext } from '@switchyard/core/evaluate';

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
      this.client.setContext(toSwitchyardContext(newContext));
    } finally {
      this.switching = false;
    }
  }

  async onClose(): Promise<void> {
    this.unsubscribe();
    await this.client.close();
  }

  private resolve<T extends JsonValue>(flagKey: string, defaultValue: T, accepts: (value: JsonValue) => boolean): ResolutionDetails<T> {
    return toOpenFeatureResolution(flagKey, this.client.detail(flagKey, defaultValue), defaultValue, accepts) as ResolutionDetails<T>;
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
