// The `@switchyard/core/evaluate` entry: the evaluator, bucketing and target hashing without the zod
// schemas, for bundles where every byte counts (the browser SDK). Nothing here may import zod.
export type { JsonValue } from '../model/common.js';
export type { Context, ContextValue } from '../model/context.js';
export type { Clause, ClauseValue, Operator } from '../model/clause.js';
export type { FlagConfig, Prerequisite, Rule, Target } from '../model/flag.js';
export type { Segment, SegmentRule } from '../model/segment.js';
export type { Rollout, Serve, WeightedVariant } from '../model/serve.js';
export type { ConfigSnapshot, PatchMessage, ServerMessage, SnapshotMessage } from '../protocol/messages.js';
export { OPERATORS } from '../model/operators.js';
export { bucket, bucketer, BUCKETS } from '../bucketing/bucket.js';
export { hashTargetKey, TARGET_HASH_SEEDS } from '../bucketing/target-hash.js';
export type { Detail, Reason, ErrorCode } from './detail.js';
export { evaluate, createFlagSet, MAX_DEPTH, type EvaluateOptions, type FlagDetails, type FlagSet, type FlagSetInit, type Lookup } from './evaluate.js';
export { evaluateCompact } from './compact.js';
export { toOpenFeatureResolution, toSwitchyardContext, type OpenFeatureResolution } from './openfeature.js';
