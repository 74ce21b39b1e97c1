import { parsePid } from '../../util/numbers.js';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
  exec?: string;
}

export const WAIT_DOC: CommandDoc = {
  name: 'wait',
  command: 'wait <container-id>',
  synopsis: '<container-id>',
  summary: "wait until a container supervised by tsrun's shim exits; exit with its exit code",
  description: "Exits with the container's exit status (128 + the signal's number if a signal ended it). If it has exited already, returns at once with that status.",
  positionals: { 'container-id': 'the name of the container' },
  flags: { exec: { type: 'string', describe: "wait for the process of that pid, exec'd with -d under the shim, instead of the container" } },
  examples: [['tsrun run -d --bundle /srv/job job && tsrun wait job', 'run a job in the background and wait for its status']],
};

export const waitCommand = commandModule<IdArgs>(WAIT_DOC, (a) =>
  handle(async () => {
    const { waitContainer } = await import('../../runtime/verbs.js');
    return waitContainer(a.root, a['container-id'], a.exec === undefined ? undefined : parsePid('exec', a.exec));
  }),
);
