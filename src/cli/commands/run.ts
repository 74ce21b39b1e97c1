import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { warmCgroupMigration } from '../../runtime/cgroup-warm.js';
import { yargsOptions, type FlagTable } from '../flags.js';
import { CREATE_FLAGS, createOptions, withCreateOptions, type CreateArgs } from './create.js';

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

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <container-id>',
  describe: 'create and start a container; in the foreground, wait for it and exit with its status',
  builder: (y) => withCreateOptions(y).options(yargsOptions(RUN_ONLY_FLAGS)) as unknown as Argv<RunArgs>,
  handler: (a) =>
    handle(async () => {
      warmCgroupMigration(false);
      const { runContainer } = await import('../../runtime/run.js');
      return runContainer({ ...createOptions(a), detach: a.detach, keep: a.keep });
    }),
};
