/** The shim's part of a plan (create / run -d / exec -d): see addon/launcher/shim.cc. */
import { fstatSync } from 'node:fs';
import { ShimFlag, ShimMode } from '../native/contract.js';
import type { PlanShim } from '../plan/plan.js';
import { readFileBounded } from '../util/fs.js';
import { oomFileOf, type CgroupRecord } from '../cgroups/record.js';

export type ShimPolicy = 'auto' | 'always' | 'never';
/** container.log is rotated to container.log.1 past this size unless told otherwise. */
export const DEFAULT_LOG_MAX = 10 * 1024 * 1024;

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

/**
 * Supervisors known to adopt the container (containerd's runc shim, conmon, conmon-rs). For them the launcher's
 * orphan probe is skipped: it would hand them one short-lived unknown child to reap. Anyone else is probed.
 */
const SUPERVISORS = new Set(['containerd-shim', 'conmon', 'conmon-rs']);

function callerIsKnownSupervisor(): boolean {
  try {
    return SUPERVISORS.has(readFileBounded(`/proc/${process.ppid}/comm`, 4096).toString('utf8').trim());
  } catch {
    return false;
  }
}

/**
 * Whether a detached process may get a shim: never with --shim never, nor in auto mode under a known supervisor
 * (unless a terminal has nowhere else to go). Otherwise the launcher decides (auto) or starts one (always).
 */
export function shimWanted(policy: ShimPolicy, ownTerminal: boolean): boolean {
  if (policy === 'never') return false;
  return policy === 'always' || ownTerminal || !callerIsKnownSupervisor();
}

export function planShim(o: {
  policy: ShimPolicy;
  /** a terminal without a console socket: nobody but the shim can hold it */
  ownTerminal: boolean;
  stdin: boolean;
  logMax?: number;
  dir: string;
  logDir: string;
  cgroup?: CgroupRecord;
}): PlanShim {
  return {
    mode: o.policy === 'always' || o.ownTerminal ? ShimMode.ALWAYS : ShimMode.AUTO,
    caller: process.ppid,
    logMax: o.logMax ?? DEFAULT_LOG_MAX,
    flags: (o.stdin ? ShimFlag.STDIN : 0) | (isRegularFile(1) ? ShimFlag.KEEP_STDOUT : 0) | (isRegularFile(2) ? ShimFlag.KEEP_STDERR : 0),
    dir: o.dir,
    logDir: o.logDir,
    oomFile: oomFileOf(o.cgroup),
  };
}
