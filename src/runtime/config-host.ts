/**
 * The host as the conversion (plan/container-config.ts) sees it at create: facts read once, and the readers it
 * asks for what depends on the spec (HOME in the rootfs, the compiled seccomp filter, a joined user namespace).
 */
import { accessSync, readdirSync, statSync, constants as fsc } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCgroupHostFacts, type CgroupRecord } from '../cgroups/record.js';
import { TsrunError, codeMessage, isNativeError } from '../errors.js';
import { log } from '../log.js';
import { native } from '../native/addon.js';
import type { ConfigHost } from '../plan/container-config.js';
import { parseIdMaps, readHostFacts } from '../plan/host.js';
import type { IdMap } from '../plan/plan.js';
import { compileSpecSeccomp } from '../plan/seccomp.js';
import type { LinuxSeccomp } from '../spec/schema.js';
import { readFileBounded } from '../util/fs.js';
import { passwdHome } from './passwd.js';

/** `root`: the state root, whose @cache keeps compiled seccomp filters. */
export function readConfigHost(root: string): ConfigHost {
  const { cgroup: _none, ...facts } = readHostFacts();
  return {
    ...facts,
    cgroups: readCgroupHostFacts(),
    home: passwdHome,
    compileSeccomp: (s) => compileSeccomp(s, root),
    userNsMaps: joinedUserNsMaps,
    cgroupWritable,
    systemdUserCgroup: () => native().systemdManagerCgroup(true),
  };
}

/**
 * Every directory of the cgroup can be made (its nearest existing ancestor is writable by us) or, where it exists,
 * joined and limited (its cgroup.procs is writable). access(2) asks the kernel with our own ids, as a write would.
 */
function cgroupWritable(cgroup: CgroupRecord): boolean {
  if (cgroup.driver === 'systemd') return true; // systemd makes it, or says why not
  const dirs = [...Object.values(cgroup.paths.v1), ...(cgroup.paths.v2 ? [cgroup.paths.v2] : [])];
  return dirs.every((dir) => {
    for (let d = dir; ; d = dirname(d)) {
      try {
        statSync(d);
      } catch {
        if (d === '/') return false;
        continue;
      }
      try {
        accessSync(d === dir ? join(d, 'cgroup.procs') : d, fsc.W_OK);
        return true;
      } catch {
        return false;
      }
    }
  });
}

/** linux.seccomp → BPF, cached under <root>/@cache/seccomp ('@' is never in a container id). */
function compileSeccomp(seccomp: LinuxSeccomp, root: string): { program: Buffer; flags: number } {
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

/** An id map file holds at most 340 lines (the kernel's limit) of three numbers. */
const ID_MAP_LIMIT = 64 * 1024;

/** The id maps of a user namespace given by path, read from a process in it (/proc/<pid>/ns/user, or found). */
function joinedUserNsMaps(path: string): { uidMaps: IdMap[]; gidMaps: IdMap[] } {
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
  const read = (f: string): IdMap[] => parseIdMaps(readFileBounded(`/proc/${pid}/${f}`, ID_MAP_LIMIT).toString('utf8'));
  return { uidMaps: read('uid_map'), gidMaps: read('gid_map') };
}
