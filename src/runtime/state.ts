/**
 * The state directory: `<root>/<id>/` (0700, as the root) holding state.json (written atomically) and, between
 * create and start, exec.fifo. Status always comes from reality: the recorded init must be alive and the same
 * process (pid + start time); a created container still has its exec.fifo.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync, constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import type { ExecConfig, LegacyExecDefaults } from '../plan/exec-config.js';
import { ociStateDocument, type OciStatus } from '../plan/oci-state.js';
import type { CgroupRecord } from '../cgroups/record.js';
import type { KeptConfig } from '../plan/container-config.js';
import { EXIT_FILE_LIMIT, ExitField, STATE_FILE_LIMIT, StateField, StateFile } from '../native/contract.js';
import { PROC_TEXT_LIMIT, readFileBounded, writeFileAtomic } from '../util/fs.js';
import { isSameLiveProcess } from '../util/proc.js';

// The state directory's files are named once, in the contract the native front end shares.
export const STATE_FILE = StateFile.STATE;
export const FIFO_FILE = StateFile.FIFO;

export type Status = OciStatus;

/** What tsrun remembers of a container; later commands need nothing else (no global flags, no config.json). */
export interface ContainerState {
  /** 2: the container config under `config` (1: its parts at the top level; read, never written). */
  version: 2;
  id: string;
  ociVersion: string;
  pid: number;
  /** /proc/<pid>/stat start time of the init. */
  pidStartTime: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339. */
  created: string;
  annotations?: Record<string, string>;
  /** What create decided about the container (plan/container-config.ts), read by every later command. */
  config: KeptConfig;
  /** A version 1 document without `execConfig`: the process settings by name, converted by exec. */
  legacyExec?: LegacyExecDefaults;
  /** tsrun's shim supervising the init (absent when the caller does): its pid and /proc start time. */
  shim?: { pid: number; startTime: string };
  /** Under the shim: the directory holding container.log (see log-dir.ts). */
  logDir?: string;
}

/** state.json as tsrun wrote it before version 2: the config's parts beside the identity. */
interface StateV1 extends Omit<ContainerState, 'version' | 'config' | 'legacyExec'> {
  version: 1;
  privatePidNs: boolean;
  hooks?: KeptConfig['hooks'];
  cgroup?: CgroupRecord;
  execConfig?: ExecConfig;
  exec?: LegacyExecDefaults;
  terminal?: boolean;
}

/** A state document of either version, as version 2. */
export function upgradeState(doc: ContainerState | StateV1): ContainerState {
  if (doc.version === 2) {
    if (doc.config === null || typeof doc.config !== 'object') throw new TsrunError(`state.json of container ${doc.id}: no config`);
    return doc;
  }
  // Written by a newer tsrun: its fields may mean something else.
  if ((doc.version as number | undefined) !== 1 && doc.version !== undefined) throw new TsrunError(`state.json of container ${doc.id}: version ${String(doc.version)} is not known to this tsrun`);
  const { version: _v, privatePidNs, hooks, cgroup, execConfig, exec, terminal, ...identity } = doc;
  return {
    version: 2,
    ...identity,
    config: { cgroup, exec: execConfig ?? { rlimits: [], noNewKeyring: false }, hooks, privatePidNs, terminal: terminal === true },
    legacyExec: execConfig ? undefined : exec,
  };
}

/** What the shim writes when the init has exited (exit.json). */
export interface ExitRecord {
  pid: number;
  /** The exit status, or 128 + the signal that killed it. */
  exitCode: number;
  /** The killing signal, 0 if it exited. */
  signal: number;
  oomKilled: boolean;
  /** RFC 3339 with nanoseconds. */
  exitedAt: string;
}

export const EXIT_FILE = StateFile.EXIT;

/** The exit record a shim wrote in `dir` (a container's state directory or an exec'd process's). */
export function readExitRecord(dir: string): ExitRecord | undefined {
  try {
    return JSON.parse(readFileBounded(join(dir, EXIT_FILE), EXIT_FILE_LIMIT).toString('utf8')) as ExitRecord;
  } catch {
    return undefined;
  }
}
export const LOG_FILE = StateFile.LOG;
export const ATTACH_SOCKET = StateFile.ATTACH_SOCKET;

