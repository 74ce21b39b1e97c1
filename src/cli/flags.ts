/**
 * Flags as data: one table per command (and one of the global flags). yargs builds its parser, help and
 * completion from them; the fast parser (fast.ts) reads the everyday command lines from the same tables without
 * loading yargs at all.
 */

export interface FlagSpec {
  type: 'string' | 'boolean';
  alias?: string;
  default?: string | boolean;
  describe: string;
  hidden?: boolean;
  choices?: readonly string[];
}

export type FlagTable = Record<string, FlagSpec>;

/** The table in the shape yargs' .options() takes (choices need a mutable array there). */
export function yargsOptions(table: FlagTable, global = false) {
  const out: Record<string, Omit<FlagSpec, 'choices'> & { choices?: string[]; global?: boolean }> = {};
  for (const [name, { choices, ...spec }] of Object.entries(table))
    out[name] = { ...spec, ...(choices ? { choices: [...choices] } : {}), ...(global ? { global } : {}) };
  return out;
}
