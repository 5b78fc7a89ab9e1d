// The few constants of docs/protocol.md this SDK needs. @switchyard/core defines them beside its zod
// schemas, which must stay out of the browser bundle, so they are repeated here; protocol.test.ts
// checks that they still equal core's.

/** This SDK's name and version, announced in `hello` and in metrics. */
export const SDK_INFO: { readonly name: string; readonly version: string } = { name: 'sdk-browser', version: '0.1.0' };

/**
 * The stream protocol version this SDK implements. 1, below core's `PROTOCOL_VERSION`: version 2 only
 * adds patch `updates` (changed fields), which cost bundle bytes to apply and save a page little, so
 * the server keeps sending this SDK whole flags.
 */
export const PROTOCOL_VERSION = 1;

/** Most raw latencies one metrics entry may carry (core's `MAX_RAW_LATENCIES`). */
export const MAX_RAW_LATENCIES = 1000;
