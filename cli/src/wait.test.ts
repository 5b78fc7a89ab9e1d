import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { waitFor } from './wait.js';

function fakeClock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

describe('waitFor', () => {
  it('polls until done', async () => {
    const values = [1, 2, 3];
    const seen: number[] = [];
    const result = await waitFor({ clock: fakeClock(), timeoutMs: 10_000, intervalMs: 1000, poll: async () => values.shift() ?? 3, done: (v) => v === 3, onValue: (v) => seen.push(v), onRetry: () => {} });
    expect(result).toEqual({ value: 3, timedOut: false });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('returns the last value at the timeout', async () => {
    const clock = fakeClock();
    const result = await waitFor({ clock, timeoutMs: 3500, intervalMs: 1000, poll: async () => 'closed', done: () => false, onValue: () => {}, onRetry: () => {} });
    expect(result).toEqual({ value: 'closed', timedOut: true });
    expect(clock.now()).toBe(3500);
  });

  it('fails at once when the first poll fails, retries transient failures later', async () => {
    await expect(
      waitFor({ clock: fakeClock(), timeoutMs: 5000, intervalMs: 1000, poll: async () => { throw new CliError('down', { code: 'NETWORK' }); }, done: () => false, onValue: () => {}, onRetry: () => {} }),
    ).rejects.toThrow('down');
    let calls = 0;
    const retries: string[] = [];
    const result = await waitFor({
      clock: fakeClock(),
      timeoutMs: 10_000,
      intervalMs: 1000,
      poll: async () => {
        calls++;
        if (calls === 2) throw new CliError('UNAVAILABLE: restarting', { code: 'UNAVAILABLE', status: 503 });
        return calls;
      },
      done: (v) => v >= 3,
      onValue: () => {},
      onRetry: (err) => retries.push(err.message),
    });
    expect(result.value).toBe(3);
    expect(retries).toEqual(['UNAVAILABLE: restarting']);
    let n = 0;
    await expect(
      waitFor({ clock: fakeClock(), timeoutMs: 10_000, intervalMs: 1000, poll: async () => { if (n++ > 0) throw new CliError('FORBIDDEN: no', { code: 'FORBIDDEN', status: 403 }); return 0; }, done: () => false, onValue: () => {}, onRetry: () => {} }),
    ).rejects.toThrow('FORBIDDEN');
  });

  it('throws the last transient error when the timeout passes while the server fails', async () => {
    let n = 0;
    await expect(
      waitFor({ clock: fakeClock(), timeoutMs: 3000, intervalMs: 1000, poll: async () => { if (n++ > 0) throw new CliError('cannot reach', { code: 'NETWORK' }); return 0; }, done: () => false, onValue: () => {}, onRetry: () => {} }),
    ).rejects.toThrow('cannot reach');
  });
});
