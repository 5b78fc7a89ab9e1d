import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { formatDuration, formatRate, parseDuration, parseMilliseconds, parsePercentage, parseRate, parseSteps } from './units.js';

describe('units', () => {
  it('parses durations with ms, s, m, h, d suffixes, compounds and bare seconds', () => {
    expect(parseDuration('500ms', '--x')).toBe(500);
    expect(parseDuration('2s', '--x')).toBe(2000);
    expect(parseDuration('10m', '--x')).toBe(600_000);
    expect(parseDuration('1h', '--x')).toBe(3_600_000);
    expect(parseDuration('1h30m', '--x')).toBe(5_400_000);
    expect(parseDuration('1d', '--x')).toBe(86_400_000);
    expect(parseDuration('90', '--x')).toBe(90_000);
    expect(parseDuration('1.5s', '--x')).toBe(1500);
    for (const bad of ['', 'soon', '10 minutes', '5x', '1h30', '-1s']) {
      expect(() => parseDuration(bad, '--hold')).toThrow(CliError);
    }
    expect(() => parseDuration('soon', '--hold')).toThrow(/--hold: "soon" is not a duration/);
  });

  it('parses rates as percentages or fractions, refusing ambiguous bare numbers', () => {
    expect(parseRate('1%', '--r')).toBe(0.01);
    expect(parseRate('0.5%', '--r')).toBe(0.005);
    expect(parseRate('0.07%', '--r')).toBe(0.0007);
    expect(parseRate('0.01', '--r')).toBe(0.01);
    expect(parseRate('.2', '--r')).toBe(0.2);
    expect(parseRate('0', '--r')).toBe(0);
    expect(() => parseRate('1', '--max-error-rate')).toThrow(/ambiguous: write a percentage \(1%\) or a fraction below 1 \(0.01\)/);
    expect(() => parseRate('150%', '--r')).toThrow(/more than 100%/);
    expect(() => parseRate('lots', '--r')).toThrow(CliError);
  });

  it('parses percentages and steps', () => {
    expect(parsePercentage('25', 'p')).toBe(25);
    expect(parsePercentage('12.5%', 'p')).toBe(12.5);
    expect(() => parsePercentage('101', 'p')).toThrow(CliError);
    expect(() => parsePercentage('-1', 'p')).toThrow(CliError);
    expect(parseSteps('1,5,25,50,100')).toEqual([1, 5, 25, 50, 100]);
    expect(parseSteps('10%, 100%')).toEqual([10, 100]);
    expect(() => parseSteps('5,1')).toThrow(/must go up/);
    expect(() => parseSteps('0,50')).toThrow(CliError);
    expect(() => parseSteps('1,,5')).toThrow(CliError);
    expect(parseMilliseconds('500', '--x')).toBe(500);
    expect(parseMilliseconds('250ms', '--x')).toBe(250);
    expect(() => parseMilliseconds('1s', '--x')).toThrow(CliError);
  });

  it('formats durations and rates briefly', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_000)).toBe('12s');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
    expect(formatRate(0.0123)).toBe('1.23%');
    expect(formatRate(0.01)).toBe('1%');
  });
});
