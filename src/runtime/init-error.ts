/** Turns {step, errno, index} from the launcher or the init into one clear, runc-worded message. */
import { describeWaitStatus } from '../util/wait-status.js';
import { InitDiedError, SysError, TsrunError, errnoMessage } from '../errors.js';
import { OpKind, Step } from '../native/contract.js';
import { readProcText } from '../util/proc.js';
import type { Plan } from '../plan/plan.js';

const EPERM = 1;
const ENOENT = 2;
const EACCES = 13;
const EROFS = 30;
const ELOOP = 40;
const ETIMEDOUT = 110;


export function describeInitError(plan: Plan, step: number, errno: number, index: number): TsrunError {
  const p = plan.process;
  const msg = (what: string) => new SysError(what, errno);
  if (step >= Step.OP_BASE) {
    const op = plan.ops[index];
    const what = op?.what ?? `step ${index}`;
    switch (step) {
      case Step.OP_MKDIR:
        return msg(`${what}: create mount point`);
      case Step.OP_SOURCE:
        return msg(`${what}: open source`);
      case Step.OP_REMOUNT:
        return msg(op?.kind === 10 ? what : `${what}: remount with its options`);
      case Step.OP_PROPAGATION:
        return msg(`${what}: set propagation`);
      case Step.OP_CHOWN:
        return msg(`${what}: chown`);
      case Step.OP_IN_PROC:
        return new TsrunError(`${what}: the destination leads inside /proc (through a symlink of the rootfs): only proc and the files lxcfs provides may be mounted there`);
      case Step.OP_CONSOLE_SEND:
        return msg(`${what}: send the terminal to the console socket`);
      case Step.OP_NULL_DEVICE:
        if (errno === 0) return new TsrunError(`${what}: /dev/null is not the null device (character device 1:3)`);
        if (errno === ELOOP) return new TsrunError(`${what}: /dev/null is under a symbolic link: refused`);
        return msg(`${what}: open /dev/null`);
      case Step.OP_CONSOLE_TARGET:
        if (errno === 0) return new TsrunError(`${what}: /dev/console is neither a regular file nor a character device`);
        if (errno === ELOOP) return new TsrunError(`${what}: /dev/console is a symbolic link or lies under one: refused`);
        return msg(`${what}: /dev/console`);
      case Step.OP_PTMX:
        if (errno === 0) return new TsrunError(`${what}: /dev/ptmx is not a pty master (devpts)`);
        return msg(`${what}: /dev/ptmx`);
      default:
        if (op?.kind === OpKind.SYSCTL && (errno === EACCES || errno === EPERM || errno === EROFS))
          return new TsrunError(`${what}: ${errnoMessage(errno)} (only sysctls of namespaces the container owns can be set; in a user namespace, no others)`);
        return msg(what);
    }
  }
  switch (step) {
    case Step.PLAN:
      return msg('container launcher: invalid plan');
    case Step.SELF_EXE:
      return msg('container launcher: run from a sealed copy of its own executable (CVE-2019-5736)');
    case Step.FIFO:
      return msg(`open exec fifo "${plan.fifo}"`);
    case Step.FIFO_REOPEN:
      if (index === 1) return new TsrunError("reopen exec fifo: the container's /proc is not a procfs");
      if (index === 2) return new TsrunError("reopen exec fifo: /proc/self/fd of the container does not lead to it");
      return msg("reopen exec fifo through the container's /proc/self/fd");
    case Step.USERNS:
      return msg('create the user namespace');
    case Step.CWD:
      return msg('enter an empty directory');
    case Step.CONSOLE_CONNECT:
      return msg(`connect to console socket "${plan.consoleSocket ?? ''}"`);
    case Step.SETNS: {
      const j = plan.joins[index];
      return msg(`join ${j?.name ?? ''} namespace "${j?.path ?? ''}"`);
    }
    case Step.TIMENS:
      return msg('create time namespace');
    case Step.CGROUPNS:
      return msg('unshare the cgroup namespace');
    case Step.EXEC_ROOT:
      return msg(`open the container's root "${plan.execRoot ?? ''}"`);
    case Step.CGROUP:
      return msg(`open cgroup "${plan.cgroupDir ?? ''}"`);
    case Step.SECCOMP_LISTENER:
      return msg(`send the seccomp notify fd to "${plan.seccompListener?.path ?? ''}"`);
    case Step.CLONE:
      return msg('clone the container init');
    case Step.UID_MAP:
      return mapError(plan, 'uid', errno);
    case Step.GID_MAP:
      return mapError(plan, 'gid', errno);
    case Step.SETGROUPS_DENY:
      return msg('write setgroups');
    case Step.OOM_SCORE_ADJ:
      if (errno === EACCES || errno === EPERM)
        return new TsrunError(
          `set oom_score_adj to ${p.oomScoreAdj}: ${errnoMessage(errno)} (below the current value ${currentOomScoreAdj()} only with CAP_SYS_RESOURCE, which a rootless container lacks: leave process.oomScoreAdj out or raise it)`,
        );
      return msg(`set oom_score_adj to ${p.oomScoreAdj}`);
    case Step.SYNC:
      return msg('sync with the container init');
    case Step.SETSID:
      return msg('setsid');
    case Step.SETUID_ROOT:
      return msg('become root in the container');
    case Step.KEYRING:
      return msg('unable to join session keyring');
    case Step.RLIMIT:
      return msg(`set rlimit ${p.rlimits[index]?.name ?? index}`);
    case Step.NO_NEW_PRIVS:
      return msg('prctl(SET_NO_NEW_PRIVS)');
    case Step.SETGROUPS:
      return msg(`setgroups ${JSON.stringify(p.groups)}`);
    case Step.SETGID:
      return msg(`setgid ${p.gid}`);
    case Step.SETUID:
      return msg(`setuid ${p.uid}`);
    case Step.KEEPCAPS:
      return msg('prctl(SET_KEEPCAPS)');
    case Step.CAP_BOUNDING:
      return msg(`drop capability ${index} from the bounding set`);
    case Step.CAPSET:
      return msg('set capabilities');
    case Step.CHDIR:
      return msg(`chdir to cwd ("${p.cwd}") set in config.json failed`);
    case Step.EXEC_LOOKUP: {
      const arg0 = p.args[0] ?? '';
      if (!arg0.includes('/') && errno === ENOENT) return new TsrunError(`exec: "${arg0}": executable file not found in $PATH`);
      if (errno === EACCES) return new TsrunError(`exec: "${arg0}": permission denied`);
      return new TsrunError(`exec: "${arg0}": stat ${p.exe[0] ?? arg0}: ${errnoMessage(errno)}`);
    }
    case Step.SHIM: {
      const sh = plan.shim;
      return msg(`start the shim (state "${sh?.dir ?? ''}", logs "${sh?.logDir ?? ''}")`);
    }
    case Step.FIFO_WAIT:
      return msg('wait on exec fifo');
    case Step.SECCOMP:
      return msg('load seccomp filter');
    case Step.CLOSE_FDS:
      return msg('close inherited fds');
    case Step.EXEC:
      return msg(`exec "${p.args[0] ?? ''}"`);
    case Step.TTY:
      return msg('make the terminal the controlling terminal');
    case Step.APPARMOR:
      return msg(`apparmor failed to apply profile "${p.apparmorProfile ?? ''}"`);
    case Step.SELINUX:
      return msg(`set SELinux process label "${p.selinuxLabel ?? ''}"`);
    case Step.PERSONALITY:
      return msg(`set personality 0x${(p.personality ?? 0).toString(16)}`);
    case Step.SCHEDULER:
      return msg('set the scheduler (sched_setattr)');
    case Step.IOPRIO:
      return msg('set the I/O priority (ioprio_set)');
    case Step.HOOK: {
      const h = plan.hooks[index];
      const what = hookName(plan, index);
      if (errno === ETIMEDOUT) return new TsrunError(`${what}: ran past its timeout of ${h?.timeout}s`);
      return new SysError(what, errno);
    }
    default:
      return msg(`step ${step}`);
  }
}

