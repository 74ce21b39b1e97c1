/**
 * The whole command line through yargs: every command, help, usage errors ("Incorrect Usage." and the command's
 * help on stdout, the error on stderr, as runc). Loaded only when the fast parser (fast.ts) does not take the
 * line. yargs' own output (help) is captured and written here: nothing goes through console.log.
 */
import { writeSync } from 'node:fs';
import yargs from 'yargs/yargs';
import { log } from '../log.js';
import { GLOBAL_FLAGS, withGlobalOptions } from './global.js';
import { COMMANDS, commandNamed, suggestCommands } from './registry.js';

const SUMMARY = [
  'tsrun [global options] <command> [command options] <container-id> [args...]',
  "An OCI container runtime with runc's command line. Global options come before the command, a command's own options and arguments after it. \"tsrun <command> --help\" (or \"tsrun help <command>\") shows a command's usage, options and examples.",
].join('\n\n');

function build(argv: string[], inCommand: boolean) {
  let y = withGlobalOptions(yargs(argv), inCommand).scriptName('tsrun').usage(SUMMARY);
  if (!inCommand) y = y.group(Object.keys(GLOBAL_FLAGS), 'Global options:');
  for (const { module } of COMMANDS) y = y.command(module);
  return y
    .demandCommand(1, 'no command given')
    .strictCommands()
    .strictOptions()
    .version(false)
    .help('help')
    .alias('help', 'h')
    .wrap(Math.min(110, Number(process.env.COLUMNS) || 100))
    .parserConfiguration({ 'boolean-negation': false, 'camel-case-expansion': false, 'populate--': true })
    .exitProcess(false)
    .example('tsrun spec', 'write a default config.json here (rootfs in ./rootfs)')
    .example('tsrun run -d web', 'run it in the background as "web"')
    .example('tsrun logs -f web', 'follow its output')
    .example('tsrun delete -f web', 'stop and remove it')
    .epilog('Manual: man tsrun, man tsrun-<command>');
}

/** runc's words for a missing argument: checkArgs in runc's utils.go. */
function argumentError(cmd: string): string {
  const doc = commandNamed(cmd)?.doc;
  if (!doc) return 'no command given';
  const required = (doc.command.match(/<[^>]+>/g) ?? []).length;
  const atLeast = /\[/.test(doc.command) || doc.synopsis.includes('...');
  return `tsrun: "${doc.name}" requires ${atLeast ? 'a minimum of' : 'exactly'} ${required} argument(s)`;
}

async function helpOf(argv: string[], inCommand: boolean): Promise<string> {
  let out = '';
  await build(argv, inCommand).parseAsync(argv, {}, (_err, _a, output) => {
    out = output;
  });
  return out;
}

export async function runYargs(argv: string[], commandIndex: number): Promise<number> {
  const cmd = commandIndex >= 0 ? argv[commandIndex] : undefined;
  // `tsrun help` and `tsrun help <command>` are --help.
  if (cmd === 'help') {
    const topic = argv[commandIndex + 1];
    return runYargs([...argv.slice(0, commandIndex), ...(topic ? [topic] : []), '--help'], topic ? commandIndex : -1);
  }
  if (cmd !== undefined && !commandNamed(cmd)) {
    const near = suggestCommands(cmd);
    const hint = near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
    log.fatal(`tsrun: unknown command "${cmd}"${hint} ("tsrun --help" lists the commands)`);
    return 1;
  }
  let usageError: string | undefined;
  let output = '';
  const cli = build(argv, cmd !== undefined).fail((msg, err) => {
    // Throwing stops yargs before any handler runs.
    throw err ?? new UsageError(msg);
  });
  try {
    await cli.parseAsync(argv, {}, (_err, _a, out) => {
      output = out;
    });
  } catch (err) {
    usageError = (err as Error).message;
  }
  if (usageError !== undefined) {
    // Too few positionals, or one too many (which yargs takes for a command): runc's checkArgs words.
    if (cmd !== undefined && /^(Not enough non-option arguments|Unknown command)/.test(usageError)) usageError = argumentError(cmd);
    // runc: "Incorrect Usage." and the help on stdout, the error on stderr / in the log, status 1.
    const help = await helpOf(cmd !== undefined ? [cmd, '--help'] : ['--help'], cmd !== undefined);
    writeSync(1, 'Incorrect Usage.\n\n' + help + '\n');
    log.fatal(usageError);
    return 1;
  }
  if (output) writeSync(1, output.endsWith('\n') ? output : output + '\n');
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

class UsageError extends Error {}
