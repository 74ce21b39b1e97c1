/** Every command, in the order help and the manual list them: its definition and its yargs module. */
import type { CommandModule } from 'yargs';
import type { CommandDoc } from './command-def.js';
import { ATTACH_DOC, attachCommand } from './commands/attach.js';
import { CHECK_DOC, checkCommand } from './commands/check.js';
import { CREATE_DOC, createCommand } from './commands/create.js';
import { DELETE_DOC, deleteCommand } from './commands/delete.js';
import { EVENTS_DOC, eventsCommand } from './commands/events.js';
import { EXEC_DOC, execCommand } from './commands/exec.js';
import { FEATURES_DOC, featuresCommand } from './commands/features.js';
import { KILL_DOC, killCommand } from './commands/kill.js';
import { LIST_DOC, listCommand } from './commands/list.js';
import { LOGS_DOC, logsCommand } from './commands/logs.js';
import { PAUSE_DOC, RESUME_DOC, pauseCommand, resumeCommand } from './commands/pause.js';
import { PS_DOC, psCommand } from './commands/ps.js';
import { RUN_DOC, runCommand } from './commands/run.js';
import { SPEC_DOC, specCommand } from './commands/spec.js';
import { START_DOC, startCommand } from './commands/start.js';
import { STATE_DOC, stateCommand } from './commands/state.js';
import { UPDATE_DOC, updateCommand } from './commands/update.js';
import { WAIT_DOC, waitCommand } from './commands/wait.js';

export interface Command {
  doc: CommandDoc;
  module: CommandModule<object, never>;
}

const c = (doc: CommandDoc, module: unknown): Command => ({ doc, module: module as CommandModule<object, never> });

export const COMMANDS: readonly Command[] = [
  c(SPEC_DOC, specCommand),
  c(CREATE_DOC, createCommand),
  c(START_DOC, startCommand),
  c(RUN_DOC, runCommand),
  c(STATE_DOC, stateCommand),
  c(LIST_DOC, listCommand),
  c(EXEC_DOC, execCommand),
  c(PS_DOC, psCommand),
  c(KILL_DOC, killCommand),
  c(DELETE_DOC, deleteCommand),
  c(LOGS_DOC, logsCommand),
  c(ATTACH_DOC, attachCommand),
  c(WAIT_DOC, waitCommand),
  c(PAUSE_DOC, pauseCommand),
  c(RESUME_DOC, resumeCommand),
  c(UPDATE_DOC, updateCommand),
  c(EVENTS_DOC, eventsCommand),
  c(FEATURES_DOC, featuresCommand),
  c(CHECK_DOC, checkCommand),
];

/** The command a word names (its name or an alias). */
export function commandNamed(word: string): Command | undefined {
  return COMMANDS.find((x) => x.doc.name === word || x.doc.aliases?.includes(word));
}

/** The closest command names to a mistyped word (edit distance at most 2, or a unique prefix). */
export function suggestCommands(word: string): string[] {
  const names = COMMANDS.flatMap((x) => [x.doc.name, ...(x.doc.aliases ?? [])]);
  const prefixed = names.filter((n) => word.length >= 2 && n.startsWith(word));
  if (prefixed.length) return prefixed;
  const scored = names.map((n) => [n, editDistance(word, n)] as const).filter(([, d]) => d <= 2);
  const best = Math.min(...scored.map(([, d]) => d));
  return scored.filter(([, d]) => d === best).map(([n]) => n);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
