import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface PsArgs extends GlobalArgs {
  'container-id': string;
  format: 'table' | 'json';
  '--'?: string[];
}

export const PS_DOC: CommandDoc = {
  name: 'ps',
  command: 'ps <container-id>',
  synopsis: '<container-id> [-- ps-options...]',
  summary: 'list the processes of a container',
  description:
    'As a table: the output of ps(1) (default options -ef; give others after --) for the processes in the container\'s cgroup. As JSON: the list of their host pids.',
  positionals: { 'container-id': 'the name of the container' },
  flags: { format: { alias: 'f', type: 'string', default: 'table', choices: ['table', 'json'], describe: 'output format' } },
  examples: [
    ['tsrun ps web', 'ps -ef of the processes of web'],
    ['tsrun ps web -- -o pid,rss,comm', 'with other ps options'],
    ['tsrun ps --format json web', 'their host pids as JSON'],
  ],
};

export const psCommand = commandModule<PsArgs>(PS_DOC, (a) =>
  handle(async () => {
    const { psContainer } = await import('../../runtime/verbs.js');
    return psContainer(a.root, a['container-id'], a.format, (a['--'] ?? []).map(String));
  }),
);
