import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { parseCount, parsePid } from '../../util/numbers.js';

interface LogsArgs extends GlobalArgs {
  'container-id': string;
  exec?: string;
  follow: boolean;
  tail?: string;
  timestamps: boolean;
}

export const logsCommand: CommandModule<GlobalArgs, LogsArgs> = {
  command: 'logs <container-id>',
  describe: "print the output of a container supervised by tsrun's shim",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('exec', { type: 'string', describe: 'the process of that pid, exec\'d with -d under the shim, instead of the container' })
      .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the container exits' })
      .option('tail', { alias: 'n', type: 'string', describe: 'only the last N lines' })
      .option('timestamps', { alias: 't', type: 'boolean', default: false, describe: 'prefix each line with its RFC 3339 time' }) as Argv<LogsArgs>,
  handler: (a) =>
    handle(async () => {
      const tail = a.tail === undefined ? undefined : parseCount('tail', a.tail);
      const exec = a.exec === undefined ? undefined : parsePid('exec', a.exec);
      const { containerLogs } = await import('../../runtime/logs.js');
      await containerLogs(a.root, a['container-id'], { follow: a.follow, tail, timestamps: a.timestamps }, exec);
    }),
};
