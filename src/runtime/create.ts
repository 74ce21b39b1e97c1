/**
 * create (and the first half of run): bundle → validated spec → plan → launcher → an init blocked on its
 * exec fifo, recorded in the state directory. Any failure leaves nothing behind.
 */
import { chmodSync, chownSync, closeSync, existsSync, openSync, readFileSync, readdirSync, statSync, constants as fsc } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, TsrunError, codeMessage, describeNodeError, isNativeError } from '../errors.js';
import { log } from '../log.js';
import { native } from '../native/addon.js';
import { lsmFacts, readHostFacts } from '../plan/host.js';
import type { Plan, PlanShim } from '../plan/plan.js';
import { compileSpecSeccomp, seccompArchProblems } from '../plan/seccomp.js';
import { hostId, specToPlan } from '../plan/create-plan.js';
import { execConfigOf, type ExecConfig } from '../plan/exec-config.js';
import { semanticProblems } from '../plan/validate.js';
import type { Spec } from '../spec/schema.js';
import { loadSpec } from '../spec/load.js';
import { O_CLOEXEC, writeFileAtomic } from '../util/fs.js';
import { readProcStat } from '../util/proc.js';
import { HookPhase, StateFile } from '../native/contract.js';
import { planShim, shimWanted, type ShimPolicy } from './shim-plan.js';
import { runHooks } from './hooks.js';
import { finishDetached, launch, type Launched } from './launcher.js';
import { cgroupView, destroyCgroup, joinCgroup, managerOf, planCgroup, prepareCgroup, type CgroupRecord } from './cgroup.js';
import { hostNotifySocket, notifySetup } from './notify-socket.js';
import { defaultLogRoot, makeContainerLogDir, removeLogDir } from './log-dir.js';
import { passwdHome } from './passwd.js';
import { PidfdSocket } from './pidfd-socket.js';
import { resolveRootfs } from './rootfs.js';
import { StateDir, stateJson, type ContainerState } from './state.js';

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  preserveFds: number;
  /** run in the foreground: the launcher stays, relays a terminal and reports the exit status. */
  foreground?: boolean;
  /** cgroupsPath is "slice:prefix:name" and systemd makes the cgroup. */
  systemdCgroup?: boolean;
  /** Who supervises a detached container: tsrun's shim when the caller will not (auto), always, or never. */
  shim?: ShimPolicy;
  /** Under a shim: the container's stdin is a pipe kept open for `attach` (otherwise /dev/null). */
  stdin?: boolean;
  /** Under a shim: container.log is rotated past this size in bytes (0: never). */
  logMaxSize?: number;
  /** Under a shim: where container logs are kept (<logRoot>/<id>/container.log); see log-dir.ts. */
  logRoot?: string;
  /** --pidfd-socket: an AF_UNIX stream socket that receives a pidfd of the init (pidfd-socket.ts). */
  pidfdSocket?: string;
}



export interface Created {
  dir: StateDir;
  state: ContainerState;
  launched: Launched;
  plan: Plan;
}

/** linux.seccomp → BPF, cached under <root>/@cache/seccomp ('@' is never in a container id). */
function compileSeccomp(seccomp: NonNullable<NonNullable<Spec['linux']>['seccomp']>, root: string) {
  const addon = native();
  let c: ReturnType<typeof compileSpecSeccomp>;
  try {
    c = compileSpecSeccomp(seccomp, {
      cacheDir: join(root, '@cache', 'seccomp'),
      compile: addon.compileSeccomp,
      libseccompVersion: addon.seccompVersion(),
    });
  } catch (err) {
    // A refused filter is reported as "<libseccomp call>: <reason>", as tsrun always has.
    if (isNativeError(err)) throw new TsrunError(`${err.syscall}: ${codeMessage(err.code) ?? err.message}`);
    throw err;
  }
  if (c.skipped.length) log.debug(`seccomp: syscalls unknown to libseccomp ${addon.seccompVersion()} skipped: ${c.skipped.join(' ')}`);
  return { program: c.program, flags: c.flags };
}

