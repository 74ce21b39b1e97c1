/** The device cgroup rules a container gets: the spec's linux.resources.devices, then runc's AllowedDevices. */
import { TsrunError } from '../errors.js';
import type { ContainerDevice, DeviceCgroupRule } from './types.js';

/** One devices-cgroup rule; -1 for major or minor is the wildcard "*". */
export interface DeviceRule {
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  /** Any of "rwm". */
  access: string;
  allow: boolean;
}

interface DefaultDevice {
  /** The device node the rule belongs to; a spec device with the same path replaces the rule. */
  path?: string;
  rule: DeviceRule;
}

const rwm = (type: 'c', major: number, minor: number, path?: string): DefaultDevice => ({
  ...(path ? { path } : {}),
  rule: { type, major, minor, access: 'rwm', allow: true },
});

/** runc's specconv.AllowedDevices, in its order. */
export const ALLOWED_DEVICES: readonly DefaultDevice[] = [
  { rule: { type: 'c', major: -1, minor: -1, access: 'm', allow: true } },
  { rule: { type: 'b', major: -1, minor: -1, access: 'm', allow: true } },
  rwm('c', 1, 3, '/dev/null'),
  rwm('c', 1, 8, '/dev/random'),
  rwm('c', 1, 7, '/dev/full'),
  rwm('c', 5, 0, '/dev/tty'),
  rwm('c', 1, 5, '/dev/zero'),
  rwm('c', 1, 9, '/dev/urandom'),
  // /dev/pts/*
  rwm('c', 136, -1),
  // /dev/ptmx
  rwm('c', 5, 2),
  // /dev/net/tun, kept by runc for compatibility
  rwm('c', 10, 200),
];

/**
 * runc's effective rule list (CreateCgroupConfig): each linux.resources.devices entry (type defaults to "a",
 * major and minor to the wildcard, an empty access is an error), then the AllowedDevices whose path is not
 * among linux.devices.
 */
export function deviceRules(devices: DeviceCgroupRule[] | undefined, specDevices: ContainerDevice[] | undefined): DeviceRule[] {
  const out: DeviceRule[] = [];
  (devices ?? []).forEach((d, i) => {
    if (!d.access) throw new TsrunError(`device access at ${i} field cannot be empty`);
    out.push({ type: d.type ?? 'a', major: d.major ?? -1, minor: d.minor ?? -1, access: d.access, allow: d.allow });
  });
  const specPaths = new Set((specDevices ?? []).map((d) => d.path));
  for (const d of ALLOWED_DEVICES) {
    if (d.path && specPaths.has(d.path)) continue;
    out.push({ ...d.rule });
  }
  return out;
}

/** A rule as devices.allow / devices.deny / devices.list write it: "c 1:3 rwm", "c 136:* rwm", "a *:* rwm". */
export function deviceRuleLine(rule: DeviceRule): string {
  const n = (v: number) => (v === -1 ? '*' : String(v));
  return `${rule.type} ${n(rule.major)}:${n(rule.minor)} ${rule.access}`;
}
