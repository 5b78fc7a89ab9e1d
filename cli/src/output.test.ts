import { describe, expect, it } from 'vitest';
import { Output, table } from './output.js';

function streams(tty: boolean) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, io: { stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: (t: string) => stderr.push(t), isTTY: tty } } };
}

describe('output', () => {
  it('rewrites the progress line in place on a terminal', () => {
    const s = streams(true);
    const progress = new Output(s.io, false).progress();
    progress.update('step 1/3');
    progress.update('step 1/3');
    progress.update('step 2/3');
    progress.done();
    expect(s.stderr.join('')).toBe('\rstep 1/3\x1b[K\rstep 1/3\x1b[K\rstep 2/3\x1b[K\n');
    expect(s.stdout).toEqual([]);
  });

  it('prints one line per change when stderr is not a terminal', () => {
    const s = streams(false);
    const progress = new Output(s.io, false).progress();
    progress.update('running 25% · next check in 9s', 'running 25%');
    progress.update('running 25% · next check in 8s', 'running 25%');
    progress.update('running 50% · next check in 9s', 'running 50%');
    progress.done();
    expect(s.stderr.join('')).toBe('running 25% · next check in 9s\nrunning 50% · next check in 9s\n');
  });

  it('prints exactly one JSON document with --json and the human text otherwise', () => {
    const json = streams(false);
    const out = new Output(json.io, true);
    out.result({ a: 1 }, () => 'human');
    out.document({ b: 2 });
    expect(json.stdout).toHaveLength(1);
    expect(JSON.parse(json.stdout[0] ?? '')).toEqual({ a: 1 });
    const human = streams(false);
    new Output(human.io, false).result({ a: 1 }, () => 'human');
    expect(human.stdout.join('')).toBe('human\n');
  });

  it('pads table columns', () => {
    expect(table(['KEY', 'STATE'], [['new-checkout', 'on'], ['x', 'rollout 5%']])).toBe('KEY           STATE\nnew-checkout  on\nx             rollout 5%');
  });
});