/** Socket activation (sd_listen_fds): LISTEN_FDS fds from 3 are passed on with LISTEN_PID=1. */
function listenFds(): number {
  const { LISTEN_PID = '', LISTEN_FDS = '' } = process.env;
  // Decimal only (Number() would take "1e3" or "0x10"), and no more fds than a process can have.
  if (!/^\d{1,7}$/.test(LISTEN_PID) || !/^\d{1,7}$/.test(LISTEN_FDS)) return 0;
  return Number(LISTEN_PID) === process.pid ? Number(LISTEN_FDS) : 0;
}

export function checkConsoleFlags(spec: Spec, consoleSocket: string | undefined, detached: boolean, shim: ShimPolicy = 'never'): void {
  const terminal = spec.process?.terminal === true;
  // With a shim possible, a detached terminal without a console socket is held by the shim.
  if (terminal && detached && !consoleSocket && shim === 'never')
    throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  if (consoleSocket && (!terminal || !detached))
    throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
  // In the foreground the container's terminal is relayed to ours: without one (a script, a pipe, cron) the
  // process would wait on a terminal nobody can type into. runc fails the same way, before anything is made.
  if (terminal && !detached) assertControllingTerminal();
}

function assertControllingTerminal(): void {
  try {
    closeSync(openSync('/dev/tty', fsc.O_RDWR | fsc.O_NOCTTY | O_CLOEXEC));
  } catch (err) {
    throw new TsrunError(`${describeNodeError(err)} (the process has "terminal": true; run from a terminal, or set it to false)`);
  }
}

/** Everything about the bundle that can be wrong, found before anything is made. */
export function prepare(opts: CreateOptions): { spec: Spec; bundle: string; rootfs: string } {
  const bundle = resolve(opts.bundle);
  const spec = loadSpec(bundle);
  const problems = semanticProblems(spec, lsmFacts());
  if (spec.linux?.seccomp?.architectures?.length) {
    const addon = native();
    problems.push(...seccompArchProblems(spec.linux.seccomp, (name) => addon.seccompArchKnown(name), addon.seccompVersion()));
  }
  if (problems.length) throw new ConfigError('config.json', problems);
  checkConsoleFlags(spec, opts.consoleSocket, !opts.foreground, opts.shim);
  return { spec, bundle, rootfs: resolveRootfs(bundle, spec.root!.path) };
}

