/**
 * exec: the plan of a process that joins a running container, from the container's stored exec config and the
 * process's own settings. Pure. No namespace is made and no filesystem is set up: the launcher joins the
 * container's namespaces, the process chroots into the container's root (so a --no-pivot container works too),
 * takes its terminal from the container's devpts, and executes with its own user, capabilities, rlimits,
 * no_new_privs and LSM labels (the container's where it names none, as runc's newSetnsProcess), under the
 * container's seccomp filter and personality.
 */
import { LaunchMode, OpKind, ProcessFlag } from '../native/contract.js';
import type { SpecProcess } from '../spec/schema.js';
import { execConfigValues, type ExecConfig } from './exec-config.js';
import type { HostFacts } from './host.js';
import { seccompAgentPayload, type OciIdentity } from './oci-state.js';
import { op } from './ops.js';
import type { NsJoin, Plan, PlanOp, PlanShim } from './plan.js';
import { planProcess, processSettings, type ProcessSettings } from './process.js';

/** What exec knows of the running container, gathered by the runtime (impure) side. */
export interface ExecTarget {
  /** ociVersion, id, bundle and annotations, for the seccomp agent's state document. */
  identity: OciIdentity;
  /** The namespaces to join, as files (/proc/<init>/ns/<type>): those of the init that differ from tsrun's. */
  joins: NsJoin[];
  /** The container's root as the host sees it: /proc/<init>/root. */
  root: string;
  /** setgroups(2) is allowed in the container's user namespace ("deny" not written). */
  setgroups: boolean;
}

export interface ExecOptions {
  detach: boolean;
  consoleSocket?: string;
  preserveFds: number;
  /** HOME from the container's /etc/passwd for the process's uid. */
  home?: string;
  /** The container's compiled filter (config.seccomp.file's content). */
  seccompProgram?: Buffer;
  /** exec -d under tsrun's shim: what it keeps (decided by the caller from the host). */
  shim?: PlanShim;
}

export interface ExecInput {
  config: ExecConfig;
  target: ExecTarget;
  options: ExecOptions;
}

/** The process's own settings, and what converting them had to say. */
export interface ExecOverrides {
  process: ProcessSettings;
  warnings: string[];
}

/** The exec'd process (process.json, or config.json's process with the command line's flags) as settings. */
export function execOverrides(p: SpecProcess, host: Pick<HostFacts, 'capLastCap' | 'capBounding'>): ExecOverrides {
  const warnings: string[] = [];
  return { process: processSettings(p, host, warnings), warnings };
}

/** The process's settings, the container's capabilities, rlimits and LSM labels where it names none. */
function withContainerDefaults(s: ProcessSettings, config: ExecConfig): ProcessSettings {
  const d = execConfigValues(config);
  return {
    ...s,
    caps: s.caps ?? d.caps,
    rlimits: s.rlimits.length ? s.rlimits : d.rlimits,
    apparmorProfile: s.apparmorProfile ?? config.apparmorProfile,
    selinuxLabel: s.selinuxLabel ?? config.selinuxLabel,
  };
}

export function execPlan(input: ExecInput, overrides: ExecOverrides): Plan {
  const { config, target, options } = input;
  const s = withContainerDefaults(overrides.process, config);
  let flags = ProcessFlag.EXEC;
  if (target.setgroups) flags |= ProcessFlag.SETGROUPS;
  if (!config.noNewKeyring) flags |= ProcessFlag.NEW_KEYRING;
  const seccomp = config.seccomp && options.seccompProgram ? { program: options.seccompProgram, flags: config.seccomp.flags } : undefined;
  const listener = seccomp ? config.seccomp?.listener : undefined;
  const ops: PlanOp[] = [op(OpKind.CHROOT, "enter the container's root")];
  if (s.terminal) ops.push(op(OpKind.CONSOLE, 'set up the terminal', { s: ['/dev/ptmx', '', '', ''] }));
  return {
    mode: options.detach ? LaunchMode.DETACHED : LaunchMode.FOREGROUND,
    nsNew: 0,
    joins: target.joins,
    uidMaps: [],
    gidMaps: [],
    setgroupsDeny: false,
    fifo: '',
    consoleSocket: s.terminal ? options.consoleSocket : undefined,
    consoleSize: s.consoleSize,
    ops,
    process: planProcess(s, {
      home: options.home,
      flags,
      keyring: config.noNewKeyring ? undefined : `_ses.${target.identity.id}`,
      preserveFds: options.preserveFds,
      personality: config.personality,
      seccomp,
    }),
    hooks: [],
    hookStates: [],
    execRoot: target.root,
    idmapMounts: [],
    seccompListener: listener && { path: listener.path, payload: seccompAgentPayload(target.identity, 'running', listener.metadata) },
    warnings: [...overrides.warnings],
    shim: options.shim,
  };
}
