import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertSystemdRunning, startTransientUnitArgs } from '../../src/cgroups/systemd-scope.js';

describe('systemd transient units', () => {
  it('asks for a scope in its slice with the init, delegation and accounting', () => {
    const args = startTransientUnitArgs({ unit: 'docker-abc.scope', slice: 'system.slice', pid: 4242, id: 'abc', v2: true });
    expect(args.slice(0, 9)).toEqual([
      'call',
      'org.freedesktop.systemd1',
      '/org/freedesktop/systemd1',
      'org.freedesktop.systemd1.Manager',
      'StartTransientUnit',
      'ssa(sv)a(sa(sv))',
      'docker-abc.scope',
      'replace',
      '9',
    ]);
    const s = args.join(' ');
    expect(s).toContain('Slice s system.slice');
    expect(s).toContain('PIDs au 1 4242');
    expect(s).toContain('Delegate b true');
    expect(s).toContain('IOAccounting b true');
    expect(args.at(-1)).toBe('0');
  });

  it('names BlockIOAccounting on v1 and gives a slice no Slice property', () => {
    const s = startTransientUnitArgs({ unit: 'machine-x.slice', slice: 'machine.slice', pid: 1, id: 'x', v2: false }).join(' ');
    expect(s).toContain('BlockIOAccounting b true');
    expect(s).not.toContain('Slice s');
  });

  it.skipIf(existsSync('/run/systemd/system'))('says clearly that systemd is not running here', () => {
    expect(() => assertSystemdRunning()).toThrow(/systemd is not running on this machine \(PID 1 is ".*"\); drop --systemd-cgroup/);
  });
});
