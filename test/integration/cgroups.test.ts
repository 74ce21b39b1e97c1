import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, IS_TSRUN, baseConfig, pidAlive, waitExit, waitFor } from '../helpers/runtime.js';

const h = new Harness();
afterAll(() => h.cleanup());

const V2 = readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup rw') &&
  /^\S+ \S+ \S+ \S+ \/sys\/fs\/cgroup .* - cgroup2 /m.test(readFileSync('/proc/self/mountinfo', 'utf8'));

function run(config: ReturnType<typeof baseConfig>) {
  const id = h.id('cg');
  const bundle = h.bundle(config);
  return { ...h.rt(['run', '--bundle', bundle, id]), id, bundle };
}

function detached(config: ReturnType<typeof baseConfig>, o: { runcWarns?: boolean } = {}) {
  const id = h.id('cgd');
  const bundle = h.bundle(config);
  const r = h.rt(['run', '-d', '--bundle', bundle, id]);
  if (IS_TSRUN || !o.runcWarns) expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { id, bundle, pid: h.state(id).pid };
}

/** Resolves once the text read so far from the stream holds `want`; rejects after 10 s. */
function outputHas(stream: NodeJS.ReadableStream, text: { out: string }, want: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (text.out.includes(want)) return resolve();
    const timer = setTimeout(() => reject(new Error(`no ${want} in ${JSON.stringify(text.out)}`)), 10_000);
    const onData = () => {
      if (!text.out.includes(want)) return;
      clearTimeout(timer);
      stream.off('data', onData);
      resolve();
    };
    stream.on('data', onData);
  });
}

/** The container's cgroup directory for one controller, as the host sees it. */
function cgroupDir(pid: number, controller: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  if (V2) return join('/sys/fs/cgroup', lines.find((l) => l.startsWith('0::'))!.slice(3));
  const line = lines.find((l) => l.split(':')[1]!.split(',').includes(controller))!;
  const mount = readdirSync('/sys/fs/cgroup').find((d) => d.split(',').includes(controller))!;
  return join('/sys/fs/cgroup', mount, line.split(':')[2]!);
}

