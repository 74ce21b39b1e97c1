import { writeSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from '../global.js';
import { handle } from '../handle.js';

interface CheckArgs extends GlobalArgs {
  bundle: string;
}

export const checkCommand: CommandModule<GlobalArgs, CheckArgs> = {
  command: 'check',
  describe: 'validate a bundle without running it',
  builder: (y) => y.option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'bundle directory' }),
  handler: (a) =>
    handle(async () => {
      const { checkBundle } = await import('../../runtime/check.js');
      const problems = checkBundle(a.bundle);
      if (problems.length === 0) {
        writeSync(1, 'ok\n');
        return 0;
      }
      writeSync(2, problems.map((p) => p + '\n').join(''));
      return 1;
    }),
};
