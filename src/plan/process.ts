/**
 * A process as the kernel takes it: config.json's process (or exec's process.json) turned into numbers once
 * (capability masks, rlimits, scheduler, I/O priority), then completed into the plan's process.
 */
import { ProcessFlag } from '../native/contract.js';
import type { LinuxPersonality, SpecProcess } from '../spec/schema.js';
import type { HostFacts } from './host.js';
import type { PlanProcess } from './plan.js';
import { P } from './ops.js';
import { DEFAULT_PATH, capabilities, ioPriorityClasses, personalityDomains, personalityFlags, rlimits, schedulerFlags, schedulerPolicies } from './tables.js';

function capMask(names: readonly string[] | undefined, last: number, grantable: bigint, unknown: Set<string>): bigint {
  let mask = 0n;
  for (const n of names ?? []) {
    const num = capabilities[n];
    // Unknown names, capabilities this kernel lacks, and ones the runtime itself cannot grant (outside its own
    // bounding set) are left out with a warning: the runtime-spec says warn, not fail.
    if (num === undefined || num > last || !(grantable & (1n << BigInt(num)))) {
      unknown.add(n);
      continue;
    }
    mask |= 1n << BigInt(num);
  }
  return mask;
}

const U64_MAX = (1n << 64n) - 1n;

/** JSON numbers cannot carry 2^64-1 exactly: anything that rounds to 2^64 means "unlimited". */
function toU64(v: number): bigint {
  if (v >= 2 ** 64) return U64_MAX;
  return BigInt(Math.trunc(v));
}

