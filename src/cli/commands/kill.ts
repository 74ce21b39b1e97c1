import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface KillArgs extends GlobalArgs {
  'container-id': string;
  signal?: string;
  all: boolean;
}

export const KILL_DOC: CommandDoc = {
  name: 'kill',
  command: 'kill <container-id> [signal]',
  synopsis: '<container-id> [signal]',
  summary: "send a signal (default SIGTERM) to the container's init",
  description:
    "The signal goes to the container's first process (its init), checked to be the same process that was started. A created or running container can be signalled; a stopped one only with --all. With --all every process of the container's cgroup gets it.",
  positionals: { 'container-id': 'the name of the container', signal: 'a name (KILL, SIGKILL) or a number; default SIGTERM' },
  flags: { all: { alias: 'a', type: 'boolean', default: false, describe: 'signal every process of the container' } },
  examples: [
    ['tsrun kill web', 'ask the container to stop (SIGTERM)'],
    ['tsrun kill web KILL', 'kill it at once'],
    ['tsrun kill --all web HUP', 'send SIGHUP to every process of the container'],
  ],
};

export const killCommand = commandModule<KillArgs>(KILL_DOC, (a) =>
  handle(async () => {
    const { killContainer, parseSignal } = await import('../../runtime/verbs.js');
    killContainer(a.root, a['container-id'], parseSignal(a.signal === undefined ? undefined : String(a.signal)), a.all);
  }),
);
