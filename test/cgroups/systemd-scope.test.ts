import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertSystemdRunning, startTransientUnit, stopUnit, transientUnitProperties } from '../../src/cgroups/systemd-scope.js';
import type { NativeAddon } from '../../src/native/contract.js';

type Job = NativeAddon['systemdUnitJob'];

describe('systemd transient units', () => {
  it('asks for a scope in its slice with the init, delegation and accounting', () => {
    const props = transientUnitProperties({ unit: 'docker-abc.scope', slice: 'system.slice', pid: 4242, id: 'abc', v2: true });
    expect(props).toEqual([
      ['Slice', 's', 'system.slice'],
      ['Description', 's', 'libcontainer container abc'],
      ['PIDs', 'au', [4242]],
      ['Delegate', 'b', true],
      ['MemoryAccounting', 'b', true],
      ['CPUAccounting', 'b', true],
      ['TasksAccounting', 'b', true],
      ['IOAccounting', 'b', true],
      ['DefaultDependencies', 'b', false],
    ]);
  });

  it('names BlockIOAccounting on v1 and gives a slice no Slice property', () => {
    const props = transientUnitProperties({ unit: 'machine-x.slice', slice: 'machine.slice', pid: 1, id: 'x', v2: false });
    expect(props.map((p) => p[0])).toContain('BlockIOAccounting');
    expect(props.map((p) => p[0])).not.toContain('Slice');
  });

  it.skipIf(existsSync('/run/systemd/system'))('says clearly that systemd is not running here', () => {
    expect(() => assertSystemdRunning()).toThrow(/systemd is not running on this machine \(PID 1 is ".*"\); drop --systemd-cgroup/);
    let called = false;
    const job: Job = () => ((called = true), 'done');
    expect(() => startTransientUnit({ unit: 'a.scope', slice: 's.slice', pid: 1, id: 'a', v2: true }, job)).toThrow(/systemd is not running/);
    stopUnit('a.scope', job);
    expect(called).toBe(false);
  });
});
