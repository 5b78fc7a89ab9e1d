import { z } from 'zod';
import { VariantKeySchema } from './common.js';

/** 100% expressed in rollout weight units (thousandths of a percent). @example WEIGHT_TOTAL // 100000 */
export const WEIGHT_TOTAL = 100_000;

/** One slice of a rollout. `weight` is in thousandths of a percent. @example { variant: 'true', weight: 25000 } */
export const WeightedVariantSchema = z
  .object({
    variant: VariantKeySchema,
    weight: z.number().int().min(0).max(WEIGHT_TOTAL),
  })
  .strict();

/** A weighted variant (inferred from {@link WeightedVariantSchema}). */
export type WeightedVariant = z.infer<typeof WeightedVariantSchema>;

/**
 * A percentage rollout: variants with integer weights summing to 100000, bucketed by `bucketBy`
 * (default the context key) with `salt` (default the flag key).
 * @example const r: Rollout = { variants: [{ variant: 'true', weight: 25000 }, { variant: 'false', weight: 75000 }] }
 */
export const RolloutSchema = z
  .object({
    variants: z.array(WeightedVariantSchema).min(1).max(100),
    bucketBy: z.string().min(1).max(256).optional(),
    salt: z.string().max(256).optional(),
  })
  .strict()
  .superRefine((rollout, ctx) => {
    const sum = rollout.variants.reduce((total, v) => total + v.weight, 0);
    if (sum !== WEIGHT_TOTAL) {
      ctx.addIssue({
        code: 'custom',
        path: ['variants'],
        message: `weights must sum to ${WEIGHT_TOTAL} (thousandths of a percent), got ${sum}`,
      });
    }
  });

/** A rollout (inferred from {@link RolloutSchema}). */
export type Rollout = z.infer<typeof RolloutSchema>;

/**
 * What a rule or the fallthrough serves: a fixed variant or a rollout.
 * @example const s: Serve = { variant: 'true' }
 */
export const ServeSchema = z.union([
  z.object({ variant: VariantKeySchema }).strict(),
  z.object({ rollout: RolloutSchema }).strict(),
]);

/** A serve (inferred from {@link ServeSchema}). */
export type Serve = z.infer<typeof ServeSchema>;

/**
 * Builds the two-variant rollout behind the quick percentage slider. Percentages are rounded to the
 * nearest 0.001 and clamped to [0, 100], so the weights always sum to 100000.
 * @example rolloutFromPercentage(25, 'true', 'false') // 25000 / 75000
 */
export function rolloutFromPercentage(
  percentage: number,
  onVariant: string,
  offVariant: string,
  options: { bucketBy?: string; salt?: string } = {},
): Rollout {
  const clamped = Number.isFinite(percentage) ? Math.min(100, Math.max(0, percentage)) : 0;
  const weight = Math.round(clamped * 1000);
  const rollout: Rollout = {
    variants: [
      { variant: onVariant, weight },
      { variant: offVariant, weight: WEIGHT_TOTAL - weight },
    ],
  };
  if (options.bucketBy !== undefined) rollout.bucketBy = options.bucketBy;
  if (options.salt !== undefined) rollout.salt = options.salt;
  return rollout;
}
