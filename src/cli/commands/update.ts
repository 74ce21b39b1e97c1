import type { GlobalArgs } from '../global.js';
import { UPDATE_FLAGS } from '../../runtime/update-flags.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';
import type { FlagTable } from '../flags.js';

/** Intel RDT schemata: refused (runc's error where the host has no CAT/MBA), since tsrun makes no resctrl group. */
export const UPDATE_RDT_FLAGS: FlagTable = {
  'l3-cache-schema': { type: 'string', describe: 'Intel RDT/CAT L3 cache schema (fails: tsrun does not apply Intel RDT)' },
  'mem-bw-schema': { type: 'string', describe: 'Intel RDT/MBA memory bandwidth schema (fails: tsrun does not apply Intel RDT)' },
};

export interface UpdateArgs extends GlobalArgs {
  'container-id': string;
  resources?: string;
  [flag: string]: unknown;
}

/** What each of runc's update flags sets (UPDATE_FLAGS says where it goes and how its value reads). */
const DESCRIBE: Record<keyof typeof UPDATE_FLAGS, string> = {
  'blkio-weight': 'block IO weight, 10-1000',
  'cpu-period': 'CPU CFS period, in microseconds',
  'cpu-quota': 'CPU CFS quota per period, in microseconds (-1: none)',
  'cpu-burst': 'CPU CFS burst, in microseconds',
  'cpu-share': 'CPU shares (relative weight)',
  'cpu-shares': 'same as --cpu-share',
  'cpu-rt-period': 'realtime period, in microseconds',
  'cpu-rt-runtime': 'realtime runtime per period, in microseconds',
  'cpu-idle': '1: the container is SCHED_IDLE (cgroup v2)',
  'cpuset-cpus': 'CPUs the container may use (0-3, 0,1)',
  'cpuset-mems': 'memory nodes the container may use (0-3, 0,1)',
  memory: 'memory limit (bytes, or with k, m, g; -1: none)',
  'memory-reservation': 'memory soft limit (bytes, or with k, m, g)',
  'memory-swap': 'memory plus swap limit (bytes, or with k, m, g; -1: none)',
  'kernel-memory': 'kernel memory limit (cgroup v1; deprecated)',
  'kernel-memory-tcp': 'kernel TCP buffer limit (cgroup v1; deprecated)',
  'pids-limit': 'maximum number of processes (-1: none)',
};

const FLAGS: FlagTable = {
  resources: { alias: 'r', type: 'string', describe: 'an OCI LinuxResources JSON file, or "-" for stdin (the other flags are then ignored)' },
  ...Object.fromEntries(
    Object.keys(UPDATE_FLAGS).map((name) => [
      name,
      { type: 'string', describe: DESCRIBE[name as keyof typeof UPDATE_FLAGS], hidden: name.startsWith('kernel') || name === 'cpu-shares' },
    ]),
  ),
  ...UPDATE_RDT_FLAGS,
};

export const UPDATE_DOC: CommandDoc = {
  name: 'update',
  command: 'update <container-id>',
  synopsis: '<container-id>',
  summary: 'update the resource limits of a running container',
  description:
    "Changes the limits of the container's cgroup, from flags or from a LinuxResources JSON document (--resources). Only what is given changes. The new limits are kept in the container's state for later commands.",
  positionals: { 'container-id': 'the name of the container' },
  flags: FLAGS,
  examples: [
    ['tsrun update --memory 512m --pids-limit 100 web', 'lower the memory and process limits of web'],
    ['tsrun update --cpu-quota 50000 --cpu-period 100000 web', 'half of one CPU'],
    ['echo \'{"memory":{"limit":268435456}}\' | tsrun update -r - web', 'the same document engines send'],
  ],
};

export const updateCommand = commandModule<UpdateArgs>(UPDATE_DOC, (a) =>
  handle(async () => {
    const { updateContainer } = await import('../../runtime/verbs.js');
    updateContainer(a.root, a['container-id'], a);
  }),
);
