/**
 * The everyday command lines of create, run and exec, read without yargs (loading and building it costs more
 * than the rest of tsrun's start-up). Only what is plainly valid is read here, from the same flag tables yargs
 * uses: `--name value`, `--name=value`, `-x value` (aliases), booleans as `--name` or `--name=true|false`,
 * repeated flags as arrays. Anything else (help, an unknown or malformed flag, a wrong number of arguments, a
 * value yargs' checks refuse) returns undefined and goes to yargs, which reports it exactly as before.
 */
import { GLOBAL_FLAGS, normalizeArgv, scanGlobals, withTrailingArgs } from './global.js';
import type { FlagSpec, FlagTable } from './flags.js';

export interface FastCommand {
  flags: FlagTable;
  /** Arguments after the container id belong to the process (exec). */
  trailing: boolean;
  /** yargs' check(): throwing sends the line to yargs. */
  check?: (a: Record<string, unknown>) => unknown;
}

type Args = Record<string, unknown>;

function lookup(table: FlagTable, token: string): [string, FlagSpec, string | undefined] | undefined {
  const long = /^--([^=]+)(?:=(.*))?$/s.exec(token);
  if (long) {
    const spec = table[long[1]!];
    return spec ? [long[1]!, spec, long[2]] : undefined;
  }
  const short = /^-([a-zA-Z])(?:=(.*))?$/s.exec(token);
  if (!short) return undefined;
  const entry = Object.entries(table).find(([, s]) => s.alias === short[1]);
  return entry ? [entry[0], entry[1], short[2]] : undefined;
}

/** Reads one flag at argv[i] into `out`; returns the next index, or -1 when the line is not a plain one. */
function readFlag(table: FlagTable, argv: string[], i: number, out: Args, repeatable: boolean): number {
  const hit = lookup(table, argv[i]!);
  if (!hit) return -1;
  const [name, spec, inline] = hit;
  let value: string | boolean;
  let next = i + 1;
  if (spec.type === 'boolean') {
    if (inline === undefined) value = true;
    else if (inline === 'true' || inline === 'false') value = inline === 'true';
    else return -1;
  } else {
    if (inline !== undefined) value = inline;
    else if (next < argv.length) value = argv[next++]!;
    else return -1;
    if (spec.choices && !spec.choices.includes(value)) return -1;
  }
  if (name in out) {
    if (!repeatable || spec.type === 'boolean') return -1;
    const prev = out[name];
    out[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
  } else {
    out[name] = value;
  }
  return next;
}

function withDefaults(table: FlagTable, out: Args): void {
  for (const [name, spec] of Object.entries(table)) if (!(name in out) && spec.default !== undefined) out[name] = spec.default;
}

/**
 * The arguments yargs would hand the command's handler, or undefined. `commands` maps a command name to its
 * table; the line's command must be one of them.
 */
export function parseFast(rawArgv: string[], commands: Record<string, FastCommand>): { command: string; args: Args } | undefined {
  const early = scanGlobals(normalizeArgv(rawArgv));
  if (early.commandIndex < 0) return undefined;
  const argv = withTrailingArgs(normalizeArgv(rawArgv), early.commandIndex);
  const command = argv[early.commandIndex]!;
  const cmd = commands[command];
  if (!cmd) return undefined;
  const args: Args = {};
  for (let i = 0; i < early.commandIndex; ) {
    // Global flags before the command; a repeated one is for yargs to judge.
    i = readFlag(GLOBAL_FLAGS, argv, i, args, false);
    if (i < 0) return undefined;
  }
  withDefaults(GLOBAL_FLAGS, args);
  const positionals: string[] = [];
  let rest: string[] | undefined;
  for (let i = early.commandIndex + 1; i < argv.length; ) {
    const a = argv[i]!;
    if (a === '--') {
      rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('-') && a !== '-') {
      i = readFlag(cmd.flags, argv, i, args, true);
      if (i < 0) return undefined;
      continue;
    }
    positionals.push(a);
    i++;
  }
  if (positionals.length !== 1) return undefined;
  if (rest !== undefined && !cmd.trailing) return undefined;
  withDefaults(cmd.flags, args);
  args['container-id'] = positionals[0];
  if (rest?.length) args['--'] = rest;
  try {
    cmd.check?.(args);
  } catch {
    return undefined;
  }
  return { command, args };
}
