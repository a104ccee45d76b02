/**
 * Proves `toMs`, the one place durations from the public API become milliseconds: every unit converts
 * exactly, numbers pass through as whole ms, and anything else throws a ConfigError naming the value.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { type Duration, toMs } from '../../src/workflow/index.js';

describe('toMs', () => {
  it.each<[Duration, number]>([
    ['200ms', 200],
    ['10s', 10_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['2d', 172_800_000],
    ['0s', 0],
    ['1.5s', 1_500],
    [' 3s ', 3_000],
    [1500, 1_500],
    [0, 0],
    [2.4, 2],
  ])('%j is %i ms', (duration, ms) => {
    expect(toMs(duration)).toBe(ms);
  });

  it.each<[Duration]>([
    ['10'],
    [''],
    ['abc'],
    ['5w'],
    ['-5s'],
    ['10 minutes'],
    ['1e3ms'],
    ['s'],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
  ])('%j throws ConfigError', (duration) => {
    expect(() => toMs(duration)).toThrow(ConfigError);
  });

  it('names what was being parsed and the bad value', () => {
    expect(() => toMs('soon', 'sleep')).toThrow(
      expect.objectContaining({ code: 'LB_CONFIG', message: expect.stringContaining('sleep "soon"') }),
    );
  });
});
