import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { parseInterval } from '../../util/units.js';
import { handle } from '../handle.js';
import { lastOf } from '../../util/numbers.js';

interface EventsArgs extends GlobalArgs {
  'container-id': string;
  interval: string;
  stats: boolean;
}

export const eventsCommand: CommandModule<GlobalArgs, EventsArgs> = {
  command: 'events <container-id>',
  describe: 'print resource usage (and OOM) events of a container as JSON lines',
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('interval', { type: 'string', default: '5s', describe: 'time between stats events (Go duration: 500ms, 5s, 1m)' })
      .option('stats', { type: 'boolean', default: false, describe: 'print one stats event and exit' }),
  handler: (a) =>
    handle(async () => {
      const ms = parseInterval(String(lastOf(a.interval))); // refused before the container is looked up, as runc
      const { eventsContainer } = await import('../../runtime/events.js');
      return eventsContainer(a.root, a['container-id'], a.stats, ms);
    }),
};
