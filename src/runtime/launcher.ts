/**
 * Node's side of the control socket: spawns tsrun-launcher with the container's stdio and preserved fds,
 * sends the plan and follows the init until it is ready. Node never clones and never enters the container.
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import { describeWaitStatus } from '../util/wait-status.js';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import { MSG_SIZE, Msg, MsgLayout } from '../native/contract.js';
import { launcherPath, native } from '../native/addon.js';
import { waitpidAsync } from '../native/wait.js';
import { encodePlan } from '../plan/encode.js';
import type { Plan } from '../plan/plan.js';
import { describeInitDeath, describeInitError } from './init-error.js';

export interface Message {
  type: number;
  a: number;
  b: number;
  c: number;
}

function readMsg(fd: number): Message | undefined {
  const buf = Buffer.alloc(MSG_SIZE);
  let off = 0;
  while (off < MSG_SIZE) {
    let n: number;
    try {
      n = readSync(fd, buf, off, MSG_SIZE - off, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN' || (err as NodeJS.ErrnoException).code === 'EINTR') continue;
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') return undefined;
      throw err;
    }
    if (n === 0) return undefined;
    off += n;
  }
  return { type: buf.readUInt32LE(MsgLayout.TYPE), a: buf.readInt32LE(MsgLayout.A), b: buf.readInt32LE(MsgLayout.B), c: buf.readInt32LE(MsgLayout.C) };
}

function writeMsg(fd: number, type: number, a = 0, b = 0, c = 0): void {
  const buf = Buffer.alloc(MSG_SIZE);
  buf.writeUInt32LE(type, MsgLayout.TYPE);
  buf.writeInt32LE(a, MsgLayout.A);
  buf.writeInt32LE(b, MsgLayout.B);
  buf.writeInt32LE(c, MsgLayout.C);
  writeSync(fd, buf);
}

export interface LaunchHooks {
  /**
   * Runs once the plan is sent, while the launcher starts and clones the init on another CPU: work the init needs
   * only once it has reported its pid. A throw fails the launch like any other.
   */
  whileStarting?(): void;
  /** The init exists (namespaces made, id maps written) and waits: place it in cgroups, run runtime hooks. */
  onPid?(pid: number): void;
  /**
   * The init has been let go and sets up its mounts on another CPU: work that needs its pid (and the shim's) but
   * not the init ready. A throw fails the launch like any other.
   */
  whileSettingUp?(pid: number, shimPid: number): void;
  /** The init reached a SYNC step (phase a): run the hooks of that phase. */
  onSync?(phase: number, pid: number): void;
}

export interface Launched {
  /** The container init, in tsrun's pid namespace. */
  pid: number;
  launcherPid: number;
  /**
   * The shim supervising the init (0: none, the caller adopts it). It is the process Node spawned (launcherPid);
   * the launcher's work was done by its child.
   */
  shimPid: number;
  /** Control socket; in foreground mode the EXITED message arrives here. */
  ctl: number;
}

/**
 * An fd of the launcher no container can write, to spawn it from (CVE-2019-5736, see addon/core/exe_seal.h).
 * Should neither way work here, -1: the launcher is spawned from its file, then seals itself or says why not.
 */
function sealedLauncher(addon: ReturnType<typeof native>): number {
  try {
    const { fd, how } = addon.sealedExe(launcherPath());
    log.debug(`container launcher spawned through a ${how === 'overlay' ? 'read-only overlay' : 'sealed memfd copy'}`);
    return fd;
  } catch (err) {
    log.debug(`container launcher spawned from its file (it seals itself): ${(err as Error).message}`);
    return -1;
  }
}

/** A launcher spawned and waiting for its plan on the control socket (`mine`). */
export interface Spawned {
  launcherPid: number;
  mine: number;
  /** How many fds from 3 it was given (the plan's preserveFds must say the same). */
  preserveFds: number;
}

/**
 * Spawns the launcher with the container's stdio and `preserveFds` more fds from 3; it waits for its plan. Known
 * before config.json is converted, so that the launcher starts on another CPU while the conversion runs.
 */