export function createContainer(opts: CreateOptions): Created {
  const { spec, bundle, rootfs } = prepare(opts);
  const dir = new StateDir(opts.root, opts.id);
  // Made absolute against our cwd, as runc does before anything else.
  const pidFile = opts.pidFile ? resolve(opts.pidFile) : undefined;
  const consoleSocket = opts.consoleSocket ? resolve(opts.consoleSocket) : undefined;
  // Connected before anything is made, as runc does: an unreachable socket fails here.
  const pidfdSocket = opts.pidfdSocket ? PidfdSocket.connect(native(), resolve(opts.pidfdSocket)) : undefined;
  try {
    dir.create();
  } catch (err) {
    pidfdSocket?.close();
    throw err;
  }
  let launched: Launched | undefined;
  let cgroup: CgroupRecord | undefined;
  let logDir: string | undefined;
  try {
    const addon = native();
    dir.lock(addon.flock);
    for (let fd = 3; fd < 3 + opts.preserveFds + listenFds(); fd++) {
      try {
        statSync(`/proc/self/fd/${fd}`);
      } catch {
        throw new TsrunError(`unable to stat preserved-fd ${fd - 3} (of ${opts.preserveFds}): fd ${fd} is not open`);
      }
    }
    cgroup = planCgroup(spec, opts.id, opts.systemdCgroup === true);
    const host = readHostFacts(cgroupView(cgroup));
    for (const w of prepareCgroup(cgroup)) log.warn(w);
    const notify = hostNotifySocket() ? notifySetup(dir.dir) : undefined;
    // Who supervises, and where its logs go, are host facts: decided here, handed to the conversion.
    const ownTerminal = spec.process?.terminal === true && !consoleSocket;
    let shim: PlanShim | undefined;
    if (!opts.foreground && shimWanted(opts.shim ?? 'never', ownTerminal)) {
      logDir = makeContainerLogDir(opts.logRoot ?? defaultLogRoot(), opts.id);
      shim = planShim({ policy: opts.shim!, ownTerminal, stdin: opts.stdin === true, logMax: opts.logMaxSize, dir: dir.dir, logDir, cgroup });
    }
    const listen = listenFds();
    const seccomp = spec.linux?.seccomp ? compileSeccomp(spec.linux.seccomp, opts.root) : undefined;
    const plan = specToPlan(
      spec,
      {
        id: opts.id,
        bundle,
        fifo: dir.fifo,
        foreground: opts.foreground === true,
        noPivot: opts.noPivot,
        noNewKeyring: opts.noNewKeyring,
        consoleSocket,
        preserveFds: listen + opts.preserveFds,
        extraEnv: listen ? [`LISTEN_FDS=${listen}`, 'LISTEN_PID=1'] : [],
        home: passwdHome(rootfs, spec.process!.user?.uid ?? 0),
        seccomp,
        notify,
        shim,
        // cgroupfs on v2: cloned straight into its cgroup where nobody can see it at birth (the init holds the
        // directory's fd until its first step).
        cgroupV2Dir: cgroup.driver === 'cgroupfs' && cgroup.layout.mode === 'v2' ? cgroup.paths.v2 : undefined,
      },
      host,
    );
    for (const w of plan.warnings) log.warn(w);
    let execSeccomp: ExecConfig['seccomp'];
    if (seccomp) {
      // exec loads the same filter without compiling it again.
      writeFileAtomic(join(dir.dir, StateFile.SECCOMP), seccomp.program, 0o600);
      const sc = spec.linux!.seccomp!;
      const listener = sc.listenerPath ? { path: sc.listenerPath, metadata: sc.listenerMetadata ?? '' } : undefined;
      execSeccomp = { file: StateFile.SECCOMP, flags: seccomp.flags, listener };
    }
    // What an exec'd process takes from the container, as the init's plan has it.
    const execConfig = execConfigOf(plan.process, opts.noNewKeyring, execSeccomp);
    const clonedIn = plan.cgroupDir !== undefined;
    log.debug(`plan: ${plan.ops.length} steps, new namespaces 0x${plan.nsNew.toString(16)}, joined [${plan.joins.map((j) => `${j.name}:${j.path}`).join(' ')}]`);
    // Only the container's process may open it (it does so as its own user, after setresuid): 0600, owned by
    // the host ids of that user. Anyone else could release or stall `start` under a --root that is not 0700.
    const owner = fifoOwner(spec);
    addon.mkfifo(dir.fifo, 0o600);
    chownSync(dir.fifo, owner.uid, owner.gid);
    chmodSync(dir.fifo, 0o600);
    const hooks = spec.hooks ?? {};
    const stateFor = (pid: number): ContainerState => ({
      version: 1,
      id: opts.id,
      ociVersion: spec.ociVersion,
      pid,
      pidStartTime: '',
      bundle,
      rootfs,
      created: new Date().toISOString(),
      annotations: spec.annotations,
      privatePidNs: (spec.linux?.namespaces ?? []).some((n) => n.type === 'pid' && n.path === undefined),
      hooks: hooks.poststart?.length || hooks.poststop?.length ? { poststart: hooks.poststart, poststop: hooks.poststop } : undefined,
      cgroup: cg,
      execConfig,
      terminal: spec.process?.terminal === true || undefined,
    });
    const cg = cgroup;
    launched = launch(plan, {
      // The init exists and waits: it joins its cgroup before it can run anything of the user's.
      onPid(pid) {
        for (const w of joinCgroup(cg, pid, opts.id, clonedIn)) log.warn(w);
        pidfdSocket?.send(pid, 'standard');
      },
      // Mounts are in place, pivot_root not done yet: the runtime's hooks see the container's pid.
      onSync(phase, pid) {
        if (phase !== HookPhase.CREATE_RUNTIME) return;
        const json = stateJson(stateFor(pid), 'created');
        runHooks('prestart', hooks.prestart, json, bundle);
        runHooks('createRuntime', hooks.createRuntime, json, bundle);
      },
    });
    log.debug(`container ${opts.id}: init ${launched.pid} ready (launcher ${launched.launcherPid})`);
    const stat = readProcStat(launched.pid);
    if (!stat) throw new TsrunError('container init exited during create');
    const state: ContainerState = { ...stateFor(launched.pid), pidStartTime: stat.startTime };
    if (launched.shimPid) {
      const shimStat = readProcStat(launched.shimPid);
      if (!shimStat) throw new TsrunError('the container shim exited during create');
      state.shim = { pid: launched.shimPid, startTime: shimStat.startTime };
      state.logDir = logDir;
    } else {
      // The caller adopted the init (auto mode): no shim, no log.
      removeLogDir(logDir);
    }
    dir.write(state);
    if (!opts.foreground) finishDetached(launched);
    if (pidFile) writeFileAtomic(pidFile, String(launched.pid), 0o644);
    dir.unlock();
    return { dir, state, launched, plan };
  } catch (caught) {
    let err = caught;
    // The init killed during setup (or the launcher finding its socket closed) is almost always the memory limit.
    if (cgroup && launched === undefined) err = explainOomKill(cgroup) ?? err;
    if (launched) {
      try {
        process.kill(launched.pid, 'SIGKILL');
      } catch {
        // gone already
      }
      // The shim records the exit and leaves; only then is the state directory removed for good.
      if (launched.shimPid) {
        try {
          native().waitpid(launched.shimPid, 0);
        } catch {
          // reaped
        }
      }
    }
    if (cgroup) {
      try {
        destroyCgroup(cgroup);
      } catch (e) {
        log.warn(`removing the cgroup after a failed create: ${(e as Error).message}`);
      }
    }
    removeLogDir(logDir);
    dir.remove();
    throw err;
  } finally {
    pidfdSocket?.close();
  }
}

