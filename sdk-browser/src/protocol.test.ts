import { CLOSE_CODES, MAX_RAW_LATENCIES as CORE_MAX_RAW_LATENCIES, PROTOCOL_VERSION as CORE_PROTOCOL_VERSION } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MAX_RAW_LATENCIES, PROTOCOL_VERSION, SDK_INFO } from './protocol.js';

// protocol.ts repeats a few of core's constants (core keeps them beside zod); they must not drift.
describe('sdk-browser protocol constants', () => {
  it('equal core', () => {
    // Protocol 1 on purpose (see protocol.ts); it must never claim more than core defines.
    expect(PROTOCOL_VERSION).toBe(1);
    expect(PROTOCOL_VERSION).toBeLessThanOrEqual(CORE_PROTOCOL_VERSION);
    expect(MAX_RAW_LATENCIES).toBe(CORE_MAX_RAW_LATENCIES);
    const stream = readFileSync(new URL('./client.ts', import.meta.url), 'utf8');
    for (const code of [CLOSE_CODES.UNAUTHORIZED, CLOSE_CODES.FORBIDDEN, CLOSE_CODES.SERVICE_RESTART]) expect(stream).toContain(`code == ${code}`);
  });

  it('announce the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SDK_INFO).toEqual({ name: 'sdk-browser', version: pkg.version });
  });
});
