import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { warmCgroupMigration } from '../../runtime/cgroup-warm.js';
import { type FlagTable } from '../flags.js';
import { commandModule, type CommandDoc } from '../command-def.js';
import { CREATE_FLAGS, checkCreateArgs, createOptions, type CreateArgs } from './create.js';

interface RunArgs extends CreateArgs {
  detach: boolean;
  keep: boolean;
  'no-subreaper': boolean;
}

const RUN_ONLY_FLAGS: FlagTable = {
  detach: { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container' },
  keep: { type: 'boolean', default: false, describe: 'keep the stopped container (no delete)' },
  'no-subreaper': { type: 'boolean', default: false, describe: 'accepted; the launcher reaps the container' },
};

export const RUN_FLAGS: FlagTable = { ...CREATE_FLAGS, ...RUN_ONLY_FLAGS };

export const RUN_DOC: CommandDoc = {
  name: 'run',
  command: 'run <container-id>',
  synopsis: '<container-id>',
  summary: 'create and start a container; in the foreground, wait for it and exit with its status',
  description:
    "create, start and, in the foreground, wait: tsrun relays signals to the container and exits with its status (128 + the signal's number if a signal ended it), then deletes it (unless --keep). A process with a terminal (\"terminal\": true) needs tsrun's stdin to be a terminal, or --console-socket. With --detach tsrun returns once the program runs; without an engine, tsrun's shim keeps the output: tsrun logs shows it, tsrun attach connects to it, tsrun wait returns the exit status. If stdout is a file, the container writes into that file itself.",
  positionals: { 'container-id': 'a unique name for the container' },
  flags: RUN_FLAGS,
  examples: [
    ['tsrun run --bundle examples/busybox hello', 'run a container in the foreground and wait for it'],
    ['tsrun run -d --bundle /srv/web web', 'run it in the background (see tsrun logs, attach, wait)'],
  ],
};

export const runCommand = commandModule<RunArgs>(
  RUN_DOC,
  (a) =>
    handle(async () => {
      warmCgroupMigration(false);
      const { runContainer } = await import('../../runtime/verbs.js');
      return runContainer({ ...createOptions(a), detach: a.detach, keep: a.keep });
    }),
  (y) => y.check(checkCreateArgs),
);