/** cgroup.events and freezer.state are a few lines. */
const readCgroupText = (path: string) => readFileBounded(path, PROC_TEXT_LIMIT).toString('utf8');

/** Frozen, read straight from the cgroup files (status must not load the cgroup code). */
export function isFrozen(r: CgroupRecord | undefined): boolean {
  if (!r) return false;
  try {
    if (r.layout.mode === 'v2') return r.paths.v2 !== undefined && /^frozen 1$/m.test(readCgroupText(`${r.paths.v2}/cgroup.events`));
    const f = r.paths.v1.freezer;
    return f !== undefined && readCgroupText(`${f}/freezer.state`).trim() === 'FROZEN';
  } catch {
    return false;
  }
}

const ID_RE = /^[A-Za-z0-9_+.-]+$/;

export function validateId(id: string): void {
  if (!ID_RE.test(id) || id === '.' || id === '..') throw new TsrunError('invalid container ID format');
}

const trustedRoots = new Set<string>();

/**
 * The state root must be tsrun's (or root's) and writable by nobody else: everything in it is trusted (the pids
 * kill signals, the cgroups delete removes, the seccomp filters exec loads). A root that does not exist yet
 * has nothing to trust; create makes it 0700.
 */
export function checkRoot(root: string, euid = process.geteuid?.() ?? 0): void {
  if (trustedRoots.has(root)) return;
  let st;
  try {
    st = statSync(root);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isDirectory()) throw new TsrunError(`state root "${root}" is not a directory`);
  if ((st.uid !== euid && st.uid !== 0) || (st.mode & 0o022) !== 0)
    throw new TsrunError(`state root "${root}" must be owned by uid ${euid} (or root) and writable by nobody else (owner ${st.uid}, mode 0${(st.mode & 0o7777).toString(8)})`);
  trustedRoots.add(root);
}

export function resolveRoot(root: string): string {
  const abs = resolve(root);
  if (abs === '/') throw new TsrunError('invalid --root: "/"');
  return abs;
}

export class StateDir {
  readonly dir: string;
  private lockFd = -1;

  constructor(readonly root: string, readonly id: string) {
    validateId(id);
    this.dir = join(root, id);
  }

  get fifo(): string {
    return join(this.dir, FIFO_FILE);
  }

  /** The shim's exit record, once it has written one. */
  exitRecord(): ExitRecord | undefined {
    return readExitRecord(this.dir);
  }

  /** A real directory: a symlink in the state root is no container (listIds skips it too). */
  exists(): boolean {
    checkRoot(this.root);
    try {
      return lstatSync(this.dir).isDirectory();
    } catch {
      return false;
    }
  }

