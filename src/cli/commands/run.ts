import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { createOptions, withCreateOptions, type CreateArgs } from './create.js';

interface RunArgs extends CreateArgs {
  detach: boolean;
  keep: boolean;
  'no-subreaper': boolean;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <container-id>',
  describe: 'create and start a container; in the foreground, wait for it and exit with its status',
  builder: (y) =>
    withCreateOptions(y)
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'detach from the container' })
      .option('keep', { type: 'boolean', default: false, describe: 'keep the stopped container (no delete)' })
      .option('no-subreaper', { type: 'boolean', default: false, describe: 'accepted; the launcher reaps the container' }) as Argv<RunArgs>,
  handler: (a) =>
    handle(async () => {
      const { runContainer } = await import('../../runtime/run.js');
      return runContainer({ ...createOptions(a), detach: a.detach, keep: a.keep });
    }),
};
