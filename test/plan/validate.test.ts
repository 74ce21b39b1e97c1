import { describe, expect, it } from 'vitest';
import { semanticProblems, sysctlProblem } from '../../src/plan/validate.js';
import { defaultSpec } from '../../src/spec/default-spec.js';
import { parseSpec } from '../../src/spec/load.js';

type Json = Record<string, any>;

function problems(edit: (s: Json) => void = () => undefined): string[] {
  const s = structuredClone(defaultSpec()) as Json;
  edit(s);
  return semanticProblems(parseSpec(s));
}

const dropNs = (s: Json, type: string) => {
  s.linux.namespaces = s.linux.namespaces.filter((n: Json) => n.type !== type);
};

describe('semanticProblems', () => {
  it('finds nothing wrong with the default spec', () => {
    expect(problems()).toEqual([]);
  });

  it('finds nothing wrong with the rootless default spec', () => {
    expect(semanticProblems(parseSpec(defaultSpec({ rootless: true, uid: 1000, gid: 1000 })))).toEqual([]);
  });

  it('reports a duplicate namespace with both indexes', () => {
    expect(problems((s) => s.linux.namespaces.push({ type: 'pid' }))).toEqual([
      'linux.namespaces[6].type: duplicate namespace "pid" (also at [0])',
    ]);
  });

  it('refuses mounts over /proc or inside it, except proc and the files lxcfs emulates (runc\'s checkProcMount)', () => {
    const n = (defaultSpec() as Json).mounts.length as number;
    const add = (m: Json) => problems((s) => s.mounts.push(m));
    expect(add({ destination: '/proc/sys/kernel', type: 'tmpfs', source: 'tmpfs' })).toEqual([
      `mounts[${n}].destination: "/proc/sys/kernel" cannot be mounted because it is inside /proc`,
    ]);
    expect(add({ destination: '/proc/../proc/self/attr', type: 'bind', source: '/tmp', options: ['bind'] })).toEqual([
      `mounts[${n}].destination: "/proc/self/attr" cannot be mounted because it is inside /proc`,
    ]);
    expect(add({ destination: '/proc', type: 'tmpfs', source: 'tmpfs' })).toEqual([
      `mounts[${n}].destination: "/proc" cannot be mounted because it is not of type proc`,
    ]);
    expect(add({ destination: '/proc/cpuinfo', type: 'bind', source: '/var/lib/lxcfs/proc/cpuinfo', options: ['bind'] })).toEqual([]);
    expect(add({ destination: '/procfs', type: 'tmpfs', source: 'tmpfs' })).toEqual([]);
  });

  it('reports a relative namespace path', () => {
    expect(problems((s) => (s.linux.namespaces[1] = { type: 'network', path: 'proc/1/ns/net' }))).toEqual([
      'linux.namespaces[1].path: must be an absolute path',
    ]);
  });

  it('reports a new user namespace without uid and gid mappings', () => {
    expect(problems((s) => s.linux.namespaces.push({ type: 'user' }))).toEqual([
      'linux.uidMappings: a new user namespace needs uid mappings',
      'linux.gidMappings: a new user namespace needs gid mappings',
    ]);
  });

  it('accepts a joined user namespace without mappings', () => {
    expect(problems((s) => s.linux.namespaces.push({ type: 'user', path: '/proc/1/ns/user' }))).toEqual([]);
  });

  it('reports mappings without a new user namespace', () => {
    expect(
      problems((s) => {
        s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
        s.linux.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      }),
    ).toEqual(['linux.uidMappings: uid mappings need a new user namespace', 'linux.gidMappings: gid mappings need a new user namespace']);
  });

  it('reports a hostname or domainname without a uts namespace', () => {
    expect(
      problems((s) => {
        dropNs(s, 'uts');
        s.domainname = 'example.org';
      }),
    ).toEqual(['hostname: setting the hostname needs a uts namespace', 'domainname: setting the domainname needs a uts namespace']);
  });

  it('reports masked and read-only paths without a mount namespace (mounts and a read-only root are only warned about)', () => {
    expect(problems((s) => dropNs(s, 'mount'))).toEqual([
      'linux.maskedPaths: masking paths needs a mount namespace',
      'linux.readonlyPaths: read-only paths need a mount namespace',
    ]);
  });

  it('reports timeOffsets without a time namespace, or with a joined one', () => {
    const offsets = { monotonic: { secs: 1 } };
    expect(problems((s) => (s.linux.timeOffsets = offsets))).toEqual(['linux.timeOffsets: time offsets need a new time namespace']);
    expect(
      problems((s) => {
        s.linux.timeOffsets = offsets;
        s.linux.namespaces.push({ type: 'time', path: '/proc/1/ns/time' });
      }),
    ).toEqual(['linux.timeOffsets: time offsets need a new time namespace']);
    expect(
      problems((s) => {
        s.linux.timeOffsets = offsets;
        s.linux.namespaces.push({ type: 'time' });
      }),
    ).toEqual([]);
  });

  it('reports a missing process', () => {
    expect(problems((s) => delete s.process)).toEqual(['process: Required (a container needs a process to run)']);
  });

  it('reports a missing root', () => {
    expect(
      problems((s) => {
        delete s.root;
      }),
    ).toEqual(['root: Required on Linux']);
  });

  it('reports a bind mount without a source', () => {
    expect(problems((s) => s.mounts.push({ destination: '/data', type: 'bind', options: ['rbind'] }))).toEqual([
      'mounts[7].source: a bind mount needs a source',
    ]);
  });

  it('accepts sysctls without a mount namespace (written through the rootfs /proc, like runc)', () => {
    const p = problems((s) => {
      dropNs(s, 'mount');
      s.linux.maskedPaths = [];
      s.linux.readonlyPaths = [];
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    });
    expect(p).toEqual([]);
  });
});

describe('sysctlProblem (runc rules)', () => {
  const all = (ns: string) => ['ipc', 'network', 'uts'].includes(ns);
  const none = () => false;
  it('allows namespaced keys when the container has that namespace', () => {
    for (const k of ['kernel.msgmax', 'kernel.shm_rmid_forced', 'fs.mqueue.queues_max', 'net.ipv4.ip_forward', 'net/ipv4/ip_forward', 'kernel.domainname'])
      expect(sysctlProblem(k, all)).toBeUndefined();
  });
  it('refuses them in the host namespaces, and non-namespaced keys always', () => {
    expect(sysctlProblem('net.ipv4.ip_forward', none)).toBe(`linux.sysctl["net.ipv4.ip_forward"]: not allowed in the host's network namespace`);
    expect(sysctlProblem('kernel.sem', none)).toBe(`linux.sysctl["kernel.sem"]: not allowed in the host's ipc namespace`);
    expect(sysctlProblem('kernel.hostname', all)).toBe('linux.sysctl["kernel.hostname"]: conflicts with the "hostname" field');
    expect(sysctlProblem('vm.swappiness', all)).toBe('linux.sysctl["vm.swappiness"]: not in a separate kernel namespace');
  });
  it('reports a SELinux label on a host without SELinux', () => {
    const spec = parseSpec({ ...defaultSpec(), process: { ...(defaultSpec().process as object), selinuxLabel: 'x' } });
    expect(semanticProblems(spec, { selinuxEnabled: false })).toContain(
      'process.selinuxLabel: a SELinux label is set, but SELinux is disabled or not supported on this host',
    );
  });
});
