/**
 * exec: a new process in a running (or created) container. It joins every namespace of the container's init
 * and its cgroup (moved there by Node while it waits), and runs with the process's user, capabilities, rlimits, no_new_privs and LSM labels under
 * the container's seccomp filter; what process.json leaves out comes from the container, as with runc.
 * Detached (-d), tsrun returns once the program executes, leaving it to the caller's subreaper (or, when the
 * caller is none, to a shim of its own: log and exit record in <state>/execs/<pid>) and writing the pid file
 * only then; in the foreground it relays the terminal and returns the process's exit status.
 */
import { StateFile } from '../native/contract.js';
import { lstatSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { NsJoin, Plan, PlanShim } from '../plan/plan.js';
import { BPF_PROGRAM_LIMIT } from '../plan/seccomp.js';
import { namespaceFlag } from '../plan/tables.js';
import type { SpecProcess } from '../spec/schema.js';
import { parseId } from '../spec/ids.js';
import { INPUT_LIMIT, readFileBounded, writeFileAtomic } from '../util/fs.js';
import { readProcStat } from '../util/proc.js';
import { readHostFacts } from '../plan/host.js';
import { execOverrides, execPlan } from '../plan/exec-plan.js';
import { execConfigFromLegacy } from '../plan/exec-config.js';
import { loadSpec } from '../spec/load.js';
import { parseProcessText } from '../spec/load-process.js';
import { native } from '../native/addon.js';
import { managerOf } from './cgroup.js';
import { warmCgroupMigration } from './cgroup-warm.js';
import { parseSubCgroups, subCgroupPaths } from '../cgroups/sub-cgroup.js';
import { PidfdSocket } from './pidfd-socket.js';
import { exitCodeOf, finishDetached, launch, waitForeground, type Launched } from './launcher.js';
import { defaultLogRoot, makeContainerLogDir, makeExecLogDir, nameExecLogDir, removeLogDir } from './log-dir.js';
import { passwdHome } from './passwd.js';
import { forwardSignals } from './signals.js';
import { EXEC_SHIM_FILE, execDir } from './shim.js';
import { checkPreservedFds } from './preserved-fds.js';
import { planShim, shimWanted, type ShimPolicy } from './shim-plan.js';
import { StateDir, statusOf } from './state.js';

export interface ExecArgs {
  root: string;
  id: string;
  /** --process FILE: the whole process, other process flags ignored. */
  processFile?: string;
  args: string[];
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** -t given (true/false), or undefined. */
  tty?: boolean;
  cwd?: string;
  env: string[];
  user?: string;
  additionalGids: number[];
  caps: string[];
  noNewPrivs?: boolean;
  apparmor?: string;
  processLabel?: string;
  preserveFds: number;
  ignorePaused: boolean;
  /** -d: tsrun's shim supervises the process unless the caller adopts it (auto), always, or never. */
  shim?: ShimPolicy;
  /** --cgroup: run in an existing sub-cgroup of the container's ("path", or "ctrl[,ctrl]:path" each). */
  cgroups?: string[];
  /** --pidfd-socket: an AF_UNIX stream socket that receives a pidfd of the process (pidfd-socket.ts). */
  pidfdSocket?: string;
}

// Namespaces in the order the launcher joins them: user first, so that the others are joined with its rights.
const NS_FILES: [keyof typeof namespaceFlag, string][] = [
  ['user', 'user'],
  ['ipc', 'ipc'],
  ['uts', 'uts'],
  ['network', 'net'],
  ['pid', 'pid'],
  ['mount', 'mnt'],
  ['cgroup', 'cgroup'],
  ['time', 'time'],
];

/** The init's namespaces that are not tsrun's own: what an exec'd process must join. */
export function containerNamespaces(pid: number): NsJoin[] {
  const out: NsJoin[] = [];
  for (const [name, file] of NS_FILES) {
    let theirs: string;
    try {
      theirs = readlinkSync(`/proc/${pid}/ns/${file}`);
    } catch {
      continue; // a namespace type this kernel lacks
    }
    let ours = '';
    try {
      ours = readlinkSync(`/proc/self/ns/${file}`);
    } catch {
      // compare with nothing: join
    }
    if (theirs !== ours) out.push({ type: namespaceFlag[name], path: `/proc/${pid}/ns/${file}`, name });
  }
  return out;
}

/** runc's -u: "uid[:gid]", numbers only, each in 0..2^31-1 (-1 would be (uid_t)-1: root stays root). */
export function parseUser(u: string): { uid: number; gid?: number } {
  const [us, gs] = u.split(':', 2) as [string, string | undefined];
  const num = (s: string, what: string) => parseId(s, () => `parsing ${s} as int for ${what} failed: invalid syntax`);
  const uid = num(us, 'uid');
  return gs === undefined ? { uid } : { uid, gid: num(gs, 'gid') };
}

/** The process from the command line, on top of config.json's process (runc's getProcess). */
export function processFromFlags(base: SpecProcess, a: ExecArgs): SpecProcess {
  const p: SpecProcess = structuredClone(base);
  p.args = a.args;
  if (a.cwd) p.cwd = a.cwd;
  if (a.apparmor) p.apparmorProfile = a.apparmor;
  if (a.processLabel) p.selinuxLabel = a.processLabel;
  if (a.caps.length) {
    const c = (p.capabilities ??= {});
    for (const set of ['bounding', 'effective', 'permitted'] as const) c[set] = [...(c[set] ?? []), ...a.caps];
    // Never inheritable (CVE-2022-29162: the capability would survive execve of any program). Ambient needs the
    // capability inheritable too, so it is only added where the process already has an inheritable set (runc).
    if (c.inheritable?.length) c.ambient = [...(c.ambient ?? []), ...a.caps];
  }
  p.env = [...(p.env ?? []), ...a.env];
  p.terminal = a.tty === true;
  if (a.noNewPrivs !== undefined) p.noNewPrivileges = a.noNewPrivs;
  if (a.user) {
    const u = parseUser(a.user);
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), uid: u.uid, ...(u.gid !== undefined ? { gid: u.gid } : {}) };
  }
  if (a.additionalGids.length) p.user = { ...(p.user ?? { uid: 0, gid: 0 }), additionalGids: [...(p.user?.additionalGids ?? []), ...a.additionalGids] };
  return p;
}

