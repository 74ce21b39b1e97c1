import { describe, expect, it } from 'vitest';
import { LineAssembler } from '../../src/runtime/logs.js';

const T1 = '2026-01-02T03:04:05.000000001Z';
const T2 = '2026-01-02T03:04:06.000000002Z';

describe('CRI log lines', () => {
  it('joins partial records per stream, keeps the first record\'s time, and waits for a record\'s end', () => {
    const a = new LineAssembler();
    expect(a.feed(`${T1} stdout P hel`)).toEqual([]);
    expect(a.feed(`\n${T1} stderr F oops\n${T2} stdout F lo world\n${T2} std`)).toEqual([
      { time: T1, stream: 'stderr', text: 'oops', complete: true },
      { time: T1, stream: 'stdout', text: 'hello world', complete: true },
    ]);
    expect(a.feed(`err P tail\n`)).toEqual([]);
    expect(a.unfinished()).toEqual([{ time: T2, stream: 'stderr', text: 'tail', complete: false }]);
  });

  it('keeps spaces and tabs of the text and skips malformed records', () => {
    const a = new LineAssembler();
    expect(a.feed(`${T1} stdout F  two  spaces\t\nnot a record\n`)).toEqual([{ time: T1, stream: 'stdout', text: ' two  spaces\t', complete: true }]);
  });
});
