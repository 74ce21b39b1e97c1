import { describe, expect, it } from 'vitest';
import { parseBytes, parseDuration, parseInterval } from '../../src/util/units.js';

describe('parseBytes (RAMInBytes)', () => {
  it('reads binary multiples with or without b/ib, any case', () => {
    expect(parseBytes('100')).toBe(100);
    expect(parseBytes('512k')).toBe(512 * 1024);
    expect(parseBytes('512m')).toBe(512 * 1024 ** 2);
    expect(parseBytes('1G')).toBe(1024 ** 3);
    expect(parseBytes('1gb')).toBe(1024 ** 3);
    expect(parseBytes('2MiB')).toBe(2 * 1024 ** 2);
    expect(parseBytes('1.5m')).toBe(1.5 * 1024 ** 2);
    expect(parseBytes('-1')).toBe(-1);
  });
  it('refuses garbage', () => {
    expect(() => parseBytes('lots')).toThrow("invalid size: 'lots'");
    expect(() => parseBytes('5x')).toThrow();
  });
});

describe('parseDuration (Go)', () => {
  it('reads single and compound durations in ms', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
  });
  it('refuses missing units and garbage', () => {
    expect(() => parseDuration('5')).toThrow('invalid duration "5"');
    expect(() => parseDuration('5sx')).toThrow();
  });
});

describe('parseInterval (events --interval)', () => {
  it('is more than 0 and at most what a timer can wait; less than 1 ms becomes 1 ms', () => {
    expect(parseInterval('5s')).toBe(5000);
    expect(parseInterval('1ns')).toBe(1);
    expect(parseInterval('596h31m23.647s')).toBe(2 ** 31 - 1);
    expect(() => parseInterval('596h31m23.648s')).toThrow('duration interval must be at most 596h31m23.647s');
    expect(() => parseInterval('0s')).toThrow('duration interval must be greater than 0');
    expect(() => parseInterval('-1s')).toThrow('duration interval must be greater than 0');
  });
});
