/**
 * The whole command line through yargs: every command, help, usage errors ("Incorrect Usage." and the help on
 * stdout, as runc). Loaded only when the fast parser (fast.ts) does not take the line.
 */
import { writeSync } from 'node:fs';
import yargs from 'yargs/yargs';
import { log } from '../log.js';
import { attachCommand } from './commands/attach.js';
import { checkCommand } from './commands/check.js';
import { logsCommand } from './commands/logs.js';
import { waitCommand } from './commands/wait.js';
import { eventsCommand } from './commands/events.js';
import { execCommand } from './commands/exec.js';
import { featuresCommand } from './commands/features.js';
import { pauseCommand, resumeCommand } from './commands/pause.js';
import { psCommand } from './commands/ps.js';
import { updateCommand } from './commands/update.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { killCommand } from './commands/kill.js';
import { listCommand } from './commands/list.js';
import { runCommand } from './commands/run.js';
import { specCommand } from './commands/spec.js';
import { startCommand } from './commands/start.js';
import { stateCommand } from './commands/state.js';
import { withGlobalOptions } from './global.js';

export async function runYargs(argv: string[]): Promise<number> {
  let usageError: string | undefined;
  const cli = withGlobalOptions(yargs(argv))
    .scriptName('tsrun')
    .usage('tsrun [global options] <command> [command options] <container-id>\n\nAn OCI container runtime compatible with runc.')
    .command(createCommand)
    .command(startCommand)
    .command(stateCommand)
    .command(killCommand)
    .command(deleteCommand)
    .command(runCommand)
    .command(listCommand)
    .command(specCommand)
    .command(checkCommand)
    .command(pauseCommand)
    .command(resumeCommand)
    .command(psCommand)
    .command(updateCommand)
    .command(eventsCommand)
    .command(execCommand)
    .command(featuresCommand)
    .command(attachCommand)
    .command(logsCommand)
    .command(waitCommand)
    .demandCommand(1, 'no command given')
    .strictCommands()
    .strictOptions()
    .version(false)
    .help('help')
    .alias('help', 'h')
    .wrap(100)
    .parserConfiguration({ 'boolean-negation': false, 'camel-case-expansion': false, 'populate--': true })
    .exitProcess(false)
    .fail((msg, err) => {
      // Throwing stops yargs before any handler runs.
      throw err ?? new UsageError(msg);
    });

  try {
    await cli.parseAsync();
  } catch (err) {
    usageError = (err as Error).message;
  }
  if (usageError !== undefined) {
    // runc: "Incorrect Usage." and the help on stdout, the error on stderr / in the log, status 1.
    writeSync(1, 'Incorrect Usage.\n\n' + (await cli.getHelp()) + '\n');
    log.fatal(usageError);
    return 1;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

class UsageError extends Error {}

