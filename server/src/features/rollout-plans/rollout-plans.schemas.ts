import { VariantKeySchema } from '@switchyard/core';
import { z } from 'zod';

export const PlanParamsSchema = z.object({ key: z.string(), env: z.string() }).strict();

const PercentageSchema = z
  .number()
  .gt(0, 'steps are percentages above 0')
  .max(100)
  .refine((p) => Math.abs(p * 1000 - Math.round(p * 1000)) < 1e-6, 'percentages go in steps of 0.001');

/** Longest hold per step: a week. */
export const MAX_HOLD_SECONDS = 7 * 24 * 60 * 60;

/**
 * Guards checked against the outcomes SDKs report with `track()`. Rates are fractions (0.01 = 1%);
 * increases compare the plan's variant with the baseline variant over the same window.
 */
export const GuardsSchema = z
  .object({
    maxErrorRate: z.number().min(0).max(1).optional(),
    maxErrorRateIncrease: z.number().min(0).max(1).optional(),
    maxP99Ms: z.number().positive().max(3_600_000).optional(),
    maxP99Increase: z.number().min(0).max(3_600_000).optional(),
    minSamples: z.number().int().min(1).max(1_000_000_000).default(1),
  })
  .strict();
export type Guards = z.output<typeof GuardsSchema>;

export const NoDataPolicySchema = z.enum(['pause', 'rollback']);
export type NoDataPolicy = z.infer<typeof NoDataPolicySchema>;

/** The body of `POST /api/v1/flags/:key/environments/:env/rollout-plan`. */
export const StartPlanSchema = z
  .object({
    steps: z
      .array(PercentageSchema)
      .min(1)
      .max(50)
      .refine((steps) => steps.every((p, i) => i === 0 || p > (steps[i - 1] ?? 0)), 'steps must increase (e.g. [1, 5, 25, 50, 100])'),
    holdSeconds: z.number().int().min(1).max(MAX_HOLD_SECONDS),
    variant: VariantKeySchema.optional(),
    baselineVariant: VariantKeySchema.optional(),
    guards: GuardsSchema.default({ minSamples: 1 }),
    noData: NoDataPolicySchema.default('pause'),
  })
  .strict();
export type StartPlan = z.output<typeof StartPlanSchema>;

/** The optional body of pause, resume and abort. */
export const PlanActionSchema = z
  .object({ reason: z.string().trim().min(1).max(500).optional() })
  .strict();
export type PlanAction = z.output<typeof PlanActionSchema>;
