/**
 * Manual pages, troff -man, from the command definitions: tsrun(8) and one tsrun-<command>(8) per command.
 * Pure: a definition in, the page's text out.
 */
import type { CommandDoc } from '../cli/command-def.js';
import { usageLine } from '../cli/command-def.js';
import type { FlagSpec, FlagTable } from '../cli/flags.js';

/** Text safe in a troff line: backslashes and hyphens escaped, no line starting with a control character. */
export function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? '\\&' + l : l))
    .join('\n');
}

function flagLine(name: string, f: FlagSpec): string {
  const names = [...(f.alias ? [`\\fB\\-${roff(f.alias)}\\fR`] : []), `\\fB\\-\\-${roff(name)}\\fR`].join(', ');
  const value = f.type === 'string' ? ` \\fI${f.choices ? f.choices.join('|') : 'value'}\\fR` : '';
  const dflt = f.default !== undefined && f.default !== false ? ` (default: ${roff(String(f.default))})` : '';
  return `.TP\n${names}${value}\n${roff(f.describe)}${dflt}`;
}

function options(title: string, flags: FlagTable): string[] {
  const shown = Object.entries(flags).filter(([, f]) => !f.hidden);
  return shown.length ? [`.SH ${title}`, ...shown.map(([n, f]) => flagLine(n, f))] : [];
}

function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .filter((p) => p.trim())
    .flatMap((p, i) => [...(i ? ['.PP'] : []), roff(p.trim())]);
}

function examples(list: [string, string][]): string[] {
  return list.length ? ['.SH EXAMPLES', ...list.flatMap(([cmd, what]) => ['.TP', `.B ${roff(cmd)}`, roff(what)])] : [];
}

const header = (name: string, version: string) => `.TH ${name.toUpperCase()} 8 "" "tsrun ${version}" "System Administration"`;

export function commandPage(doc: CommandDoc, version: string): string {
  const positionals = Object.entries(doc.positionals);
  return [
    header(`tsrun-${doc.name}`, version),
    '.SH NAME',
    `tsrun\\-${roff(doc.name)} \\- ${roff(doc.summary)}`,
    '.SH SYNOPSIS',
    roff(usageLine(doc)),
    '.SH DESCRIPTION',
    ...paragraphs(doc.description || doc.summary),
    ...(positionals.length ? ['.SH ARGUMENTS', ...positionals.flatMap(([n, d]) => ['.TP', `.I ${roff(n)}`, roff(d)])] : []),
    ...options('OPTIONS', doc.flags),
    ...examples(doc.examples),
    '.SH SEE ALSO',
    '\\fBtsrun\\fR(8)',
    '',
  ].join('\n');
}

export interface MainPage {
  version: string;
  commands: readonly CommandDoc[];
  globals: FlagTable;
  description: string;
  files: [string, string][];
  environment: [string, string][];
  examples: [string, string][];
}

export function mainPage(p: MainPage): string {
  return [
    header('tsrun', p.version),
    '.SH NAME',
    "tsrun \\- an OCI container runtime with runc's command line",
    '.SH SYNOPSIS',
    roff('tsrun [global options] <command> [command options] <container-id> [args...]'),
    '.SH DESCRIPTION',
    ...paragraphs(p.description),
    '.SH COMMANDS',
    ...p.commands.flatMap((c) => ['.TP', `\\fB${roff(c.name)}\\fR ${roff(c.synopsis)}`, `${roff(c.summary)}; see \\fBtsrun\\-${roff(c.name)}\\fR(8).`]),
    ...options('GLOBAL OPTIONS', p.globals),
    '.SH FILES',
    ...p.files.flatMap(([f, what]) => ['.TP', `.I ${roff(f)}`, roff(what)]),
    '.SH ENVIRONMENT',
    ...p.environment.flatMap(([v, what]) => ['.TP', `.B ${roff(v)}`, roff(what)]),
    ...examples(p.examples),
    '.SH SEE ALSO',
    [...p.commands.map((c) => `\\fBtsrun\\-${roff(c.name)}\\fR(8)`), '\\fBrunc\\fR(8)'].join(', '),
    '',
  ].join('\n');
}
