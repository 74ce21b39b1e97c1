/**
 * tsrun's entry point: runc's command line (global options before the command), one module per command,
 * implementations loaded only when their command runs. The everyday lines of create, run and exec are read by
 * the fast parser; everything else (and anything unusual) by yargs, loaded only then.
 */
import { writeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { configureLog, log } from '../log.js';
import { CREATE_FLAGS, checkCreateArgs, createCommand } from './commands/create.js';
import { EXEC_FLAGS, execCommand } from './commands/exec.js';
import { RUN_FLAGS, runCommand } from './commands/run.js';
import { parseFast, type FastCommand } from './fast.js';
import { normalizeArgv, scanGlobals, withTrailingArgs, type GlobalArgs } from './global.js';
import { versionText } from './version.js';
import { prepareUserRoot } from '../runtime/rootless.js';

const FAST: Record<string, FastCommand & { handler: (a: never) => void | Promise<void> }> = {
  create: { flags: CREATE_FLAGS, trailing: false, check: checkCreateArgs, handler: createCommand.handler },
  run: { flags: RUN_FLAGS, trailing: false, check: checkCreateArgs, handler: runCommand.handler },
  exec: { flags: EXEC_FLAGS, trailing: true, handler: execCommand.handler },
};

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
  if (!early.rootGiven && cmd !== undefined && cmd !== 'help' && !rawArgv.includes('--help') && !rawArgv.includes('-h')) {
    const problem = prepareUserRoot();
    if (problem) {
      writeSync(2, `${problem.hint}\n`);
      log.fatal(problem.error);
      return 1;
    }
  }
  const fast = parseFast(rawArgv, FAST);
  if (fast) {
    await FAST[fast.command]!.handler(fast.args as never);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  }
  const { runYargs } = await import('./yargs-cli.js');
  return runYargs(argv, early.commandIndex);
}

export type { GlobalArgs };
