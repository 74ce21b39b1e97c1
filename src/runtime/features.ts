/**
 * features: what this runtime implements, in the runtime-spec's features.md shape. Engines act on it
 * (containerd and CRI-O enable idmapped mounts, user namespaces and `rro` only when advertised), so it lists
 * only what works here and tests prove.
 */
import { seccompNames, supportedArchs, type ArchResolver } from '../plan/seccomp.js';
import { capabilities, mountOptionFlags, propagationFlags, recursiveMountOptions } from '../plan/tables.js';

export interface FeaturesInput {
  specVersion: string;
  version: string;
  commit: string;
  libseccompVersion: string;
  /** uname release, e.g. "6.1.0-26-amd64": seccomp flags newer kernels have. */
  kernelRelease: string;
  /** The linked libseccomp's answer for an architecture name: only those it resolves are advertised. */
  seccompArchKnown: ArchResolver;
}

function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

export function features(i: FeaturesInput): Record<string, unknown> {
  const supportedFlags = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_LOG'];
  if (kernelAtLeast(i.kernelRelease, 6, 0)) supportedFlags.push('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV');
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: i.specVersion,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [...Object.keys(mountOptionFlags), ...Object.keys(propagationFlags), ...Object.keys(recursiveMountOptions), 'idmap', 'ridmap'].sort(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts'],
      capabilities: Object.entries(capabilities)
        .sort((a, b) => a[1] - b[1])
        .map(([name]) => name),
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: [...seccompNames.actions].sort(),
        operators: [...seccompNames.operators].sort(),
        archs: supportedArchs(i.seccompArchKnown),
        knownFlags: [...seccompNames.flags].sort(),
        supportedFlags,
      },
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: true } },
    },
    annotations: {
      'io.github.seccomp.libseccomp.version': i.libseccompVersion,
      'org.opencontainers.runc.checkpoint.enabled': 'false',
      'org.tsrun.version': i.version,
      'org.tsrun.commit': i.commit,
    },
  };
}
