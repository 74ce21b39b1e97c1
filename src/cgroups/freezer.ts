/**
 * The freezer: v1 freezer.state (FROZEN / FREEZING / THAWED), v2 cgroup.freeze with cgroup.events' "frozen"
 * key, with runc's retry rules (fs/freezer.go, fs2/freezer.go). Every wait is bounded.
 */
import { TsrunError } from '../errors.js';
import { CgroupFiles, errCode, joinFile, sleepMs } from './io.js';
import { quote } from './parse.js';

export type FreezerState = 'FROZEN' | 'THAWED' | '';

export interface FreezerTiming {
  /** v1: freeze attempts before "unable to freeze" (runc: 1000). */
  v1FreezeTries: number;
  /** v1: every this many attempts, thaw and sleep v1ThawSleepMs (runc: 50, 10 ms). */
  v1ThawEvery: number;
  v1ThawSleepMs: number;
  /** v1 reads of a FREEZING state, 1 ms apart, before giving up (runc retries forever). */
  v1StateTries: number;
  /** v2: polls of cgroup.events for "frozen 1" (runc: 1000, 10 ms apart). */
  v2WaitTries: number;
  v2WaitSleepMs: number;
}

export const DEFAULT_FREEZER_TIMING: FreezerTiming = {
  v1FreezeTries: 1000,
  v1ThawEvery: 50,
  v1ThawSleepMs: 10,
  v1StateTries: 1000,
  v2WaitTries: 1000,
  v2WaitSleepMs: 10,
};

/** Freezes a v1 cgroup, re-writing FROZEN until freezer.state reads FROZEN; thaws it back on failure. */
export function freezeV1(files: CgroupFiles, dir: string, t: FreezerTiming = DEFAULT_FREEZER_TIMING): void {
  try {
    for (let i = 0; i < t.v1FreezeTries; i++) {
      if (i % t.v1ThawEvery === t.v1ThawEvery - 1) {
        // Thawing now and then helps when new processes keep arriving.
        files.write(dir, 'freezer.state', 'THAWED');
        sleepMs(t.v1ThawSleepMs);
      }
      files.write(dir, 'freezer.state', 'FROZEN');
      const state = files.read(dir, 'freezer.state').trim();
      if (state === 'FREEZING') continue;
      if (state === 'FROZEN') return;
      throw new TsrunError(`unexpected state ${state} while freezing`);
    }
    throw new TsrunError('unable to freeze');
  } catch (err) {
    try {
      files.write(dir, 'freezer.state', 'THAWED');
    } catch {
      // best effort: the error that matters is the freeze failure
    }
    throw err;
  }
}

export function thawV1(files: CgroupFiles, dir: string): void {
  files.write(dir, 'freezer.state', 'THAWED');
}

/** FROZEN only when this cgroup itself is frozen (not through an ancestor); '' without a freezer. */
export function freezerStateV1(files: CgroupFiles, dir: string, t: FreezerTiming = DEFAULT_FREEZER_TIMING): FreezerState {
  for (let i = 0; i < t.v1StateTries; i++) {
    const state = files.tryRead(dir, 'freezer.state');
    if (state === undefined) return '';
    switch (state.trim()) {
      case 'THAWED':
        return 'THAWED';
      case 'FROZEN': {
        const self = files.tryRead(dir, 'freezer.self_freezing');
        if (self === undefined) return 'FROZEN';
        if (self.trim() === '0') return 'THAWED';
        if (self.trim() === '1') return 'FROZEN';
        throw new TsrunError(`unknown "freezer.self_freezing" state: ${quote(self)}`);
      }
      case 'FREEZING':
        sleepMs(1);
        continue;
      default:
        throw new TsrunError(`unknown freezer.state ${quote(state)}`);
    }
  }
  throw new TsrunError('freezer.state stays FREEZING');
}

function waitFrozenV2(files: CgroupFiles, dir: string, t: FreezerTiming): FreezerState {
  for (let i = 0; ; i++) {
    const events = files.read(dir, 'cgroup.events');
    const line = events.split('\n').find((l) => l.startsWith('frozen '));
    if (line === undefined) return '';
    if (line.slice(7).startsWith('1')) return 'FROZEN';
    if (i + 1 >= t.v2WaitTries) {
      throw new TsrunError(`timeout of ${(t.v2WaitSleepMs * t.v2WaitTries) / 1000}s reached waiting for the cgroup to freeze`);
    }
    sleepMs(t.v2WaitSleepMs);
  }
}

/** The v2 state; a "1" in cgroup.freeze counts only once cgroup.events says "frozen 1". */
export function freezerStateV2(files: CgroupFiles, dir: string, t: FreezerTiming = DEFAULT_FREEZER_TIMING): FreezerState {
  const v = files.tryRead(dir, 'cgroup.freeze');
  if (v === undefined) return '';
  switch (v.trim()) {
    case '0':
      return 'THAWED';
    case '1':
      return waitFrozenV2(files, dir, t);
    default:
      throw new TsrunError(`unknown "cgroup.freeze" state: ${quote(v)}`);
  }
}

/** Writes cgroup.freeze and checks the cgroup got there. Thawing a cgroup without cgroup.freeze is a no-op. */
export function setFreezerV2(files: CgroupFiles, dir: string, state: 'FROZEN' | 'THAWED', t: FreezerTiming = DEFAULT_FREEZER_TIMING): void {
  try {
    files.write(dir, 'cgroup.freeze', state === 'FROZEN' ? '1' : '0');
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err;
    if (state !== 'FROZEN') return;
    throw new TsrunError(`freezer not supported: open ${joinFile(dir, 'cgroup.freeze')}: no such file or directory`);
  }
  const actual = freezerStateV2(files, dir, t);
  if (actual !== state) throw new TsrunError(`expected "cgroup.freeze" to be in state ${quote(state)} but was in ${quote(actual)}`);
}
