import { describe, expect, it } from 'vitest';
import { TsrunError } from '../../src/errors.js';
import { I64_MAX, I64_MIN, parseCount, parseIntFlag, parsePid } from '../../src/util/numbers.js';

describe('command-line integers', () => {
  it('reads decimal integers, a repeated flag keeping its last value', () => {
    expect(parseCount('preserve-fds', '3')).toBe(3);
    expect(parseCount('preserve-fds', ['1', '2'])).toBe(2);
    expect(parseIntFlag('cpu-quota', '-1', I64_MIN, I64_MAX)).toBe(-1);
    expect(parsePid('exec', '4194304')).toBe(4194304);
  });

  it.each(['1.5', '1e3', '0x10', ' 7', '7 ', '', 'abc', '--1', 'Infinity', 'NaN'])('refuses %j, naming the flag', (s) => {
    expect(() => parseCount('preserve-fds', s)).toThrow(TsrunError);
    expect(() => parseCount('preserve-fds', s)).toThrow(`invalid value for --preserve-fds: ${JSON.stringify(s)} is not a decimal integer`);
  });

  it('refuses what is out of range instead of truncating it', () => {
    expect(() => parseCount('tail', '-1')).toThrow('invalid value for --tail: -1 is out of range (0 to 2147483647)');
    expect(() => parseCount('preserve-fds', '99999999999')).toThrow('out of range');
    expect(() => parsePid('exec', '0')).toThrow('invalid value for --exec: 0 is out of range (1 to 2147483647)');
    expect(() => parseIntFlag('cpu-quota', '9223372036854775808', I64_MIN, I64_MAX)).toThrow('out of range');
  });
});
