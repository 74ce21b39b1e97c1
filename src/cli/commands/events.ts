import { parseInterval } from '../../util/units.js';
import { lastOf } from '../../util/numbers.js';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';
import { commandModule, type CommandDoc } from '../command-def.js';

interface EventsArgs extends GlobalArgs {
  'container-id': string;
  interval: string;
  stats: boolean;
}

export const EVENTS_DOC: CommandDoc = {
  name: 'events',
  command: 'events <container-id>',
  synopsis: '<container-id>',
  summary: 'print resource usage (and OOM) events of a container as JSON lines',
  description:
    'Prints a "stats" event every interval (cpu, memory, pids, blkio, hugetlb counters of the container\'s cgroup, as runc does) and an "oom" event whenever the kernel kills a process of the container for memory, until the container exits. With --stats, prints one stats event and exits.',
  positionals: { 'container-id': 'the name of the container' },
  flags: {
    interval: { type: 'string', default: '5s', describe: 'time between stats events (a Go duration: 500ms, 5s, 1m)' },
    stats: { type: 'boolean', default: false, describe: 'print one stats event and exit' },
  },
  examples: [
    ['tsrun events --stats web', "print the container's resource usage once"],
    ['tsrun events --interval 1s web', 'stream usage every second, and OOM kills as they happen'],
  ],
};

export const eventsCommand = commandModule<EventsArgs>(EVENTS_DOC, (a) =>
  handle(async () => {
    const ms = parseInterval(String(lastOf(a.interval))); // refused before the container is looked up, as runc
    const { eventsContainer } = await import('../../runtime/verbs.js');
    return eventsContainer(a.root, a['container-id'], a.stats, ms);
  }),
);
