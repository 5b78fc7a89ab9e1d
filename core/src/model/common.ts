import { z } from 'zod';

/** Flag keys: lower-case, URL-safe, up to 128 characters. @example 'new-checkout' */
export const FLAG_KEY_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

/** Variant keys: short identifiers referenced by rules and rollouts. @example 'control' */
export const VARIANT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Segment keys share the flag key format. @example 'internal-users' */
export const SEGMENT_KEY_PATTERN = FLAG_KEY_PATTERN;

/** Zod schema of a flag key. @example FlagKeySchema.parse('new-checkout') */
export const FlagKeySchema = z
  .string()
  .regex(FLAG_KEY_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,127}$ (lower-case letters, digits, ".", "_", "-")');

/** Zod schema of a variant key. @example VariantKeySchema.parse('true') */
export const VariantKeySchema = z
  .string()
  .regex(VARIANT_KEY_PATTERN, 'must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$');

/** Zod schema of a segment key. @example SegmentKeySchema.parse('beta') */
export const SegmentKeySchema = z
  .string()
  .regex(SEGMENT_KEY_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,127}$');

/** Any JSON value. @example const v: JsonValue = { layout: 'grid' } */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Zod schema of any JSON value (finite numbers only). @example JsonValueSchema.parse([1, 'a']) */
export const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number().finite(),
    z.boolean(),
    z.null(),
    z.array(JsonValueSchema),
    z.record(z.string(), JsonValueSchema),
  ]),
);