/** The env a process runs with, with HOME filled in like runc does. */
export function processEnv(p: { env?: readonly string[] }, home: string | undefined, extra: string[] = []): string[] {
  const env = [...(p.env ?? []), ...extra];
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${home ?? '/'}`);
  return env;
}

/** exec.LookPath over the container's PATH, as candidate absolute paths tried in order. */
export function exeCandidates(arg0: string, env: readonly string[], cwd: string): string[] {
  if (arg0.includes('/')) return [P.resolve(cwd, arg0)];
  let path: string | undefined;
  for (const e of env) if (e.startsWith('PATH=')) path = e.slice(5);
  const dirs = (path ?? DEFAULT_PATH).split(':');
  const out: string[] = [];
  for (const d of dirs) {
    const c = P.resolve(cwd, d === '' ? '.' : d, arg0);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** A process's own settings, kernel-shaped: what its JSON says, nothing taken from elsewhere yet. */
export interface ProcessSettings {
  args: string[];
  /** process.env as given; HOME and the runtime's additions come with planProcess. */
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  umask?: number;
  groups: number[];
  terminal: boolean;
  /** Only with a terminal. */
  consoleSize?: { rows: number; cols: number };
  noNewPrivileges: boolean;
  /** Undefined when the process names no capabilities (an exec'd process then has the container's). */
  caps?: PlanProcess['caps'];
  /** Empty when the process sets none. */
  rlimits: PlanProcess['rlimits'];
  apparmorProfile?: string;
  selinuxLabel?: string;
  scheduler?: PlanProcess['scheduler'];
  ioPriority?: number;
  oomScoreAdj?: number;
}

type CapHost = Pick<HostFacts, 'capLastCap' | 'capBounding'>;

export function capSets(c: NonNullable<SpecProcess['capabilities']>, host: CapHost, warnings: string[]): NonNullable<PlanProcess['caps']> {
  const unknown = new Set<string>();
  const last = host.capLastCap;
  const g = host.capBounding;
  const caps = {
    bounding: capMask(c.bounding, last, g, unknown),
    effective: capMask(c.effective, last, g, unknown),
    permitted: capMask(c.permitted, last, g, unknown),
    inheritable: capMask(c.inheritable, last, g, unknown),
    ambient: capMask(c.ambient, last, g, unknown),
    last,
  };
  if (unknown.size) warnings.push(`ignoring unknown or unavailable capabilities: [${[...unknown].sort().join(' ')}]`);
  return caps;
}

function schedulerOf(sc: SpecProcess['scheduler']): PlanProcess['scheduler'] {
  if (!sc) return undefined;
  return {
    policy: schedulerPolicies[sc.policy]!,
    flags: (sc.flags ?? []).reduce((acc, f) => acc | schedulerFlags[f]!, 0),
    nice: sc.nice ?? 0,
    priority: sc.priority ?? 0,
    runtime: sc.runtime ?? 0,
    deadline: sc.deadline ?? 0,
    period: sc.period ?? 0,
  };
}

/** process.rlimits as setrlimit(2) takes them. */
export function rlimitValues(list: SpecProcess['rlimits']): PlanProcess['rlimits'] {
  return (list ?? []).map((r) => ({ resource: rlimits[r.type]!, soft: toU64(r.soft), hard: toU64(r.hard), name: r.type }));
}

/** process → its kernel-shaped settings; unknown or unavailable capabilities are left out with a warning. */
export function processSettings(p: SpecProcess, host: CapHost, warnings: string[]): ProcessSettings {
  const user = p.user ?? { uid: 0, gid: 0 };
  const terminal = p.terminal === true;
  return {
    args: p.args,
    env: p.env ?? [],
    cwd: p.cwd,
    uid: user.uid,
    gid: user.gid,
    umask: user.umask,
    groups: user.additionalGids ?? [],
    terminal,
    consoleSize: terminal && p.consoleSize ? { rows: p.consoleSize.height, cols: p.consoleSize.width } : undefined,
    noNewPrivileges: p.noNewPrivileges === true,
    caps: p.capabilities ? capSets(p.capabilities, host, warnings) : undefined,
    rlimits: rlimitValues(p.rlimits),
    apparmorProfile: p.apparmorProfile || undefined,
    selinuxLabel: p.selinuxLabel || undefined,
    scheduler: schedulerOf(p.scheduler),
    ioPriority: p.ioPriority ? (ioPriorityClasses[p.ioPriority.class]! << 13) | (p.ioPriority.priority ?? 0) : undefined,
    oomScoreAdj: p.oomScoreAdj,
  };
}

/** linux.personality as the personality(2) value; unknown flags are left out with a warning. */
export function personalityOf(pers: LinuxPersonality | undefined, warnings: string[]): number | undefined {
  if (!pers) return undefined;
  let v = personalityDomains[pers.domain]!;
  for (const f of pers.flags ?? []) {
    const bit = personalityFlags[f];
    if (bit === undefined) warnings.push(`linux.personality.flags: unknown flag "${f}" ignored`);
    else v |= bit;
  }
  return v;
}

/** What the runtime adds to a process's own settings. */
export interface ProcessContext {
  /** HOME from the container's /etc/passwd, used when the env has none. */
  home?: string;
  extraEnv?: string[];
  /** ProcessFlag bits other than NO_NEW_PRIVS and TERMINAL (those are the process's own). */
  flags: number;
  keyring?: string;
  preserveFds: number;
  personality?: number;
  seccomp?: PlanProcess['seccomp'];
}

/** The plan's process: the settings, HOME filled in, the executable's candidates, and the runtime's flags. */
export function planProcess(s: ProcessSettings, c: ProcessContext): PlanProcess {
  const env = processEnv(s, c.home, c.extraEnv);
  let flags = c.flags;
  if (s.noNewPrivileges) flags |= ProcessFlag.NO_NEW_PRIVS;
  if (s.terminal) flags |= ProcessFlag.TERMINAL;
  return {
    args: s.args,
    env,
    exe: exeCandidates(s.args[0]!, env, s.cwd),
    personality: c.personality,
    scheduler: s.scheduler,
    ioPriority: s.ioPriority,
    apparmorProfile: s.apparmorProfile,
    selinuxLabel: s.selinuxLabel,
    seccomp: c.seccomp,
    cwd: s.cwd,
    uid: s.uid,
    gid: s.gid,
    umask: s.umask,
    groups: s.groups,
    caps: s.caps,
    rlimits: s.rlimits,
    flags,
    keyring: c.keyring,
    preserveFds: c.preserveFds,
    oomScoreAdj: s.oomScoreAdj,
  };
}