type IdMaps = { containerID: number; hostID: number; size: number }[];

/**
 * The host uid/gid the container's process runs as: process.user through the id maps of its user namespace
 * (a new one's from the config, a joined one's from a process in it), the ids themselves without one. An id
 * the namespace does not map gives root: the init fails at setresuid before it reaches the fifo.
 */
function fifoOwner(spec: Spec): { uid: number; gid: number } {
  const user = spec.process?.user ?? { uid: 0, gid: 0 };
  const ns = spec.linux?.namespaces?.find((n) => n.type === 'user');
  let uidMaps: IdMaps | undefined;
  let gidMaps: IdMaps | undefined;
  if (ns?.path) ({ uidMaps, gidMaps } = joinedUserNsMaps(ns.path));
  else if (ns) ({ uidMappings: uidMaps = [], gidMappings: gidMaps = [] } = spec.linux!);
  return { uid: hostId(uidMaps, user.uid) ?? 0, gid: hostId(gidMaps, user.gid) ?? 0 };
}

/** The id maps of a user namespace given by path, read from a process in it (/proc/<pid>/ns/user, or found). */
function joinedUserNsMaps(path: string): { uidMaps: IdMaps; gidMaps: IdMaps } {
  const target = statSync(path);
  const same = (p: string) => {
    try {
      const s = statSync(p);
      return s.dev === target.dev && s.ino === target.ino;
    } catch {
      return false;
    }
  };
  const named = /^\/proc\/(\d+)\/ns\/user$/.exec(path)?.[1];
  const pid = named ?? readdirSync('/proc').find((e) => /^\d+$/.test(e) && same(`/proc/${e}/ns/user`));
  if (pid === undefined) throw new TsrunError(`user namespace "${path}": no process is in it to read its id mappings from`);
  const read = (f: string): IdMaps =>
    readFileSync(`/proc/${pid}/${f}`, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const [containerID, hostID, size] = l.trim().split(/\s+/).map(Number) as [number, number, number];
        return { containerID, hostID, size };
      });
  return { uidMaps: read('uid_map'), gidMaps: read('gid_map') };
}

/** Says so when the cgroup counted an OOM kill while the container was being set up. */
function explainOomKill(cgroup: CgroupRecord): TsrunError | undefined {
  let kills = 0;
  try {
    kills = managerOf(cgroup).oomKills();
  } catch {
    return undefined;
  }
  if (kills === 0) return undefined;
  const limit = cgroup.resources?.memory?.limit;
  return new TsrunError(
    `container init was killed by the OOM killer during setup: linux.resources.memory.limit${limit === undefined ? '' : ` (${limit} bytes)`} is too low`,
  );
}
