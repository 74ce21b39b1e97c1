import { describe, expect, it } from 'vitest';
import { describeWaitStatus, exitCodeOf, termSignal } from '../../src/util/wait-status.js';

describe('wait status', () => {
  it('decodes an exit and a kill, in words and as the shell does', () => {
    const exited3 = 3 << 8;
    const killed9 = 9;
    expect(describeWaitStatus(exited3)).toBe('exit status 3');
    expect(describeWaitStatus(killed9)).toBe('killed by signal 9');
    expect(describeWaitStatus(killed9, true)).toBe('signal 9');
    expect(exitCodeOf(exited3)).toBe(3);
    expect(exitCodeOf(killed9 | 0x80)).toBe(137); // core dumped: still 128 + 9
    expect(termSignal(exited3)).toBe(0);
  });
});