/** Without --process: config.json's process, read again from the bundle as runc does, with the flags on top. */
function processFromBundle(bundle: string, a: ExecArgs): SpecProcess {
  const base = loadSpec(bundle).process;
  if (!base) throw new ConfigError('config.json', ['process: Required']);
  return processFromFlags(base, a);
}

/** --process FILE, validated as an OCI process. */
function readProcessFile(file: string): SpecProcess {
  const text = readFileBounded(file, INPUT_LIMIT).toString('utf8');
  return parseProcessText(text, file);
}

function checkArgs(p: SpecProcess, a: ExecArgs): void {
  if (!p.args?.length) throw new TsrunError('process args cannot be empty');
  if (p.terminal && a.detach && !a.consoleSocket && (a.shim ?? 'never') === 'never')
    throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  if (a.consoleSocket && (!p.terminal || !a.detach))
    throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
}

export async function execContainer(a: ExecArgs): Promise<number> {
  const dir = new StateDir(a.root, a.id);
  const st = dir.load();
  const status = statusOf(dir, st);
  if (status === 'stopped') throw new TsrunError('cannot exec in a stopped container');
  if (status === 'paused' && !a.ignorePaused) throw new TsrunError('cannot exec in a paused container (use --ignore-paused to override)');
  const subCgroups = parseSubCgroups(a.cgroups ?? []);

  const proc = a.processFile ? readProcessFile(resolve(a.processFile)) : processFromBundle(st.bundle, a);
  checkArgs(proc, a);
  const pidFile = a.pidFile ? resolve(a.pidFile) : undefined;
  const consoleSocket = a.consoleSocket ? resolve(a.consoleSocket) : undefined;
  checkPreservedFds(a.preserveFds);

  const host = readHostFacts();
  // A container created before `execConfig` was recorded has its process settings by name.
  const legacyWarnings: string[] = [];
  const config = st.legacyExec ? execConfigFromLegacy(st.legacyExec, host, legacyWarnings) : st.config.exec;
  // The container's seccomp filter, compiled at create and kept in the state directory.
  const seccompProgram = config.seccomp ? readFileBounded(join(dir.dir, config.seccomp.file), BPF_PROGRAM_LIMIT) : undefined;
  const cg = st.config.cgroup;
  // --cgroup: where the process goes instead of the container's cgroup, checked before anything is started.
  let joinRecord = cg;
  if (subCgroups) {
    if (!cg) throw new TsrunError('container has no cgroup: --cgroup cannot be used');
    joinRecord = { ...cg, paths: subCgroupPaths(cg.paths, subCgroups, isDirectory) };
  }
  // exec -d: the shim's files (and its log, kept with the container's) go to directories named after the
  // process once it exists.
  let shimDir: string | undefined;
  let logDir: string | undefined;
  let shim: PlanShim | undefined;
  const ownTerminal = proc.terminal === true && !consoleSocket;
  if (a.detach && shimWanted(a.shim ?? 'never', ownTerminal)) {
    mkdirSync(join(dir.dir, StateFile.EXECS), { recursive: true, mode: 0o700 });
    shimDir = mkdtempSync(join(dir.dir, StateFile.EXECS, '.new-'));
    logDir = makeExecLogDir(containerLogDir(dir));
    shim = planShim({ policy: a.shim!, ownTerminal, stdin: false, dir: shimDir, logDir, cgroup: cg });
  }
  /** A failed exec leaves none of the shim's directories behind. */
  const discardShimFiles = () => {
    if (shimDir) rmSync(shimDir, { recursive: true, force: true });
    removeLogDir(logDir);
  };
  let plan: Plan;
  try {
    plan = execPlan(
      {
        config,
        target: {
          identity: { ociVersion: st.ociVersion, id: st.id, bundle: st.bundle, annotations: st.annotations },
          joins: containerNamespaces(st.pid),
          root: `/proc/${st.pid}/root`,
          setgroups: setgroupsAllowed(st.pid),
        },
        options: { detach: a.detach, consoleSocket, preserveFds: a.preserveFds, home: passwdHome(`/proc/${st.pid}/root`, proc.user?.uid ?? 0), seccompProgram, shim },
      },
      execOverrides(proc, host),
    );
  } catch (err) {
    discardShimFiles();
    throw err;
  }
  for (const w of [...legacyWarnings, ...plan.warnings]) log.warn(w);

  let launched: Launched;
  let pidfdSocket: PidfdSocket | undefined;
  try {
    // Connected before the process is started, as runc does: an unreachable socket fails here.
    if (a.pidfdSocket) pidfdSocket = PidfdSocket.connect(native(), resolve(a.pidfdSocket));
    warmCgroupMigration(true); // again, nearer the process's move (see cgroup-warm.ts)
    launched = launch(plan, {
      // The process enters the container's cgroup (every v1 hierarchy, or the v2 directory; or the --cgroup
      // sub-cgroups) before it runs anything: never cloned into it, so that it holds no host directory fd
      // inside the container.
      onPid(pid) {
        if (joinRecord) {
          try {
            managerOf(joinRecord).addProcess(pid);
          } catch (err) {
            throw new TsrunError(`error adding pid ${pid} to cgroups: ${err instanceof Error ? err.message : String(err)}`);
          }
        }
        pidfdSocket?.send(pid, 'setns');
      },
    });
  } catch (err) {
    discardShimFiles();
    // runc's wording, which engines show as is (and podman classifies: "executable file not found" → 127).
    if (err instanceof TsrunError) throw new TsrunError(`unable to start container process: ${err.message}`, err.exitCode);
    throw err;
  } finally {
    pidfdSocket?.close();
  }
  if (a.detach) {
    finishDetached(launched);
    if (shimDir && logDir) keepExecShim(shimDir, logDir, launched, dir.dir, proc.terminal === true);
    if (pidFile) writeFileAtomic(pidFile, String(launched.pid), 0o644);
    return 0;
  }
  const stopForwarding = forwardSignals(launched.pid);
  try {
    if (pidFile) writeFileAtomic(pidFile, String(launched.pid), 0o644);
    return exitCodeOf(await waitForeground(launched));
  } finally {
    stopForwarding();
  }
}

