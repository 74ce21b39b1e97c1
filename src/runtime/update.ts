/**
 * update: new limits for a running container, from --resources (a file or "-" for stdin, OCI LinuxResources
 * JSON) or runc's individual flags; merged with the recorded resources the way runc merges them; device rules
 * are never updated.
 */
import { updateResources } from '../cgroups/update.js';
import { UPDATE_FLAGS } from './update-flags.js';
import { ConfigError, TsrunError } from '../errors.js';
import { log } from '../log.js';
import { native } from '../native/addon.js';
import { formatIssues } from '../spec/format-issues.js';
import { linuxResourcesSchema, type LinuxResources } from '../spec/schema.js';
import { INPUT_LIMIT, readFdBounded, readFileBounded } from '../util/fs.js';
import { I64_MAX, I64_MIN, U64_MAX, lastOf, parseIntFlag } from '../util/numbers.js';
import { parseBytes } from '../util/units.js';
import { managerOf } from './cgroup.js';
import { limitsWithoutCgroup } from '../cgroups/no-cgroup.js';
import { checkRdtUpdate, rdtFeatures } from './intel-rdt.js';
import { StateDir, statusOf } from './state.js';

/** The patch given on the command line: the --resources document, or the individual flags. */
export function resourcesFromArgs(args: Record<string, unknown>, stdin: () => string): LinuxResources {
  if (typeof args.resources === 'string') {
    const text = args.resources === '-' ? stdin() : readFileBounded(args.resources, INPUT_LIMIT).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text, (_k, v: unknown) => (v === null ? undefined : v));
    } catch (err) {
      throw new ConfigError('resources', [`(root): invalid JSON: ${(err as Error).message}`]);
    }
    const r = linuxResourcesSchema().safeParse(json);
    if (!r.success) throw new ConfigError('resources', formatIssues(r.error));
    return r.data;
  }
  const patch: Record<string, Record<string, unknown>> = {};
  for (const [flag, { path, kind }] of Object.entries(UPDATE_FLAGS)) {
    const raw = args[flag];
    if (raw === undefined) continue;
    const s = String(lastOf(raw));
    let value: number | string;
    if (kind === 'string') value = s;
    else if (kind === 'bytes') value = sizeFlag(flag, s);
    else value = parseIntFlag(flag, s, INT_RANGES[kind][0], INT_RANGES[kind][1]);
    (patch[path[0]] ??= {})[path[1]] = value;
  }
  if (patch.memory?.kernel !== undefined || patch.memory?.kernelTCP !== undefined)
    log.warn('kernel memory limits are not supported by the kernel any more; --kernel-memory* ignored');
  if (patch.memory) {
    delete patch.memory.kernel;
    delete patch.memory.kernelTCP;
  }
  return patch as LinuxResources;
}

const INT_RANGES = { u16: [0n, 65535n], u64: [0n, U64_MAX], i64: [I64_MIN, I64_MAX] } as const;

/** A size flag (docker's RAMInBytes, -1: unlimited) that must fit the int64 it is written as. */
function sizeFlag(flag: string, s: string): number {
  let v: number;
  try {
    v = parseBytes(s);
  } catch (err) {
    throw new TsrunError(`invalid value for --${flag}: ${(err as Error).message}`);
  }
  if (v > Number(I64_MAX)) throw new TsrunError(`invalid value for --${flag}: ${s} is out of range (at most ${I64_MAX} bytes)`);
  return v;
}

export function updateContainer(root: string, id: string, args: Record<string, unknown>): void {
  const dir = new StateDir(root, id);
  const readStdin = () =>
    readFdBounded(0, 'stdin', INPUT_LIMIT, { regularOnly: false, waitReadable: (fd) => native().poll([fd], [1 /* POLLIN */], -1) }).toString('utf8');
  // Flags are checked before the container is looked up; a --resources document is read once it is known (as runc).
  const fromFlags = typeof args.resources === 'string' ? undefined : resourcesFromArgs(args, readStdin);
  const st = dir.load();
  const patch = fromFlags ?? resourcesFromArgs(args, readStdin);
  // runc checks these whether or not --resources is given, before anything is written.
  const flag = (name: string) => (args[name] === undefined ? '' : String(lastOf(args[name])));
  checkRdtUpdate(flag('l3-cache-schema'), flag('mem-bw-schema'), () => rdtFeatures());
  dir.lock(native().flock);
  if (statusOf(dir, st) === 'stopped') throw new TsrunError('container not running');
  const { cgroup } = st.config;
  if (!cgroup) {
    // A rootless container without a cgroup of its own: any limit is refused, naming it (as at create).
    for (const w of limitsWithoutCgroup(updateResources(undefined, patch))) log.warn(w);
    return;
  }
  const merged = updateResources(cgroup.resources, patch);
  for (const w of managerOf(cgroup).update(merged)) log.warn(w);
  dir.write({ ...st, config: { ...st.config, cgroup: { ...cgroup, resources: merged } } });
}
