import { parseCount, parsePid } from '../../util/numbers.js';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface LogsArgs extends GlobalArgs {
  'container-id': string;
  exec?: string;
  follow: boolean;
  tail?: string;
  timestamps: boolean;
}

export const LOGS_DOC: CommandDoc = {
  name: 'logs',
  command: 'logs <container-id>',
  synopsis: '<container-id>',
  summary: "print the output of a container supervised by tsrun's shim",
  description:
    "The shim keeps what the container writes to stdout and stderr in container.log (in the log directory, rotated past --log-size-max). This prints it, in order, stdout and stderr interleaved as written. Only containers held by tsrun's shim have logs; under an engine, ask the engine.",
  positionals: { 'container-id': 'the name of the container' },
  flags: {
    exec: { type: 'string', describe: "the output of the process of that pid, exec'd with -d under the shim, instead of the container" },
    follow: { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new output until the container exits' },
    tail: { alias: 'n', type: 'string', describe: 'only the last N lines' },
    timestamps: { alias: 't', type: 'boolean', default: false, describe: 'prefix each line with the RFC 3339 time it was written' },
  },
  examples: [
    ['tsrun logs web', 'everything the container wrote so far'],
    ['tsrun logs -f -n 20 web', 'the last 20 lines, then new output as it comes'],
  ],
};

export const logsCommand = commandModule<LogsArgs>(LOGS_DOC, (a) =>
  handle(async () => {
    const tail = a.tail === undefined ? undefined : parseCount('tail', a.tail);
    const exec = a.exec === undefined ? undefined : parsePid('exec', a.exec);
    const { containerLogs } = await import('../../runtime/verbs.js');
    await containerLogs(a.root, a['container-id'], { follow: a.follow, tail, timestamps: a.timestamps }, exec);
  }),
);
