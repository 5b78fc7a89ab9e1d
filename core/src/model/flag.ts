import { z } from 'zod';
import { FlagKeySchema, JsonValueSchema, VariantKeySchema } from './common.js';
import { ClauseSchema } from './clause.js';
import { ServeSchema } from './serve.js';

/** Flag kinds. Release and experiment flags are temporary and need an expiry date. @example 'kill-switch' */
export const FlagKindSchema = z.enum(['release', 'experiment', 'kill-switch', 'operational', 'permission', 'gate']);
/** A flag kind (inferred from {@link FlagKindSchema}). */
export type FlagKind = z.infer<typeof FlagKindSchema>;

/** Kinds that are temporary by nature: they must carry an owner and an expiry date. */
export const TEMPORARY_KINDS: ReadonlySet<FlagKind> = new Set<FlagKind>(['release', 'experiment']);

/** The value type of a flag's variants. @example 'boolean' */
export const FlagTypeSchema = z.enum(['boolean', 'string', 'number', 'json']);
/** A flag value type (inferred from {@link FlagTypeSchema}). */
export type FlagType = z.infer<typeof FlagTypeSchema>;

/** One variant: a key that rules refer to, and the value served. @example { key: 'grid', value: 'grid' } */
export const VariantSchema = z
  .object({
    key: VariantKeySchema,
    value: JsonValueSchema,
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
  })
  .strict();
/** A variant (inferred from {@link VariantSchema}). */
export type Variant = z.infer<typeof VariantSchema>;

/** The variants of every boolean flag. @example BOOLEAN_VARIANTS[0].key // 'true' */
export const BOOLEAN_VARIANTS: readonly Variant[] = Object.freeze([
  Object.freeze({ key: 'true', value: true }),
  Object.freeze({ key: 'false', value: false }),
]);

function variantsMatchType(type: FlagType, variants: readonly Variant[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  variants.forEach((variant, i) => {
    if (seen.has(variant.key)) {
      ctx.addIssue({ code: 'custom', path: ['variants', i, 'key'], message: `duplicate variant key "${variant.key}"` });
    }
    seen.add(variant.key);
    const actual = variant.value === null ? 'null' : Array.isArray(variant.value) ? 'array' : typeof variant.value;
    const ok = type === 'json' || actual === type;
    if (!ok) {
      ctx.addIssue({ code: 'custom', path: ['variants', i, 'value'], message: `must be a ${type} for a ${type} flag` });
    }
  });
  if (type === 'boolean') {
    const keys = variants.map((v) => `${v.key}=${String(v.value)}`).sort().join(',');
    if (keys !== 'false=false,true=true') {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'a boolean flag has exactly the variants "true" (true) and "false" (false)' });
    }
  }
}

// Every metadata field, without defaults: the patch schema is built from this, because a default
// inside `.partial()` still fills in a missing field, and a PATCH must not reset fields it omits.
const FlagMetadataSchema = z.object({
  key: FlagKeySchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000),
  kind: FlagKindSchema,
  owner: z.string().trim().min(1, 'every flag needs an owner (team or person)').max(200),
  expiresAt: z.iso.datetime({ offset: true }).nullable(),
  tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,63}$/, 'tags are lower-case, up to 64 characters')).max(50),
  clientSide: z.boolean(),
  type: FlagTypeSchema,
  variants: z.array(VariantSchema).min(2).max(100),
});

const FlagFieldsSchema = FlagMetadataSchema.extend({
  name: FlagMetadataSchema.shape.name.optional(),
  description: FlagMetadataSchema.shape.description.default(''),
  expiresAt: FlagMetadataSchema.shape.expiresAt.optional(),
  tags: FlagMetadataSchema.shape.tags.default([]),
  clientSide: FlagMetadataSchema.shape.clientSide.default(false),
  type: FlagMetadataSchema.shape.type.default('boolean'),
  variants: FlagMetadataSchema.shape.variants.optional(),
});

/**
 * A flag definition as written through the admin API (environment-independent metadata).
 * Boolean flags get the `true`/`false` variants when none are given.
 * @example FlagSchema.parse({ key: 'new-checkout', kind: 'release', owner: 'team-checkout', expiresAt: '2027-01-31T00:00:00Z' })
 */
export const FlagSchema = FlagFieldsSchema.strict()
  .transform((flag) => ({
    ...flag,
    name: flag.name ?? flag.key,
    expiresAt: flag.expiresAt ?? null,
    variants: flag.variants ?? (flag.type === 'boolean' ? BOOLEAN_VARIANTS.map((v) => ({ ...v })) : []),
  }))
  .superRefine((flag, ctx) => {
    if (TEMPORARY_KINDS.has(flag.kind) && flag.expiresAt === null) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: `required for ${flag.kind} flags: every temporary flag has an expiry date` });
    }
    if (flag.variants.length < 2) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: `a ${flag.type} flag needs at least two variants` });
    }
    variantsMatchType(flag.type, flag.variants, ctx);
  });
