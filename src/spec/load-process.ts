/** `exec --process FILE`: the process object alone, validated without building the rest of config.json's schema. */
import { ConfigError } from '../errors.js';
import { formatIssues } from './format-issues.js';
import { parseJson } from './json.js';
import { processSchema, type SpecProcess } from './process-schema.js';

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
