import { describe, expect, it } from 'vitest';
import { isSameLiveProcess, readProcStat, readProcText } from '../../src/util/proc.js';

describe('readProcText', () => {
  it('reads a small /proc file as text', () => {
    expect(readProcText('/proc/self/status')).toMatch(/^Name:\t/);
  });

  it('names the file it could not open', () => {
    expect(() => readProcText('/proc/self/no-such-file')).toThrow('open /proc/self/no-such-file: no such file or directory');
  });
});

describe('readProcStat', () => {
  it('reads this process and nothing for a pid that does not exist', () => {
    const st = readProcStat(process.pid);
    expect(st?.ppid).toBe(process.ppid);
    expect(isSameLiveProcess(process.pid, st!.startTime)).toBe(true);
    expect(readProcStat(2 ** 22 + 1)).toBeUndefined();
  });
});
