import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConfigSnapshot } from '@switchyard/core';

/** Reads the last good rules saved at `path`; undefined when absent or unreadable. */
export function readSnapshot(path: string): ConfigSnapshot | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed: unknown = JSON.parse(text);
  if (!isSnapshot(parsed)) throw new Error(`${path} does not hold a Switchyard snapshot`);
  return parsed;
}

/** Writes rules atomically (temp file + rename), so a crash never leaves half a file. */
export function writeSnapshot(path: string, snapshot: ConfigSnapshot): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(snapshot));
  renameSync(temp, path);
}

/** A structural check of a snapshot from disk or the network. */
export function isSnapshot(value: unknown): value is ConfigSnapshot {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.revision === 'number' && Array.isArray(v.flags) && Array.isArray(v.segments);
}
