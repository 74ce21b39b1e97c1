import { join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { INPUT_LIMIT, readFileBounded } from '../util/fs.js';
import { formatIssues } from './format-issues.js';
import { parseJson } from './json.js';
import { specSchema, type Spec } from './schema.js';

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

export { parseProcess, parseProcessText } from './load-process.js';
