import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

export interface UpdateArgs extends GlobalArgs {
  'container-id': string;
  resources?: string;
  [flag: string]: unknown;
}

/** runc's individual update flags: flag → where it goes in LinuxResources, and how its value reads. */
export const UPDATE_FLAGS = {
  'blkio-weight': { path: ['blockIO', 'weight'], kind: 'int' },
  'cpu-period': { path: ['cpu', 'period'], kind: 'int' },
  'cpu-quota': { path: ['cpu', 'quota'], kind: 'int' },
  'cpu-burst': { path: ['cpu', 'burst'], kind: 'int' },
  'cpu-share': { path: ['cpu', 'shares'], kind: 'int' },
  'cpu-shares': { path: ['cpu', 'shares'], kind: 'int' },
  'cpu-rt-period': { path: ['cpu', 'realtimePeriod'], kind: 'int' },
  'cpu-rt-runtime': { path: ['cpu', 'realtimeRuntime'], kind: 'int' },
  'cpu-idle': { path: ['cpu', 'idle'], kind: 'int' },
  'cpuset-cpus': { path: ['cpu', 'cpus'], kind: 'string' },
  'cpuset-mems': { path: ['cpu', 'mems'], kind: 'string' },
  memory: { path: ['memory', 'limit'], kind: 'bytes' },
  'memory-reservation': { path: ['memory', 'reservation'], kind: 'bytes' },
  'memory-swap': { path: ['memory', 'swap'], kind: 'bytes' },
  'kernel-memory': { path: ['memory', 'kernel'], kind: 'bytes' },
  'kernel-memory-tcp': { path: ['memory', 'kernelTCP'], kind: 'bytes' },
  'pids-limit': { path: ['pids', 'limit'], kind: 'int' },
} as const;

export const updateCommand: CommandModule<GlobalArgs, UpdateArgs> = {
  command: 'update <container-id>',
  describe: 'update the resource limits of a container',
  builder: (y) => {
    let b = y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('resources', { alias: 'r', type: 'string', describe: 'OCI LinuxResources JSON file, or "-" for stdin' });
    for (const name of Object.keys(UPDATE_FLAGS))
      b = b.option(name, { type: 'string', hidden: name.startsWith('kernel') || name === 'cpu-shares' });
    b = b.option('l3-cache-schema', { type: 'string', hidden: true }).option('mem-bw-schema', { type: 'string', hidden: true });
    return b as unknown as Argv<UpdateArgs>;
  },
  handler: (a) =>
    handle(async () => {
      const { updateContainer } = await import('../../runtime/update.js');
      updateContainer(a.root, a['container-id'], a);
    }),
};
