/**
 * A rootless container whose cgroup cannot be made runs in the runtime's own cgroups (runc does the same):
 * limits it asks for cannot be kept, and say so, naming the field; values that are the kernel's defaults, and
 * device rules (never expected to work rootless), are only warnings.
 */
import { TsrunError } from '../errors.js';
import { CgroupFiles } from './io.js';
import { ResourceWriter, field } from './resource-writer.js';
import type { Resources } from './types.js';
import { applyV1 } from './v1-apply.js';

/** Throws for the first limit that needs a cgroup; returns the warnings for the rest. */
export function limitsWithoutCgroup(r: Resources | undefined): string[] {
  if (!r) return [];
  const unified = Object.keys(r.unified ?? {});
  if (unified.length) throw new TsrunError(`${field('unified')}: cannot set ${unified[0]}: container could not join or create cgroup`);
  // Every writer gets no directory: nothing is read or written.
  const w = new ResourceWriter(new CgroupFiles());
  applyV1(w, {}, { ...r, devices: undefined }, {});
  return w.warnings;
}
