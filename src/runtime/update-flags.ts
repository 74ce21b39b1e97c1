/**
 * runc's individual update flags: flag → where it goes in LinuxResources, and how its value reads: an integer of
 * the field's type (u16, u64, i64), a size (512m, -1 for unlimited) or a string.
 */
export const UPDATE_FLAGS = {
  'blkio-weight': { path: ['blockIO', 'weight'], kind: 'u16' },
  'cpu-period': { path: ['cpu', 'period'], kind: 'u64' },
  'cpu-quota': { path: ['cpu', 'quota'], kind: 'i64' },
  'cpu-burst': { path: ['cpu', 'burst'], kind: 'u64' },
  'cpu-share': { path: ['cpu', 'shares'], kind: 'u64' },
  'cpu-shares': { path: ['cpu', 'shares'], kind: 'u64' },
  'cpu-rt-period': { path: ['cpu', 'realtimePeriod'], kind: 'u64' },
  'cpu-rt-runtime': { path: ['cpu', 'realtimeRuntime'], kind: 'i64' },
  'cpu-idle': { path: ['cpu', 'idle'], kind: 'i64' },
  'cpuset-cpus': { path: ['cpu', 'cpus'], kind: 'string' },
  'cpuset-mems': { path: ['cpu', 'mems'], kind: 'string' },
  memory: { path: ['memory', 'limit'], kind: 'bytes' },
  'memory-reservation': { path: ['memory', 'reservation'], kind: 'bytes' },
  'memory-swap': { path: ['memory', 'swap'], kind: 'bytes' },
  'kernel-memory': { path: ['memory', 'kernel'], kind: 'bytes' },
  'kernel-memory-tcp': { path: ['memory', 'kernelTCP'], kind: 'bytes' },
  'pids-limit': { path: ['pids', 'limit'], kind: 'i64' },
} as const;