  /** Creates the directory; fails like runc if the id is taken. */
  create(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    checkRoot(this.root);
    try {
      mkdirSync(this.dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new TsrunError('container with given ID already exists');
      throw err;
    }
  }

  /** An exclusive flock on the directory: concurrent commands on one container take turns. */
  lock(flock: (fd: number, op: number) => void): void {
    if (this.lockFd >= 0) return;
    this.lockFd = openSync(this.dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
    flock(this.lockFd, 2 /* LOCK_EX */);
  }

  unlock(): void {
    if (this.lockFd >= 0) closeSync(this.lockFd);
    this.lockFd = -1;
  }

  /** The recorded state, or undefined while the container is still being created (or the dir is stray). */
  read(): ContainerState | undefined {
    checkRoot(this.root);
    let text: string;
    try {
      text = readFileBounded(join(this.dir, STATE_FILE), STATE_FILE_LIMIT).toString('utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw err;
    }
    const doc = JSON.parse(text) as ContainerState | StateV1 | null;
    // Not an object: left for the caller to find unusable, as before versions were read.
    return doc !== null && typeof doc === 'object' ? upgradeState(doc) : (doc as unknown as undefined);
  }

  /** The recorded state; `container does not exist` (runc's words) if there is none. */
  load(): ContainerState {
    const st = this.exists() ? this.read() : undefined;
    if (!st) throw new TsrunError('container does not exist');
    return st;
  }

  write(st: ContainerState): void {
    writeFileAtomic(join(this.dir, STATE_FILE), JSON.stringify(st), 0o600);
  }

  remove(): void {
    this.unlock();
    rmSync(this.dir, { recursive: true, force: true });
  }

  owner(): number {
    return statSync(this.dir).uid;
  }
}

export function statusOf(dir: StateDir, st: ContainerState): Status {
  if (!isSameLiveProcess(st.pid, st.pidStartTime)) return 'stopped';
  if (existsSync(dir.fifo)) return 'created';
  return isFrozen(st.config.cgroup) ? 'paused' : 'running';
}

/** Ids of every container directory under root. */
export function listIds(root: string): string[] {
  checkRoot(root);
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && ID_RE.test(d.name))
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The runtime-spec state document given to hooks, as JSON: the container's own pid unless another is given. */
export function stateJson(st: ContainerState, status: Status, pid = st.pid): string {
  return JSON.stringify(ociStateDocument(st, status, pid));
}

/** `state`: the OCI state document in runc's layout, with rootfs, created, owner and how a shim's container ended. */
export function ociState(dir: StateDir, st: ContainerState, status: Status = statusOf(dir, st)) {
  const doc = ociStateDocument(st, status, st.pid);
  return {
    ociVersion: doc.ociVersion,
    id: doc.id,
    pid: doc.pid ?? 0,
    status: doc.status,
    bundle: doc.bundle,
    rootfs: st.rootfs,
    created: st.created,
    owner: '',
    ...(doc.annotations ? { annotations: doc.annotations } : {}),
    ...(status === 'stopped' && st.shim ? exitFields(dir.exitRecord()) : {}),
  };
}

/** Added to `state` of a stopped container supervised by the shim: how it ended. */
function exitFields(r: ExitRecord | undefined) {
  if (!r) return {};
  return { exitCode: r.exitCode, ...(r.signal ? { exitSignal: r.signal } : {}), oomKilled: r.oomKilled, exitedAt: r.exitedAt };
}

/**
 * The fields the native front end reads (src/native/contract.ts StateField, ExitField) are fields of these types:
 * renaming one here without the contract (and addon/core/contract.h) fails to compile.
 */
export const NATIVE_READS = {
  state: [
    StateField.VERSION, StateField.ID, StateField.OCI_VERSION, StateField.PID, StateField.PID_START_TIME, StateField.BUNDLE,
    StateField.ROOTFS, StateField.CREATED, StateField.ANNOTATIONS, StateField.CONFIG, StateField.SHIM, StateField.LOG_DIR,
  ] satisfies (keyof ContainerState)[],
  config: [StateField.PRIVATE_PID_NS, StateField.HOOKS, StateField.CGROUP] satisfies (keyof KeptConfig)[],
  hooks: [StateField.HOOKS_POSTSTART, StateField.HOOKS_POSTSTOP] satisfies (keyof NonNullable<KeptConfig['hooks']>)[],
  cgroup: [StateField.CG_DRIVER, StateField.CG_LAYOUT, StateField.CG_PATHS] satisfies (keyof CgroupRecord)[],
  layout: [StateField.CG_MODE, StateField.CG_V1, StateField.CG_V2] satisfies (keyof CgroupRecord['layout'])[],
  paths: [StateField.CG_V1, StateField.CG_V2] satisfies (keyof CgroupRecord['paths'])[],
  shim: [StateField.SHIM_PID, StateField.SHIM_START_TIME] satisfies (keyof NonNullable<ContainerState['shim']>)[],
  exit: [ExitField.PID, ExitField.EXIT_CODE, ExitField.SIGNAL, ExitField.OOM_KILLED, ExitField.EXITED_AT] satisfies (keyof ExitRecord)[],
};
