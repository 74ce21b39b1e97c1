import { writeSync } from 'node:fs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface CheckArgs extends GlobalArgs {
  bundle: string;
}

export const CHECK_DOC: CommandDoc = {
  name: 'check',
  command: 'check',
  synopsis: '',
  summary: 'validate a bundle without running it',
  description:
    'Reads BUNDLE/config.json and reports every problem at once: schema errors with their JSON path, settings that contradict each other, and what this host lacks (the rootfs, the executable in the rootfs PATH, namespace paths). Prints "ok" and exits 0, or the list on stderr and exits 1. Nothing is created.',
  positionals: {},
  flags: { bundle: { alias: 'b', type: 'string', default: '.', describe: 'bundle directory (holding config.json)' } },
  examples: [['tsrun check --bundle /srv/web', 'validate /srv/web/config.json and its rootfs']],
};

export const checkCommand = commandModule<CheckArgs>(CHECK_DOC, (a) =>
  handle(async () => {
    const { checkBundle } = await import('../../runtime/verbs.js');
    const problems = checkBundle(a.bundle);
    if (problems.length === 0) {
      writeSync(1, 'ok\n');
      return 0;
    }
    writeSync(2, problems.map((p) => p + '\n').join(''));
    return 1;
  }),
);