/** Under a shim the exec'd process's files are found by its pid; without one the directories are not needed. */
function keepExecShim(tmp: string, logTmp: string, l: Launched, stateDir: string, terminal: boolean): void {
  if (!l.shimPid) {
    rmSync(tmp, { recursive: true, force: true });
    removeLogDir(logTmp);
    return;
  }
  nameExecLogDir(logTmp, l.pid);
  const final = execDir(stateDir, l.pid);
  rmSync(final, { recursive: true, force: true }); // a pid used before by another exec'd process
  renameSync(tmp, final);
  const startTime = readProcStat(l.shimPid)?.startTime ?? '';
  writeFileAtomic(join(final, EXEC_SHIM_FILE), JSON.stringify({ pid: l.shimPid, startTime, terminal }), 0o600);
}

/**
 * The container's log directory; one is made (and recorded in its state) for a container whose init has no
 * shim, so that the logs of processes exec'd into it are removed with it.
 */
function containerLogDir(dir: StateDir): string {
  const known = dir.load().logDir;
  if (known) return known;
  dir.lock(native().flock);
  try {
    const st = dir.load();
    if (st.logDir) return st.logDir;
    st.logDir = makeContainerLogDir(defaultLogRoot(), st.id);
    dir.write(st);
    return st.logDir;
  } finally {
    dir.unlock();
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** setgroups(2) works in the container unless its user namespace has "deny" in /proc/<pid>/setgroups. */
function setgroupsAllowed(pid: number): boolean {
  try {
    return readFileBounded(`/proc/${pid}/setgroups`, 4096).toString('latin1').trim() !== 'deny';
  } catch {
    return true;
  }
}