/** {DIED, step, status, index}: the init (CLONE) or a hook (HOOK) ended with a wait status during setup. */
export function describeInitDeath(plan: Plan, step: number, status: number, index: number): TsrunError {
  if (step === Step.HOOK) return new TsrunError(`${hookName(plan, index)}: ${describeWaitStatus(status)}`);
  return new InitDiedError(status, `container init died during setup (${describeWaitStatus(status, true)})`);
}

/** "createContainer hook #0 (/path)": the hook's phase, its number within the phase, and its path. */
function hookName(plan: Plan, index: number): string {
  const h = plan.hooks[index];
  const name = h?.phase === 3 ? 'startContainer' : 'createContainer';
  const nth = plan.hooks.slice(0, index).filter((x) => x.phase === h?.phase).length;
  return `${name} hook #${nth} (${h?.path ?? '?'})`;
}

/** A refused id map: what an ordinary user may map, and what else it needs. */
function mapError(plan: Plan, kind: 'uid' | 'gid', errno: number): TsrunError {
  const what = `write ${kind}_map`;
  if (errno !== EPERM) return new SysError(what, errno);
  const tool = plan.idMapTools?.[kind === 'uid' ? 'newuidmap' : 'newgidmap'];
  if (tool === undefined) return new SysError(what, errno);
  const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
  if (tool === '')
    return new TsrunError(
      `${what}: ${errnoMessage(errno)} (an ordinary user may map only their own ${kind}; for more, install new${kind}map (package uidmap) and give the user subordinate ids in ${file})`,
    );
  return new TsrunError(`${what}: ${tool} refused linux.${kind}Mappings (see its message above; the user's subordinate ids are in ${file})`);
}

function currentOomScoreAdj(): string {
  try {
    return readProcText('/proc/self/oom_score_adj').trim();
  } catch {
    return '?';
  }
}
