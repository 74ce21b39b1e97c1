/**
 * tsrun's entry point: runc's command line (global options before the command), one module per command,
 * implementations loaded only when their command runs.
 */
import { writeSync } from 'node:fs';
import yargs from 'yargs/yargs';
import { TsrunError } from '../errors.js';
import { configureLog, log } from '../log.js';
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
import { normalizeArgv, scanGlobals, withGlobalOptions, withTrailingArgs, type GlobalArgs } from './global.js';
import { versionText } from './version.js';

export async function main(rawArgv: string[]): Promise<number> {
  const early = scanGlobals(normalizeArgv(rawArgv));
  const argv = withTrailingArgs(normalizeArgv(rawArgv), early.commandIndex);
  try {
    configureLog({ file: early.log, format: early.logFormat, debug: early.debug });
  } catch (err) {
    writeSync(2, `${err instanceof TsrunError ? err.message : `open log file ${early.log}: ${(err as Error).message}`}\n`);
    return 1;
  }
  // Checkpoint/restore is not implemented: both fail, --help included, so that engines probing them
  // (`checkpoint --help`, `restore --lsm-mount-context`) see no support rather than a help text.
  const cmd = early.commandIndex >= 0 ? argv[early.commandIndex] : undefined;
  if (cmd === 'checkpoint' || cmd === 'restore') {
    log.fatal(`${cmd} is not supported by tsrun (no checkpoint/restore)`);
    return 1;
  }
  if (early.version && early.commandIndex < 0) {
    writeSync(1, await versionText());
    return 0;
  }

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

export type { GlobalArgs };
