import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assertSystemdRunning, startTransientUnit, stopUnit, transientUnitProperties } from '../../src/cgroups/systemd-scope.js';
import type { NativeAddon } from '../../src/native/contract.js';
import { CgroupInUseError } from '../../src/errors.js';

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

  it("a unit of that name already there is refused as in use (a failed create must not stop another's unit)", () => {
    const failing = (dbusError: string): Job => () => {
      throw Object.assign(new Error(`Unit a.scope ${dbusError === 'org.freedesktop.systemd1.UnitExists' ? 'already exists' : 'failed'}.`), { dbusError });
    };
    const unit = { unit: 'a.scope', slice: 's.slice', pid: 1, id: 'a', v2: true };
    expect(() => startTransientUnit(unit, failing('org.freedesktop.systemd1.UnitExists'), true)).toThrow(CgroupInUseError);
    expect(() => startTransientUnit(unit, failing('org.freedesktop.systemd1.UnitExists'), true)).toThrow('systemd cgroup driver: start a.scope: Unit a.scope already exists.');
    let other: unknown;
    try {
      startTransientUnit(unit, failing('org.freedesktop.DBus.Error.TimedOut'), true);
    } catch (err) {
      other = err;
    }
    expect(other).toBeInstanceOf(Error);
    expect(other).not.toBeInstanceOf(CgroupInUseError);
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
