import { describe, expect, it } from 'vitest';
import { TsrunError } from '../../src/errors.js';
import { parseSignal, signalName } from '../../src/runtime/signals.js';

describe('parseSignal', () => {
  it.each([
    ['9', 9],
    ['KILL', 9],
    ['SIGKILL', 9],
    ['kill', 9],
    ['sigkill', 9],
    ['term', 15],
    ['HUP', 1],
    ['usr1', 10],
    ['64', 64],
  ])('%s → %i', (s, n) => {
    expect(parseSignal(s)).toBe(n);
  });

  it('defaults to SIGTERM', () => {
    expect(parseSignal(undefined)).toBe(15);
    expect(parseSignal('')).toBe(15);
  });

  it.each(['0', '65', 'NOPE', 'SIGNOPE', '-9', '9x', '1.5', '0x9', '1e1', '99999999999', ' 9'])('rejects %s', (s) => {
    expect(() => parseSignal(s)).toThrow(TsrunError);
  });

  it('words the errors like runc', () => {
    expect(() => parseSignal('65')).toThrow('invalid signal: 65');
    expect(() => parseSignal('NOPE')).toThrow('unknown signal "NOPE"');
  });
});

describe('signalName', () => {
  it('names known signals and falls back to the number', () => {
    expect(signalName(9)).toBe('SIGKILL');
    expect(signalName(15)).toBe('SIGTERM');
    expect(signalName(99)).toBe('99');
  });
});
