import type { Argv, CommandModule } from 'yargs';
import type { CreateOptions } from '../../runtime/create.js';
import { TsrunError } from '../../errors.js';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { warmCgroupMigration } from '../../runtime/cgroup-warm.js';
import { yargsOptions, type FlagTable } from '../flags.js';
import { commandModule, type CommandDoc } from '../command-def.js';
import { lastOf, parseCount } from '../../util/numbers.js';
import { rootlessCgroups } from '../../runtime/rootless.js';

export interface CreateArgs extends GlobalArgs {
  'container-id': string;
  bundle: string;
  'pid-file'?: string;
  'console-socket'?: string;
  'pidfd-socket'?: string;
  'no-pivot': boolean;
  'no-new-keyring': boolean;
  'preserve-fds': string;
  stdin: boolean;
  'log-size-max': string;
  'log-dir'?: string;
}

/** Flags shared by create and run. */
export const CREATE_FLAGS: FlagTable = {
  bundle: { alias: 'b', type: 'string', default: '.', describe: 'path to the bundle directory' },
  'pid-file': { type: 'string', describe: 'file to write the process id to' },
  'console-socket': { type: 'string', describe: 'AF_UNIX socket that receives the pty master fd' },
  'pidfd-socket': { type: 'string', describe: "AF_UNIX stream socket that receives a pidfd of the container's init" },
  'no-pivot': { type: 'boolean', default: false, describe: 'do not use pivot_root (rootfs on a ramdisk)' },
  'no-new-keyring': { type: 'boolean', default: false, describe: "keep the caller's session keyring" },
  'preserve-fds': { type: 'string', default: '0', describe: 'pass N more fds (from 3) to the container' },
  stdin: { type: 'boolean', default: false, describe: "under tsrun's shim: keep the container's stdin open for attach" },
  'log-size-max': { type: 'string', default: '10m', describe: "under tsrun's shim: rotate container.log past this size (bytes, k/m/g; 0: never)" },
  'log-dir': {
    type: 'string',
    describe: "under tsrun's shim: where container logs are kept (default /var/log/tsrun as root, ~/.local/state/tsrun/logs otherwise)",
  },
};

/** What yargs' check() refuses as a usage error (the fast parser hands such a line to yargs). */
export function checkCreateArgs(a: Record<string, unknown>): true {
  parseCount('preserve-fds', a['preserve-fds']);
  parseSize(String(lastOf(a['log-size-max'])));
  return true;
}

/** Options shared by create and run. */
export function withCreateOptions(y: Argv<GlobalArgs>): Argv<CreateArgs> {
  return y
    .positional('container-id', { type: 'string', demandOption: true, describe: 'unique name of the container' })
    .options(yargsOptions(CREATE_FLAGS))
    .check(checkCreateArgs) as unknown as Argv<CreateArgs>;
}

/** The parsed create/run flags as the runtime takes them. */
export function createOptions(a: CreateArgs): CreateOptions {
  return {
    root: a.root,
    id: a['container-id'],
    bundle: a.bundle,
    pidFile: a['pid-file'],
    consoleSocket: a['console-socket'],
    pidfdSocket: a['pidfd-socket'],
    noPivot: a['no-pivot'],
    noNewKeyring: a['no-new-keyring'],
    preserveFds: parseCount('preserve-fds', a['preserve-fds']),
    systemdCgroup: a['systemd-cgroup'],
    rootlessCgroups: rootlessCgroups(a.rootless),
    shim: a.shim,
    stdin: a.stdin,
    logMaxSize: parseSize(String(lastOf(a['log-size-max']))),
    logRoot: a['log-dir'],
  };
}

/** "10m" → 10485760; plain numbers are bytes. Exact in a double (the shim takes it as a u64). */
export function parseSize(s: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(s.trim());
  if (!m) throw new TsrunError(`--log-size-max: ${JSON.stringify(s)} is not a size (bytes, or a number with k, m or g)`);
  const mult = { '': 1n, k: 1024n, m: 1024n ** 2n, g: 1024n ** 3n }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const bytes = BigInt(m[1]!) * mult;
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new TsrunError(`--log-size-max: ${JSON.stringify(s)} is too large (at most 2^53-1 bytes)`);
  return Number(bytes);
}

export const CREATE_DOC: CommandDoc = {
  name: 'create',
  command: 'create <container-id>',
  synopsis: '<container-id>',
  summary: 'create a container (its process waits for "start")',
  description:
    "Reads BUNDLE/config.json, sets up the container (namespaces, mounts, cgroups, the process's user, capabilities, seccomp) and leaves its process waiting, in state \"created\", until tsrun start. Nothing of the program runs before start. The process keeps tsrun's stdin, stdout and stderr, or gets a terminal (\"terminal\": true) whose master goes to --console-socket. Without an engine supervising it, tsrun's shim keeps the container's output (tsrun logs) and exit status (tsrun wait).",
  positionals: { 'container-id': 'a unique name for the container' },
  flags: CREATE_FLAGS,
  examples: [
    ['tsrun create --bundle /srv/web web', 'create a container from /srv/web/config.json'],
    ['tsrun create --pid-file /run/web.pid --console-socket /run/web.sock web', 'as an engine does: pid file and terminal socket'],
  ],
};

export const createCommand = commandModule<CreateArgs>(
  CREATE_DOC,
  (a) =>
    handle(async () => {
      warmCgroupMigration(false);
      const { createContainer } = await import('../../runtime/verbs.js');
      createContainer(createOptions(a));
    }),
  (y) => y.check(checkCreateArgs),
);
