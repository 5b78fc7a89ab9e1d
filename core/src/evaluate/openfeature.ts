import type { JsonValue } from '../model/common.js';
import type { Context, ContextValue } from '../model/context.js';
import type { Detail } from './detail.js';

// What both SDKs' OpenFeature providers share: the context and result mappings. The values are
// OpenFeature's standard reason and error-code strings, so core needs no OpenFeature package; each
// provider hands the result to its SDK (server or web) as that SDK's ResolutionDetails.

/** Switchyard reasons as OpenFeature's standard resolution reasons. */
const REASONS: Record<Detail['reason'], 'TARGETING_MATCH' | 'DEFAULT' | 'DISABLED' | 'ERROR'> = {
  TARGET_MATCH: 'TARGETING_MATCH',
  RULE_MATCH: 'TARGETING_MATCH',
  FALLTHROUGH: 'DEFAULT',
  OFF: 'DISABLED',
  KILLED: 'DISABLED',
  PREREQUISITE_FAILED: 'DISABLED',
  BUCKET_KEY_MISSING: 'DEFAULT',
  FLAG_NOT_FOUND: 'ERROR',
  ERROR: 'ERROR',
};

/** An OpenFeature resolution, in the shape of the OpenFeature SDKs' `ResolutionDetails`. */
export interface OpenFeatureResolution<T> {
  value: T;
  reason: string;
  variant?: string;
  errorCode?: 'FLAG_NOT_FOUND' | 'GENERAL' | 'TYPE_MISMATCH';
  errorMessage?: string;
  flagMetadata: Record<string, string>;
}

const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/**
 * An OpenFeature evaluation context as a Switchyard context: `targetingKey` becomes `key`, dates
 * become ISO strings, lists keep their scalars, nested objects are dropped.
 * @example toSwitchyardContext({ targetingKey: 'user-42', country: 'NL' }) // { key: 'user-42', country: 'NL' }
 */
export function toSwitchyardContext(context: Readonly<Record<string, unknown>> | undefined): Context {
  const out: Record<string, ContextValue> = {};
  for (const [name, value] of Object.entries(context ?? {})) {
    if (name === 'targetingKey') continue;
    if (isScalar(value)) out[name] = value;
    else if (value instanceof Date) out[name] = value.toISOString();
    else if (Array.isArray(value)) out[name] = value.filter(isScalar);
  }
  if (typeof context?.targetingKey === 'string') out.key = context.targetingKey;
  return out;
}

/**
 * A Switchyard detail as an OpenFeature resolution: unknown flags, evaluation errors and values not
 * of the requested type (`accepts`) resolve to the default with an error code; the Switchyard reason
 * and rule id travel in `flagMetadata`.
 * @example toOpenFeatureResolution('new-checkout', detail, false, (v) => typeof v === 'boolean')
 */
export function toOpenFeatureResolution<T extends JsonValue>(flagKey: string, detail: Detail, defaultValue: T, accepts: (value: JsonValue) => boolean): OpenFeatureResolution<T> {
  const flagMetadata: Record<string, string> = { switchyardReason: detail.reason };
  if (detail.ruleId !== undefined) flagMetadata.ruleId = detail.ruleId;
  const error = (errorCode: 'FLAG_NOT_FOUND' | 'GENERAL' | 'TYPE_MISMATCH', errorMessage: string): OpenFeatureResolution<T> => ({ value: defaultValue, reason: 'ERROR', errorCode, errorMessage, flagMetadata });
  if (detail.reason === 'FLAG_NOT_FOUND') return error('FLAG_NOT_FOUND', `flag "${flagKey}" not found`);
  if (detail.reason === 'ERROR') return error('GENERAL', detail.errorCode ?? 'evaluation error');
  if (!accepts(detail.value)) return error('TYPE_MISMATCH', `flag "${flagKey}" is not of the requested type`);
  const result: OpenFeatureResolution<T> = { value: detail.value as T, reason: REASONS[detail.reason], flagMetadata };
  if (detail.variant !== undefined) result.variant = detail.variant;
  return result;
}