/** A flag definition after parsing (inferred from {@link FlagSchema}). */
export type Flag = z.output<typeof FlagSchema>;
/** A flag definition as accepted on input. */
export type FlagInput = z.input<typeof FlagSchema>;

/**
 * Partial update of a flag's metadata (key and type are immutable). Omitted fields stay absent: no
 * defaults are filled in, so a patch never resets what it does not name.
 * @example FlagPatchSchema.parse({ owner: 'team-b' }) // { owner: 'team-b' }
 */
export const FlagPatchSchema = FlagMetadataSchema.omit({ key: true, type: true }).partial().strict();
/** A flag patch (inferred from {@link FlagPatchSchema}). */
export type FlagPatch = z.infer<typeof FlagPatchSchema>;

/** Context keys pinned to a variant. @example { variant: 'true', values: ['qa-1', 'qa-2'] } */
export const TargetSchema = z
  .object({
    variant: VariantKeySchema,
    values: z.array(z.string().max(512)).max(50_000),
  })
  .strict();
/** A target (inferred from {@link TargetSchema}). */
export type Target = z.infer<typeof TargetSchema>;

/** An ordered targeting rule: all clauses must match; then `serve` applies. */
export const RuleSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'rule ids are short identifiers'),
    description: z.string().max(500).optional(),
    clauses: z.array(ClauseSchema).max(100),
    serve: ServeSchema,
  })
  .strict();
/** A rule (inferred from {@link RuleSchema}). */
export type Rule = z.infer<typeof RuleSchema>;

/** Another flag that must serve `variant` before this flag's targeting runs. @example { flag: 'new-api', variant: 'true' } */
export const PrerequisiteSchema = z.object({ flag: FlagKeySchema, variant: VariantKeySchema }).strict();
/** A prerequisite (inferred from {@link PrerequisiteSchema}). */
export type Prerequisite = z.infer<typeof PrerequisiteSchema>;

/**
 * A flag's configuration in one environment (the body of `PUT .../environments/:env`).
 * @example EnvironmentConfigSchema.parse({ enabled: true, offVariant: 'false', fallthrough: { variant: 'true' } })
 */
export const EnvironmentConfigSchema = z
  .object({
    enabled: z.boolean(),
    offVariant: VariantKeySchema,
    targets: z.array(TargetSchema).max(100).default([]),
    rules: z.array(RuleSchema).max(500).default([]),
    fallthrough: ServeSchema,
    prerequisites: z.array(PrerequisiteSchema).max(50).default([]),
  })
  .strict();
/** An environment config (inferred from {@link EnvironmentConfigSchema}). */
export type EnvironmentConfig = z.output<typeof EnvironmentConfigSchema>;
/** An environment config as accepted on input (defaults may be omitted). */
export type EnvironmentConfigInput = z.input<typeof EnvironmentConfigSchema>;

/**
 * The default environment config of a new flag: off, serving the last variant when off and the first
 * when on (for boolean flags: `false` when off, `true` when on).
 * @example defaultEnvironmentConfig(flag).offVariant // 'false'
 */
export function defaultEnvironmentConfig(flag: Pick<Flag, 'variants'>): EnvironmentConfig {
  const first = flag.variants[0]?.key ?? 'true';
  const last = flag.variants[flag.variants.length - 1]?.key ?? 'false';
  return { enabled: false, offVariant: last, targets: [], rules: [], fallthrough: { variant: first }, prerequisites: [] };
}

/**
 * What an SDK evaluates: one flag in one environment, as sent in the config snapshot and stream.
 * `killed` marks an off that came from a kill switch (reason `KILLED` instead of `OFF`).
 * @example evaluate(flagConfig, { key: 'user-42' })
 */
export const FlagConfigSchema = z
  .object({
    key: FlagKeySchema,
    version: z.number().int().min(0),
    type: FlagTypeSchema,
    variants: z.array(z.object({ key: VariantKeySchema, value: JsonValueSchema }).strict()).min(1),
    clientSide: z.boolean().optional(),
    killed: z.boolean().optional(),
    enabled: z.boolean(),
    offVariant: VariantKeySchema,
    targets: z.array(TargetSchema),
    rules: z.array(RuleSchema),
    fallthrough: ServeSchema,
    prerequisites: z.array(PrerequisiteSchema),
  })
  .strict();
/** A flag config (inferred from {@link FlagConfigSchema}). */
export type FlagConfig = z.infer<typeof FlagConfigSchema>;

