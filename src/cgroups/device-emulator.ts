/**
 * A model of the v1 devices cgroup (runc's devices emulator): a default policy plus exceptions. It computes the
 * fewest devices.allow/devices.deny writes that take a cgroup from its devices.list to the wanted rules, and
 * the clean rule list the v2 eBPF filter is generated from. It refuses rules the v1 kernel would silently
 * ignore (punching a hole in a wildcard exception).
 */
import { TsrunError } from '../errors.js';
import type { DeviceRule } from './devices.js';

const READ = 1;
const WRITE = 2;
const MKNOD = 4;

export function permsToSet(p: string): number {
  let s = 0;
  for (const ch of p) {
    if (ch === 'r') s |= READ;
    else if (ch === 'w') s |= WRITE;
    else if (ch === 'm') s |= MKNOD;
  }
  return s;
}

export function permsFromSet(s: number): string {
  return (s & READ ? 'r' : '') + (s & WRITE ? 'w' : '') + (s & MKNOD ? 'm' : '');
}

interface Meta {
  node: 'b' | 'c';
  major: number;
  minor: number;
}

const keyOf = (m: Meta) => `${m.node} ${m.major} ${m.minor}`;
// Go's %v of the struct (the node type prints as its character code).
const showMeta = (m: Meta) => `{${m.node.charCodeAt(0)} ${m.major} ${m.minor}}`;

export class DeviceEmulator {
  defaultAllow = false;
  /** key → exception; perms is a READ|WRITE|MKNOD set. */
  rules = new Map<string, { meta: Meta; perms: number }>();

  isBlacklist(): boolean {
    return this.defaultAllow;
  }

  isAllowAll(): boolean {
    return this.defaultAllow && this.rules.size === 0;
  }

  /** Applies one rule the way the v1 kernel does. */
  apply(rule: DeviceRule): void {
    if (rule.type === 'a') {
      this.reset(rule.allow);
      return;
    }
    if (rule.type !== 'b' && rule.type !== 'c') throw new TsrunError(`cannot add rule with non-cgroup type ${JSON.stringify(rule.type)}`);
    const meta: Meta = { node: rule.type, major: rule.major, minor: rule.minor };
    const perms = permsToSet(rule.access);
    if (rule.allow) {
      if (this.defaultAllow) this.remove(meta, perms, "unable to remove 'deny' exception");
      else this.add(meta, perms);
    } else if (this.defaultAllow) {
      this.add(meta, perms);
    } else {
      this.remove(meta, perms, "unable to remove 'allow' exception");
    }
  }

  private reset(defaultAllow: boolean): void {
    this.defaultAllow = defaultAllow;
    this.rules = new Map();
  }

  private add(meta: Meta, perms: number): void {
    const k = keyOf(meta);
    this.rules.set(k, { meta, perms: (this.rules.get(k)?.perms ?? 0) | perms });
  }

  private remove(meta: Meta, perms: number, context: string): void {
    const partials: Meta[] = [
      { node: meta.node, major: -1, minor: meta.minor },
      { node: meta.node, major: meta.major, minor: -1 },
      { node: meta.node, major: -1, minor: -1 },
    ];
    for (const p of partials) {
      if (keyOf(p) === keyOf(meta)) continue;
      const have = this.rules.get(keyOf(p))?.perms ?? 0;
      if (have & perms) {
        throw new TsrunError(
          `${context}: requested rule [${showMeta(meta)} ${permsFromSet(perms)}] not supported by devices cgroupv1 ` +
            `(cannot punch hole in existing wildcard rule [${showMeta(p)} ${permsFromSet(have)}])`,
        );
      }
    }
    const k = keyOf(meta);
    const left = (this.rules.get(k)?.perms ?? 0) & ~perms;
    if (left === 0) this.rules.delete(k);
    else this.rules.set(k, { meta, perms: left });
  }

  /** Exceptions sorted by (major, minor, type), so the same rules are always written in the same order. */
  ordered(): { meta: Meta; perms: number }[] {
    return [...this.rules.values()].sort(
      (a, b) => a.meta.major - b.meta.major || a.meta.minor - b.meta.minor || a.meta.node.charCodeAt(0) - b.meta.node.charCodeAt(0),
    );
  }

  /**
   * The fewest rules that take a cgroup in this state to `target`: a disruptive "a *:* rwm" first when the
   * default policy changes (or this cgroup is a black-list, whose deny exceptions devices.list cannot show),
   * then the dropped and the gained exceptions (these in rule order).
   */
  transition(target: DeviceEmulator): DeviceRule[] {
    const out: DeviceRule[] = [];
    let old = this.ordered();
    let oldMap = this.rules;
    if (this.isBlacklist() || this.defaultAllow !== target.defaultAllow) {
      out.push({ type: 'a', major: -1, minor: -1, access: 'rwm', allow: target.defaultAllow });
      old = [];
      oldMap = new Map();
    }
    for (const { meta, perms } of old) {
      const dropped = perms & ~(target.rules.get(keyOf(meta))?.perms ?? 0);
      if (dropped) out.push({ type: meta.node, major: meta.major, minor: meta.minor, access: permsFromSet(dropped), allow: target.defaultAllow });
    }
    // Gained exceptions in the order the rules named them: devices.list then shows the spec's own rules first,
    // in config order (the runtime-spec's "apply entries in the listed order"), then the default devices.
    for (const { meta, perms } of target.rules.values()) {
      const gained = perms & ~(oldMap.get(keyOf(meta))?.perms ?? 0);
      if (gained) out.push({ type: meta.node, major: meta.major, minor: meta.minor, access: permsFromSet(gained), allow: !target.defaultAllow });
    }
    return out;
  }

  /** The rules that turn a deny-all cgroup into this state. */
  cleanRules(): DeviceRule[] {
    return new DeviceEmulator().transition(this);
  }

  static fromRules(rules: DeviceRule[]): DeviceEmulator {
    const e = new DeviceEmulator();
    for (const r of rules) e.apply(r);
    return e;
  }

  /** The state a devices.list shows ("a *:* rwm" means allow-all; other lines are allowed exceptions). */
  static fromList(list: string): DeviceEmulator {
    const e = new DeviceEmulator();
    for (const line of list.split('\n')) {
      if (line === '') continue;
      const f = line.split(/[ :]+/).filter((x) => x !== '');
      if (f.length !== 4) throw new TsrunError(`error parsing line ${JSON.stringify(line)}: malformed devices.list rule ${line}`);
      const [node, major, minor, perms] = f as [string, string, string, string];
      if (node === 'a') {
        e.apply({ type: 'a', major: -1, minor: -1, access: 'rwm', allow: true });
        continue;
      }
      if (node !== 'b' && node !== 'c') throw new TsrunError(`error parsing line ${JSON.stringify(line)}: unknown device type ${JSON.stringify(node)}`);
      const num = (s: string, what: string) => {
        if (s === '*') return -1;
        if (!/^[0-9]+$/.test(s) || Number(s) > 4294967295) throw new TsrunError(`error parsing line ${JSON.stringify(line)}: invalid ${what} number`);
        return Number(s);
      };
      if (perms === '' || permsFromSet(permsToSet(perms)) !== perms) {
        throw new TsrunError(`error parsing line ${JSON.stringify(line)}: parse access mode: contained unknown modes or is empty: ${JSON.stringify(perms)}`);
      }
      e.apply({ type: node, major: num(major, 'major'), minor: num(minor, 'minor'), access: perms, allow: true });
    }
    return e;
  }
}
