import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { INPUT_LIMIT, readFileBounded } from '../util/fs.js';
import { formatIssues } from './format-issues.js';
import { processSchema, specSchema, type Spec, type SpecProcess } from './schema.js';

// Go-based generators write `null` for empty slices, maps and pointers, and runc reads it as absent.
function dropNull(_key: string, value: unknown): unknown {
  return value === null ? undefined : value;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text, dropNull) as unknown;
  } catch (err) {
    throw new ConfigError(file, [`(root): invalid JSON: ${err instanceof Error ? err.message : String(err)}`]);
  }
}

/** Validates an already parsed config.json; unknown properties are dropped from the result. */
export function parseSpec(json: unknown, file = 'config.json'): Spec {
  const result = specSchema.safeParse(json);
  if (!result.success) throw new ConfigError(file, formatIssues(result.error));
  return result.data;
}

/** Parses and validates the text of a config.json. */
export function parseSpecText(text: string, file = 'config.json'): Spec {
  return parseSpec(parseJson(text, file), file);
}

/**
 * Reads and validates `<bundleDir>/config.json`: a regular file of at most 16 MiB (a device or FIFO there
 * would never end or never open), e.g. "open /abs/bundle/config.json: no such file or directory", as runc.
 */
export function loadSpec(bundleDir: string): Spec {
  const file = join(resolve(bundleDir), 'config.json');
  return parseSpecText(readFileBounded(file, INPUT_LIMIT).toString('utf8'), file);
}

/** Validates a process object (`exec --process FILE`); paths in problems are relative to it. */
export function parseProcess(json: unknown, file: string): SpecProcess {
  const result = processSchema.safeParse(json);
  if (!result.success) throw new ConfigError(file, formatIssues(result.error));
  return result.data;
}

/** Parses and validates the text of a process.json. */
export function parseProcessText(text: string, file: string): SpecProcess {
  return parseProcess(parseJson(text, file), file);
}
