/**
 * check: everything create would find wrong, without creating anything: the schema, the semantic rules, and
 * the host-dependent checks (rootfs, the executable inside it, namespace paths).
 */
import { closeSync, fstatSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, errnoMessage } from '../errors.js';
import { native } from '../native/addon.js';
import { exeCandidates, processEnv } from '../plan/process.js';
import { cleanDest } from '../plan/ops.js';
import { namespaceFlag, type NamespaceType } from '../plan/tables.js';
import { lsmFacts } from '../plan/host.js';
import { seccompArchProblems } from '../plan/seccomp.js';
import { semanticProblems } from '../plan/validate.js';
import { loadSpec } from '../spec/load.js';
import type { Spec } from '../spec/schema.js';
import { resolveRootfs } from './rootfs.js';

const O_PATH = 0o10000000;
const ENOTTY = 25;

export function checkBundle(bundleDir: string): string[] {
  const bundle = resolve(bundleDir);
  let spec: Spec;
  try {
    spec = loadSpec(bundle);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  const problems = semanticProblems(spec, lsmFacts());
  const addon = native();
  problems.push(...seccompArchProblems(spec.linux?.seccomp, (name) => addon.seccompArchKnown(name), addon.seccompVersion()));

  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    if (ns.path === undefined) return;
    try {
      const t = addon.nsType(ns.path);
      if (t !== namespaceFlag[ns.type as NamespaceType])
        problems.push(`linux.namespaces[${i}].path: "${ns.path}" is not a namespace of type "${ns.type}"`);
    } catch (err) {
      const n = Math.abs((err as { errno?: number }).errno ?? 0); // the addon's errno is negative, as Node's
      const why = n === ENOTTY ? 'is not a namespace' : `cannot be opened: ${errnoMessage(n)}`;
      problems.push(`linux.namespaces[${i}].path: "${ns.path}" ${why}`);
    }
  });

  if (!spec.root) return problems;
  const rootfs = resolve(bundle, spec.root.path);
  let rootOk = false;
  try {
    rootOk = statSync(rootfs).isDirectory();
    if (!rootOk) problems.push(`root.path: "${rootfs}" is not a directory`);
  } catch {
    problems.push(`root.path: "${rootfs}" does not exist`);
  }
  if (rootOk) {
    try {
      resolveRootfs(bundle, spec.root.path); // no symlink on the way, as create requires
    } catch (err) {
      problems.push(`root.path: ${(err as Error).message}`);
    }
  }

  const p = spec.process;
  if (rootOk && p) {
    const env = processEnv(p, undefined);
    const arg0 = p.args[0]!;
    const candidates = exeCandidates(arg0, env, p.cwd);
    // A binary brought in by a mount cannot be checked from the bundle alone.
    const mounted = (spec.mounts ?? []).some((m) => {
      const d = cleanDest(m.destination);
      return d !== '/' && candidates.every((c) => c === d || c.startsWith(d + '/'));
    });
    if (!mounted && !candidates.some((c) => isExecutableInRoot(rootfs, c))) {
      problems.push(
        arg0.includes('/')
          ? `process.args[0]: "${arg0}" is not an executable file in the rootfs`
          : `process.args[0]: executable "${arg0}" not found in $PATH of the rootfs`,
      );
    }
  }
  return problems;
}

function isExecutableInRoot(rootfs: string, path: string): boolean {
  let fd: number;
  try {
    fd = native().openInRoot(rootfs, path, O_PATH);
  } catch {
    return false;
  }
  try {
    const st = fstatSync(fd);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } finally {
    closeSync(fd);
  }
}