export function spawnLauncher(preserveFds: number): Spawned {
  const addon = native();
  const [mine, theirs] = addon.socketpair();
  const ctlFd = 3 + preserveFds;
  const fds = [0, 1, 2];
  for (let i = 0; i < preserveFds; i++) fds.push(3 + i);
  fds.push(theirs);
  const exeFd = sealedLauncher(addon);
  try {
    return { launcherPid: addon.spawn(launcherPath(), ['tsrun-launcher', String(ctlFd)], [], fds, exeFd), mine, preserveFds };
  } catch (err) {
    closeSync(mine);
    throw err;
  } finally {
    closeSync(theirs);
    if (exeFd >= 0) closeSync(exeFd);
  }
}

/** A launcher that will get no more from us: its socket closed first, it sees EOF, exits, and is reaped. */
export function abandonLauncher(s: Spawned): void {
  closeSync(s.mine);
  if (s.launcherPid <= 0) return;
  try {
    native().waitpid(s.launcherPid, 0);
  } catch {
    // reaped
  }
}

/**
 * Runs the launcher through to READY: one spawned for it, or `spawned` (same preserved fds). On failure nothing of
 * the init is left running.
 */
export function launch(plan: Plan, hooks: LaunchHooks = {}, spawned?: Spawned): Launched {
  const addon = native();
  if (spawned && spawned.preserveFds !== plan.process.preserveFds) {
    abandonLauncher(spawned);
    throw new TsrunError(`internal error: the launcher was spawned with ${spawned.preserveFds} preserved fds, the plan has ${plan.process.preserveFds}`);
  }
  const { mine, launcherPid: spawnedPid } = spawned ?? spawnLauncher(plan.process.preserveFds);
  let launcherPid = spawnedPid;
  let pid = 0;
  let shimPid = 0;
  try {
    const body = encodePlan(plan);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length);
    try {
      writeSync(mine, Buffer.concat([head, body]));
    } catch (err) {
      // The launcher failed before reading its plan (it reported why, or died): read on.
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
    }
    hooks.whileStarting?.();
    for (;;) {
      const m = readMsg(mine);
      if (!m) {
        const { status } = addon.waitpid(launcherPid, 0);
        launcherPid = -1;
        throw new TsrunError(`container launcher died unexpectedly (${describeWaitStatus(status)})`);
      }
      switch (m.type) {
        case Msg.PID:
          pid = m.a;
          shimPid = m.b;
          hooks.onPid?.(pid);
          writeMsg(mine, Msg.CONTINUE);
          hooks.whileSettingUp?.(pid, shimPid);
          break;
        case Msg.SYNC:
          hooks.onSync?.(m.a, pid);
          writeMsg(mine, Msg.CONTINUE);
          break;
        case Msg.READY:
          return { pid, launcherPid, shimPid, ctl: mine };
        case Msg.ERROR:
          throw describeInitError(plan, m.a, m.b, m.c);
        case Msg.DIED:
          throw describeInitDeath(plan, m.a, m.b, m.c);
        default:
          throw new TsrunError(`unexpected message ${m.type} from the container launcher`);
      }
    }
  } catch (err) {
    // Nothing of the container may survive a failed create.
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // A launcher waiting for our CONTINUE sees EOF, kills the init and exits (-1: reaped already).
    abandonLauncher({ mine, launcherPid, preserveFds: plan.process.preserveFds });
    throw err;
  }
}

/** Detached: the launcher exits once the init is ready; reap it. A shim stays: it outlives tsrun. */
export function finishDetached(l: Launched): void {
  closeSync(l.ctl);
  if (!l.shimPid) native().waitpid(l.launcherPid, 0);
}

/** Foreground: resolves with the init's raw wait status once it has exited. */
export async function waitForeground(l: Launched): Promise<number> {
  const launcherStatus = await waitpidAsync(l.launcherPid);
  const m = readMsg(l.ctl);
  closeSync(l.ctl);
  if (!m || m.type !== Msg.EXITED) {
    throw new TsrunError(`container launcher died before reporting the exit status (${describeWaitStatus(launcherStatus)})`);
  }
  return m.a;
}

export { exitCodeOf } from '../util/wait-status.js';

