/**
 * A command as data: its name, synopsis, one-line summary, description, flags and examples. yargs builds the
 * parser and `--help` from it, scripts/man.mjs the manual page `tsrun-<name>(8)`, and the completion scripts
 * its flag names: one definition, so help, manual and completion cannot disagree.
 */
import type { Argv, CommandModule } from 'yargs';
import { yargsOptions, type FlagTable } from './flags.js';

export interface CommandDoc {
  name: string;
  aliases?: string[];
  /** What yargs parses: positionals in yargs' syntax ('kill <container-id> [signal]'). */
  command: string;
  /** What people read after the name ('<container-id> <command> [args...]'). */
  synopsis: string;
  summary: string;
  /** Paragraphs, separated by blank lines. */
  description: string;
  positionals: Record<string, string>;
  flags: FlagTable;
  /** [command line, what it does] */
  examples: [string, string][];
}

export function usageLine(doc: CommandDoc): string {
  const opts = Object.values(doc.flags).some((f) => !f.hidden) ? ' [options]' : '';
  return `tsrun [global options] ${doc.name}${opts}${doc.synopsis ? ' ' + doc.synopsis : ''}`;
}

/** The yargs command for a doc; `more` adds what is not data (checks, coercions). */
export function commandModule<A>(
  doc: CommandDoc,
  handler: (a: A) => void | Promise<void>,
  more: (y: Argv) => Argv = (y) => y,
): CommandModule<object, A> {
  return {
    command: doc.command,
    aliases: doc.aliases,
    describe: doc.summary,
    builder: (y) => {
      let b = y.usage(`${usageLine(doc)}\n\n${doc.summary}${doc.description ? '\n\n' + doc.description : ''}`);
      for (const [name, describe] of Object.entries(doc.positionals))
        b = b.positional(name, { type: 'string', describe, demandOption: doc.command.includes(`<${name}>`) });
      b = b.options(yargsOptions(doc.flags));
      for (const [cmd, what] of doc.examples) b = b.example(cmd, what);
      b = b.epilog(`Global options (--root, --log, --log-format, --debug, --shim, --systemd-cgroup) come before the command: see tsrun --help.\nManual: man tsrun-${doc.name}`);
      return more(b) as Argv<A>;
    },
    handler: handler as (a: unknown) => void | Promise<void>,
  };
}