describe('limits are enforced', () => {
  it('a process over its memory limit is OOM-killed', () => {
    const cfg = baseConfig(['tsrun-test-payload', 'alloc', '64']);
    cfg.linux.resources = { memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
    const r = run(cfg);
    expect(r.stdout).not.toContain('allocated');
    expect(r.status).toBe(137);
  });

  it('a fork bomb stops at the pids limit', () => {
    // The inner shell forks until fork fails and exits; the outer one then counts with builtins only.
    const cfg = baseConfig(['sh', '-c', 'sh -c "while :; do sleep 30 & done"; set -- /proc/[0-9]*; echo $#']);
    cfg.linux.resources = { pids: { limit: 10 } };
    const r = run(cfg);
    expect(r.stderr).toContain("can't fork");
    // The outer shell and the sleeps left behind: the inner shell had taken the tenth slot.
    expect(r.stdout).toBe('9\n');
  });

  it('a device outside the allowed rules cannot be opened', () => {
    const cfg = baseConfig(['sh', '-c', 'head -c1 /dev/kmsg-test >/dev/null 2>&1 && echo opened || echo refused; head -c1 /dev/zero | wc -c']);
    cfg.linux.devices = [{ path: '/dev/kmsg-test', type: 'c', major: 1, minor: 11, fileMode: 0o666 }];
    cfg.linux.resources = { devices: [{ allow: false, access: 'rwm' }] };
    const r = run(cfg);
    expect(r.stdout).toBe('refused\n1\n');
  });

  it('a frozen container makes no progress until resumed', () => {
    const cfg = baseConfig(['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /count; sleep 0.02; done']);
    const c = detached(cfg);
    // 0 until the loop has written the file once (the container may not have run its first line yet).
    const count = () => Number((existsSync(join(c.bundle, 'rootfs', 'count')) && readFileSync(join(c.bundle, 'rootfs', 'count'), 'utf8')) || 0);
    expect(waitFor(() => count() > 3)).toBe(true);
    expect(h.rt(['pause', c.id]).status).toBe(0);
    expect(h.state(c.id).status).toBe('paused');
    const frozenAt = count();
    expect(waitFor(() => false, 300)).toBe(false); // let time pass
    expect(count()).toBe(frozenAt);
    expect(h.rt(['resume', c.id]).status).toBe(0);
    expect(h.state(c.id).status).toBe('running');
    expect(waitFor(() => count() > frozenAt + 2)).toBe(true);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  // runc cannot start below about 6 MB; the init here is a few hundred KiB.
  it.skipIf(!IS_TSRUN)('starts under a 1 MiB memory limit', () => {
    const cfg = baseConfig(['sh', '-c', 'echo small']);
    cfg.linux.resources = { memory: { limit: 1024 * 1024 } };
    const r = run(cfg);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('small\n');
    expect(r.status).toBe(0);
  });
});

describe('resources reach the kernel files runc writes', () => {
  const resources = {
    memory: { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, swap: 96 * 1024 * 1024 },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 77 },
  };

  it.skipIf(V2)('v1: memory (with kernelTCP where the kernel has it), cpu, cpuset and pids', () => {
    const tcp = existsSync('/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes');
    const c = detached({
      ...baseConfig(['sleep', '1000']),
      linux: { ...baseConfig([]).linux, resources: { ...resources, memory: { ...resources.memory, kernelTCP: 8 * 1024 * 1024 } } },
    }, { runcWarns: true }); // runc 1.1 ignores kernelTCP with a warning; crun and tsrun set it
    const f = (ctl: string, file: string) => readFileSync(join(cgroupDir(c.pid, ctl), file), 'utf8').trim();
    expect(f('memory', 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(f('memory', 'memory.soft_limit_in_bytes')).toBe(String(32 * 1024 * 1024));
    if (existsSync(join(cgroupDir(c.pid, 'memory'), 'memory.memsw.limit_in_bytes')))
      expect(f('memory', 'memory.memsw.limit_in_bytes')).toBe(String(96 * 1024 * 1024));
    if (tcp && IS_TSRUN) expect(f('memory', 'memory.kmem.tcp.limit_in_bytes')).toBe(String(8 * 1024 * 1024));
    expect(f('cpu', 'cpu.shares')).toBe('512');
    expect(f('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(f('cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(f('cpuset', 'cpuset.cpus')).toBe('0');
    expect(f('cpuset', 'cpuset.mems')).toBe('0');
    expect(f('pids', 'pids.max')).toBe('77');
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it.skipIf(!V2)('v2: the same fields converted as runc does, plus unified', () => {
    const hugetlb = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').split(/\s+/).includes('hugetlb') && existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB');
    const c = detached({
      ...baseConfig(['sleep', '1000']),
      linux: {
        ...baseConfig([]).linux,
        resources: {
          ...resources,
          unified: { 'memory.high': String(48 * 1024 * 1024) },
          ...(hugetlb ? { hugepageLimits: [{ pageSize: '2MB', limit: 8 * 1024 * 1024 }] } : {}),
        },
      },
    });
    const f = (file: string) => readFileSync(join(cgroupDir(c.pid, ''), file), 'utf8').trim();
    expect(f('memory.max')).toBe(String(64 * 1024 * 1024));
    expect(f('memory.low')).toBe(String(32 * 1024 * 1024));
    expect(f('memory.swap.max')).toBe(String(32 * 1024 * 1024)); // v2 swap excludes memory
    expect(f('memory.high')).toBe(String(48 * 1024 * 1024));
    // runc's current conversion (1024 → 100, the defaults of both): ceil(10^((l² + 125l)/612 − 7/34)), l = log2(512)
    expect(f('cpu.weight')).toBe('59');
    expect(f('cpu.max')).toBe('50000 100000');
    expect(f('cpuset.cpus')).toBe('0');
    expect(f('pids.max')).toBe('77');
    if (hugetlb) expect(f('hugetlb.2MB.max')).toBe(String(8 * 1024 * 1024));
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });
});

describe('limits the kernel refuses', () => {
  function refused(resources: Record<string, unknown>, message: RegExp) {
    const id = h.id('cgbad');
    const cfg = baseConfig(['true']);
    cfg.linux.cgroupsPath = `/tsrun-test/${id}`;
    cfg.linux.resources = resources;
    const r = h.rt(['run', '--bundle', h.bundle(cfg), id]);
    expect(r.status).toBe(1);
    if (IS_TSRUN) expect(r.stderr).toMatch(message);
    // Nothing is left behind: no state, no cgroup in any hierarchy.
    expect(existsSync(join(h.root, id))).toBe(false);
    for (const d of readdirSync('/sys/fs/cgroup')) expect(existsSync(join('/sys/fs/cgroup', d, 'tsrun-test', id))).toBe(false);
    expect(existsSync(join('/sys/fs/cgroup/tsrun-test', id))).toBe(false);
  }

  it('a memory limit below what the init needs is named, not reported as a bare SIGKILL', () => {
    refused({ memory: { limit: 1000 } }, /killed by the OOM killer during setup: linux\.resources\.memory\.limit \(1000 bytes\) is too low/);
  });

  it('a cpuset outside the machine fails with the file and the value', () => {
    refused({ cpu: { cpus: '0-999' } }, /failed to write "0-999": write \S+cpuset\.cpus: numerical result out of range/);
  });

  it.skipIf(V2)('unified on a v1 host is refused as runc does', () => {
    refused({ unified: { 'memory.high': '10M' } }, /cannot use unified on cgroup v1/);
  });
});

describe('cgroup lifecycle', () => {
  it('puts the init in its cgroup with its limits before create returns, and removes the cgroup on delete', () => {
    const id = h.id('cgl');
    const cfg = baseConfig(['sleep', '1000']);
    cfg.linux.cgroupsPath = `/tsrun-test/${id}`;
    cfg.linux.resources = { memory: { limit: 32 * 1024 * 1024 }, pids: { limit: 42 } };
    const bundle = h.bundle(cfg);
    expect(h.rt(['create', '--bundle', bundle, id]).status).toBe(0);
    const pid = h.state(id).pid;
    const mem = cgroupDir(pid, 'memory');
    const pids = cgroupDir(pid, 'pids');
    expect(mem.endsWith(`/tsrun-test/${id}`)).toBe(true);
    expect(readFileSync(join(mem, V2 ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(32 * 1024 * 1024));
    expect(readFileSync(join(pids, 'pids.max'), 'utf8').trim()).toBe('42');
    expect(JSON.parse(h.rt(['ps', '--format', 'json', id]).stdout)).toEqual([pid]);
    expect(h.rt(['delete', id]).status).toBe(0);
    expect(existsSync(mem)).toBe(false);
    expect(existsSync(pids)).toBe(false);
  });

  it("a create naming a running container's cgroup leaves that container running (tsrun refuses it, runc 1.1 warns)", () => {
    const path = `/tsrun-test/${h.id('shared')}`;
    const first = baseConfig(['sleep', '1000']);
    first.linux.cgroupsPath = path;
    const a = detached(first);
    const second = baseConfig(['sleep', '1000']);
    second.linux.cgroupsPath = path;
    const idB = h.id('cgs');
    const r = h.rt(['create', '--bundle', h.bundle(second), idB]);
    if (IS_TSRUN) {
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("container's cgroup is not empty: 1 process(es) found");
    }
    expect(pidAlive(a.pid)).toBe(true);
    expect(h.state(a.id).status).toBe('running');
    expect(cgroupDir(a.pid, 'pids').endsWith(path)).toBe(true);
    if (r.status === 0) expect(h.rt(['delete', '--force', idB]).status).toBe(0);
    expect(h.rt(['delete', '--force', a.id]).status).toBe(0);
  });

  it('update changes limits (runc flags and --resources), ps lists the processes, events prints stats', () => {
    const c = detached(baseConfig(['sh', '-c', 'sleep 1000 & sleep 1000 & wait']));
    const mem = cgroupDir(c.pid, 'memory');
    expect(h.rt(['update', '--memory', '48m', '--pids-limit', '33', c.id]).status).toBe(0);
    expect(readFileSync(join(mem, V2 ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(48 * 1024 * 1024));
    expect(readFileSync(join(cgroupDir(c.pid, 'pids'), 'pids.max'), 'utf8').trim()).toBe('33');
    const r = h.rt(['update', '--resources', '-', c.id], { input: JSON.stringify({ pids: { limit: 55 } }) });
    expect(r.stderr).toBe('');
    expect(readFileSync(join(cgroupDir(c.pid, 'pids'), 'pids.max'), 'utf8').trim()).toBe('55');
    // The memory limit set before survives an update that does not mention it.
    expect(readFileSync(join(mem, V2 ? 'memory.max' : 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(48 * 1024 * 1024));
    const pids = JSON.parse(h.rt(['ps', '--format', 'json', c.id]).stdout) as number[];
    expect(pids).toHaveLength(3);
    expect(pids).toContain(c.pid);
    const table = h.rt(['ps', c.id, '-o', 'pid,comm']).stdout.trim().split('\n');
    expect(table[0]).toMatch(/PID\s+COMMAND/);
    expect(table.slice(1).map((l) => l.trim().split(/\s+/)[1]).sort()).toEqual(['sh', 'sleep', 'sleep']);
    const ev = JSON.parse(h.rt(['events', '--stats', c.id]).stdout);
    expect(ev).toMatchObject({ type: 'stats', id: c.id, data: { pids: { current: 3, limit: 55 } } });
    expect(ev.data.memory.usage.usage).toBeGreaterThan(0);
    expect(ev.data.cpu.usage.total).toBeGreaterThan(0);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it('update --l3-cache-schema / --mem-bw-schema fail without resctrl, changing nothing', () => {
    if (readFileSync('/proc/self/mountinfo', 'utf8').includes(' - resctrl ')) return; // a host with Intel RDT
    const c = detached(baseConfig(['sleep', '1000']));
    const limit = join(cgroupDir(c.pid, 'memory'), V2 ? 'memory.max' : 'memory.limit_in_bytes');
    const before = readFileSync(limit, 'utf8');
    const l3 = h.rt(['update', '--memory', '40m', '--l3-cache-schema', 'L3:0=f', c.id]);
    expect(l3.status).toBe(1);
    expect(l3.stderr).toContain('Intel RDT/CAT: l3 cache schema is not enabled');
    const mb = h.rt(['update', '--memory', '40m', '--mem-bw-schema', 'MB:0=50', c.id]);
    expect(mb.status).toBe(1);
    expect(mb.stderr).toContain('Intel RDT/MBA: memory bandwidth schema is not enabled');
    expect(readFileSync(limit, 'utf8')).toBe(before);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it("events --stats prints every counter exactly and all of runc's sections", () => {
    const cfg = baseConfig(['sleep', '1000']);
    cfg.linux.resources = { memory: { limit: -1 } };
    const c = detached(cfg);
    const limitFile = join(cgroupDir(c.pid, 'memory'), V2 ? 'memory.max' : 'memory.limit_in_bytes');
    const kernel = readFileSync(limitFile, 'utf8').trim();
    // v1: the largest page multiple below 2^63; v2: "max", which runc reports as 2^64-1.
    const exact = V2 ? '18446744073709551615' : '9223372036854771712';
    if (!V2) expect(kernel).toBe(exact);
    const r = h.rt(['events', '--stats', c.id]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`"usage":{"limit":${exact},`);
    expect(r.stdout).not.toContain('9223372036854772000');
    const ev = JSON.parse(r.stdout);
    expect(Object.keys(ev.data)).toEqual(['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
    expect(ev.data.intel_rdt).toEqual({});
    expect(ev.data.network_interfaces).toBeNull();
    expect(typeof ev.data.hugetlb).toBe('object');
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
  });

  it('events reports OOM kills as the kernel signals them (and, in tsrun, ends when the container does)', async () => {
    // OOM kills keep coming, so some happen after events has registered for them, whenever that is.
    const cfg = baseConfig(['sh', '-c', 'while :; do tsrun-test-payload alloc 64; sleep 0.1; done']);
    cfg.linux.resources = { memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
    const c = detached(cfg);
    // With an hour-long interval no stats come: every line must come from the kernel's notification.
    const ev = h.rtAsync(['events', '--interval', '1h', c.id]);
    const text = { out: '' };
    ev.stdout.on('data', (d: Buffer) => (text.out += d.toString()));
    await outputHas(ev.stdout, text, '\n');
    const exited = new Promise((res) => ev.on('exit', res));
    expect(h.rt(['kill', c.id, 'KILL']).status).toBe(0);
    // runc's events outlives the container; tsrun's ends with it.
    if (IS_TSRUN) expect(await exited).toBe(0);
    else ev.kill();
    const lines = text.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toEqual({ type: 'oom', id: c.id });
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('kill --all reaches every process of a container without its own pid namespace', () => {
    const cfg = baseConfig(['sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
    cfg.linux.namespaces = cfg.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
    const c = detached(cfg);
    const pids = JSON.parse(h.rt(['ps', '--format', 'json', c.id]).stdout) as number[];
    expect(pids.length).toBe(3);
    expect(h.rt(['kill', '--all', c.id, 'KILL']).status).toBe(0);
    for (const p of pids) expect(waitExit(p)).toBe(true);
    expect(h.rt(['delete', c.id]).status).toBe(0);
  });

  it('delete --force of a paused container kills it and removes its cgroup', () => {
    const c = detached(baseConfig(['sleep', '1000']));
    const dir = cgroupDir(c.pid, 'freezer');
    expect(h.rt(['pause', c.id]).status).toBe(0);
    expect(h.rt(['delete', '--force', c.id]).status).toBe(0);
    expect(pidAlive(c.pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it.skipIf(!IS_TSRUN || existsSync('/run/systemd/system'))('--systemd-cgroup without systemd says so and leaves nothing behind', () => {
    const id = h.id('sd');
    const cfg = baseConfig(['true']);
    cfg.linux.cgroupsPath = 'system.slice:tsrun:' + id;
    const r = h.rt(['--systemd-cgroup', 'run', '--bundle', h.bundle(cfg), id]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/systemd is not running on this machine/);
    expect(existsSync(join(h.root, id))).toBe(false);
  });
});

