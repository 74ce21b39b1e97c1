import { describe, expect, it } from 'vitest';
import { SystemdCgroupManager } from '../../src/cgroups/systemd.js';
import type { CgroupManager, UnitJob } from '../../src/cgroups/types.js';

/** A cgroupfs manager that records the calls it gets. */
function fsRecorder(calls: string[]): CgroupManager {
  const rec =
    (name: string, ret?: unknown) =>
    (...a: unknown[]) => {
      calls.push([name, ...a.map((x) => JSON.stringify(x))].join(' '));
      return ret;
    };
  return {
    driver: 'cgroupfs',
    paths: { v1: {}, v2: '/sys/fs/cgroup/system.slice/tsrun-x.scope' },
    create: rec('create'),
    apply: rec('apply', ['a warning']) as CgroupManager['apply'],
    update: rec('update', []) as CgroupManager['update'],
    addProcess: rec('addProcess'),
    join: rec('join'),
    pids: rec('pids', []) as CgroupManager['pids'],
    freeze: rec('freeze'),
    thaw: rec('thaw'),
    isFrozen: rec('isFrozen', false) as CgroupManager['isFrozen'],
    killAll: rec('killAll'),
    destroy: rec('destroy'),
    setUp: rec('setUp', []) as CgroupManager['setUp'],
    enter: rec('enter', []) as CgroupManager['enter'],
    remove: rec('remove'),
    stats: rec('stats') as CgroupManager['stats'],
    oomKills: rec('oomKills', 0) as CgroupManager['oomKills'],
  };
}

describe('the systemd driver behind the cgroup manager interface', () => {
  const unit = { unit: 'tsrun-x.scope', slice: 'system.slice', id: 'x', isInit: true };

  it('makes nothing before the init exists; then starts the unit with its pid, waits for the job, joins, writes the limits', () => {
    const calls: string[] = [];
    const job: UnitJob = (method, u, props) => (calls.push(`${method} ${u} ${JSON.stringify(props.find((p) => p[0] === 'PIDs'))}`), 'done');
    const m = new SystemdCgroupManager(fsRecorder(calls), { ...unit, job }, true, { pids: { limit: 5 } });
    expect(m.driver).toBe('systemd');
    expect(m.setUp()).toEqual([]);
    expect(calls).toEqual([]);
    expect(m.enter(4242)).toEqual(['a warning']);
    expect(calls).toEqual(['StartTransientUnit tsrun-x.scope ["PIDs","au",[4242]]', 'join 4242', 'apply {"pids":{"limit":5}}']);
  });

  it('refuses a job that did not finish as done, before any limit is written', () => {
    const calls: string[] = [];
    const m = new SystemdCgroupManager(fsRecorder(calls), { ...unit, job: () => 'failed' }, true);
    expect(() => m.enter(1)).toThrow(/start tsrun-x.scope: job failed/);
    expect(calls).toEqual([]);
  });

  it('remove kills what is left, stops the unit, then removes the directories', () => {
    const calls: string[] = [];
    const job: UnitJob = (method, u) => (calls.push(`${method} ${u}`), 'done');
    new SystemdCgroupManager(fsRecorder(calls), { ...unit, job }, true).remove();
    expect(calls).toEqual(['killAll', 'StopUnit tsrun-x.scope', 'destroy']);
  });

  it('on a machine whose init is not systemd: a clear error at enter, nothing to stop at remove', () => {
    const calls: string[] = [];
    const job: UnitJob = (method) => (calls.push(method), 'done');
    const m = new SystemdCgroupManager(fsRecorder(calls), { ...unit, isInit: false, job }, true);
    expect(() => m.enter(1)).toThrow(/systemd is not running on this machine/);
    m.remove();
    expect(calls).toEqual(['killAll', 'destroy']);
  });
});
