import { z } from 'zod';

/** A context attribute value: scalars, or a list of scalars (a clause matches if any element matches). */
export type ContextValue = string | number | boolean | null | ReadonlyArray<string | number | boolean>;

/**
 * The evaluation context: who or what a flag is evaluated for. `key` is the default bucketing value.
 * @example const ctx: Context = { key: 'user-42', country: 'NL', plan: 'pro' }
 */
export interface Context {
  readonly key?: string;
  readonly [attribute: string]: ContextValue | undefined;
}

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** Zod schema of a context, for validating contexts that arrive over the network. @example ContextSchema.parse({ key: 'u1' }) */
export const ContextSchema: z.ZodType<Context> = z.record(
  z.string().max(256),
  z.union([ScalarSchema, z.null(), z.array(ScalarSchema)]).optional(),
);
