/**
 * What a process exec'd into a container takes from the container when its own process does not say, as
 * create computed it once for the container's init (kernel-shaped: masks, numbers, labels, the compiled
 * seccomp filter's file). Kept in state.json as `execConfig`; JSON has no 64-bit integers, so masks and
 * limits are written as strings.
 */
import type { LinuxCapabilities, POSIXRlimit } from '../spec/schema.js';
import type { HostFacts } from './host.js';
import type { PlanProcess } from './plan.js';
import { capSets, rlimitValues } from './process.js';

type Caps = NonNullable<PlanProcess['caps']>;
type Rlimits = PlanProcess['rlimits'];

export interface ExecConfig {
  /** Capability sets as hex masks; absent when the container's process names none. */
  caps?: { bounding: string; effective: string; permitted: string; inheritable: string; ambient: string; last: number };
  /** setrlimit(2) resources, soft and hard as decimal strings (RLIM_INFINITY is 18446744073709551615). */
  rlimits: { resource: number; soft: string; hard: string; name: string }[];
  apparmorProfile?: string;
  selinuxLabel?: string;
  /** personality(2) value of linux.personality. */
  personality?: number;
  noNewKeyring: boolean;
  /** The compiled filter, a file of the state directory, its seccomp(2) flags, and the agent to notify. */
  seccomp?: { file: string; flags: number; listener?: { path: string; metadata: string } };
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** The stored form of the init's process settings. */
export function execConfigOf(
  proc: Pick<PlanProcess, 'caps' | 'rlimits' | 'apparmorProfile' | 'selinuxLabel' | 'personality'>,
  noNewKeyring: boolean,
  seccomp?: ExecConfig['seccomp'],
): ExecConfig {
  const c = proc.caps;
  return {
    caps: c && {
      bounding: hex(c.bounding),
      effective: hex(c.effective),
      permitted: hex(c.permitted),
      inheritable: hex(c.inheritable),
      ambient: hex(c.ambient),
      last: c.last,
    },
    rlimits: proc.rlimits.map((r) => ({ resource: r.resource, soft: r.soft.toString(), hard: r.hard.toString(), name: r.name })),
    apparmorProfile: proc.apparmorProfile,
    selinuxLabel: proc.selinuxLabel,
    personality: proc.personality,
    noNewKeyring,
    seccomp,
  };
}

/** The stored capability masks and rlimits back as the plan's numbers. */
export function execConfigValues(c: ExecConfig): { caps?: Caps; rlimits: Rlimits } {
  const caps = c.caps && {
    bounding: BigInt(c.caps.bounding),
    effective: BigInt(c.caps.effective),
    permitted: BigInt(c.caps.permitted),
    inheritable: BigInt(c.caps.inheritable),
    ambient: BigInt(c.caps.ambient),
    last: c.caps.last,
  };
  return { caps, rlimits: c.rlimits.map((r) => ({ resource: r.resource, soft: BigInt(r.soft), hard: BigInt(r.hard), name: r.name })) };
}

/**
 * state.json `exec` as tsrun wrote it before `execConfig` (the container's process settings by name). Read
 * only to convert it: a container created by that version still accepts exec.
 */
export interface LegacyExecDefaults {
  capabilities?: LinuxCapabilities;
  apparmorProfile?: string;
  selinuxLabel?: string;
  rlimits?: POSIXRlimit[];
  noNewKeyring?: boolean;
  seccomp?: { file: string; flags: number; listener?: { path: string; metadata?: string } };
}

/** The old record converted as exec converted it then (with this host's capabilities); none: no defaults. */
export function execConfigFromLegacy(
  old: LegacyExecDefaults | undefined,
  host: Pick<HostFacts, 'capLastCap' | 'capBounding'>,
  warnings: string[],
): ExecConfig {
  if (!old) return { rlimits: [], noNewKeyring: false };
  const caps = old.capabilities ? capSets(old.capabilities, host, warnings) : undefined;
  const listener = old.seccomp?.listener;
  return execConfigOf(
    { caps, rlimits: rlimitValues(old.rlimits), apparmorProfile: old.apparmorProfile || undefined, selinuxLabel: old.selinuxLabel || undefined },
    old.noNewKeyring === true,
    old.seccomp && { file: old.seccomp.file, flags: old.seccomp.flags, listener: listener && { path: listener.path, metadata: listener.metadata ?? '' } },
  );
}
