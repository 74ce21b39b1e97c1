import { describe, expect, it } from 'vitest';
import { runHook } from '../../src/runtime/hooks.js';

describe('runHook', () => {
  it('kills a hook that writes without end, and says so', () => {
    const hook = { path: '/bin/sh', args: ['sh', '-c', 'cat /dev/zero'], timeout: 20 };
    const started = Date.now();
    expect(() => runHook('createRuntime', 0, hook, '{}', '/')).toThrow('createRuntime hook #0 (/bin/sh): wrote more than 1 MiB to stdout or stderr (killed)');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('passes a hook that exits 0', () => {
    expect(() => runHook('poststop', 0, { path: '/bin/true' }, '{}', '/')).not.toThrow();
  });
});
