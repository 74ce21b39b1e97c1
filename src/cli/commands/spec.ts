import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface SpecArgs extends GlobalArgs {
  bundle: string;
}

export const specCommand: CommandModule<GlobalArgs, SpecArgs & { rootless?: string }> = {
  command: 'spec',
  describe: 'write a default config.json into the bundle',
  builder: (y) => y.option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'bundle directory' }),
  handler: (a) =>
    handle(async () => {
      const { writeDefaultSpec } = await import('../../runtime/spec-cmd.js');
      writeDefaultSpec(a.bundle, a.rootless !== undefined && a.rootless !== 'false');
    }),
};
