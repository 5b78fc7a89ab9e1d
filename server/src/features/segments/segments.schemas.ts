import { SegmentKeySchema, SegmentSchema } from '@switchyard/core';
import { z } from 'zod';

export const CreateSegmentSchema = SegmentSchema;
export type CreateSegment = z.output<typeof CreateSegmentSchema>;

// `key` is tolerated (when it equals the path's key) so a client can send back what it read.
export const ReplaceSegmentSchema = SegmentSchema.extend({ key: SegmentKeySchema.optional() });
export type ReplaceSegment = z.output<typeof ReplaceSegmentSchema>;

export const SegmentKeyParamsSchema = z.object({ key: SegmentKeySchema }).strict();
