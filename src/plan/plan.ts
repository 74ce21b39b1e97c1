/**
 * The kernel-shaped plan: what the launcher and the container init do, with every name already turned into a
 * number, every path made absolute, and the filesystem setup spelled out as an ordered list of steps.
 * Built by create-plan.ts and exec-plan.ts (pure), encoded by encode.ts, executed by addon/core/child.cc.
 */

export type U64 = number | bigint;

export interface PlanOp {
  kind: number; // OpKind
  flags: number; // OpFlag bits
  a: U64;
  b: U64;
  c: U64;
  d: U64;
  s: [string, string, string, string];
  /** How a failure of this step is reported, e.g. `mount "proc" on "/proc"`. */
  what: string;
}

export interface IdMap {
  containerID: number;
  hostID: number;
  size: number;
}

export interface NsJoin {
  type: number; // CLONE_NEW*
  path: string;
  /** runtime-spec name, for messages. */
  name: string;
}

export interface PlanProcess {
  args: string[];
  env: string[];
  /** Candidate executables, tried in order inside the container (exec.LookPath over PATH). */
  exe: string[];
  cwd: string;
  uid: number;
  gid: number;
  umask?: number;
  groups: number[];
  caps?: {
    bounding: bigint;
    effective: bigint;
    permitted: bigint;
    inheritable: bigint;
    ambient: bigint;
    last: number;
  };
  rlimits: { resource: number; soft: bigint; hard: bigint; name: string }[];
  flags: number; // ProcessFlag bits
  keyring?: string;
  preserveFds: number;
  oomScoreAdj?: number;
  personality?: number;
  /** sched_setattr: policy, flags, nice, priority, runtime, deadline, period. */
  scheduler?: { policy: number; flags: number; nice: number; priority: number; runtime: number; deadline: number; period: number };
  /** ioprio_set value: class << 13 | priority. */
  ioPriority?: number;
  apparmorProfile?: string;
  selinuxLabel?: string;
  /** A compiled filter, loaded as the last step before execve. */
  seccomp?: { program: Buffer; flags: number };
}

/** A hook command as config.json gives it (run by the runtime, or by the init as a PlanHook). */
export interface HookCommand {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** A hook the init runs itself (createContainer, startContainer). */
export interface PlanHook {
  phase: number; // HookPhase
  path: string;
  args: string[];
  env: string[];
  timeout: number; // seconds, 0 = none
}

export interface Plan {
  mode: number; // LaunchMode
  nsNew: number; // clone flags
  joins: NsJoin[];
  timeOffsets?: { boottime: [number, number]; monotonic: [number, number] };
  uidMaps: IdMap[];
  gidMaps: IdMap[];
  setgroupsDeny: boolean;
  /**
   * An ordinary user's maps of subordinate ids: shadow's newuidmap/newgidmap write what the launcher may not
   * ("" where a tool is not installed; the launcher then reports the refused write).
   */
  idMapTools?: { newuidmap: string; newgidmap: string };
  /** exec.fifo the init blocks on (opened O_PATH by the launcher, reopened through /proc); empty for exec. */
  fifo: string;
  consoleSocket?: string;
  consoleSize?: { rows: number; cols: number };
  ops: PlanOp[];
  process: PlanProcess;
  hooks: PlanHook[];
  /**
   * cgroup v2 directory the init is cloned into (CLONE_INTO_CGROUP: the child holds a host directory fd at
   * birth), only for a create with a new pid namespace and no joined pid or cgroup namespace: nobody sees it.
   */
  cgroupDir?: string;
  /** exec: the running container's root directory (host path, /proc/<pid>/root), the root of every op. */
  execRoot?: string;
  /** create / run -d: whether a shim supervises the init, and what it keeps (see addon/launcher/shim.cc). */
  shim?: PlanShim;
  /** Where the seccomp notify fd goes: the agent's socket and runc's payload, split around the two pids. */
  seccompListener?: { path: string; payload: [string, string, string] };
  /** Idmapped bind mounts the launcher prepares (index = the IDMAP_BIND op's b). */
  idmapMounts: {
    index: number;
    source: string;
    recursive: boolean;
    attrSet: number;
    attrClr: number;
    uidMaps: IdMap[];
    gidMaps: IdMap[];
  }[];
  /** State JSON for the init's hooks of each phase, split around the pid the init fills in. */
  hookStates: { phase: number; before: string; after: string }[];
  /** Things the user should know (unknown capabilities, ignored options); logged as warnings. */
  warnings: string[];
}

export interface PlanShim {
  /** ShimMode. */
  mode: number;
  /** tsrun's parent: in auto mode the shim is left out only if orphans of tsrun go to it. */
  caller: number;
  /** container.log is rotated past this many bytes (0: never). */
  logMax: number;
  /** ShimFlag bits. */
  flags: number;
  /** The container's state directory (attach socket, exit record). */
  dir: string;
  /** Where container.log is kept: outside the state directory, so output cannot fill the state's filesystem. */
  logDir: string;
  /** The cgroup file counting OOM kills (v2 memory.events, v1 memory.oom_control), or "". */
  oomFile: string;
}
