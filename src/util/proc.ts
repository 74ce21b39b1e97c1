import { PROC_TEXT_LIMIT, readFileBounded } from './fs.js';

/** A small text file of /proc or /sys, read bounded. */
export function readProcText(path: string): string {
  return readFileBounded(path, PROC_TEXT_LIMIT).toString('utf8');
}

export interface ProcStat {
  /** R, S, D, Z, T, ... */
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid it names one process for good. */
  startTime: string;
}

/** /proc/<pid>/stat, or undefined if there is no such process. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileBounded(`/proc/${pid}/stat`, 4096).toString('latin1'); // one line, comm at most 64 bytes
  } catch {
    return undefined;
  }
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, ppid: Number(rest[1]), startTime: rest[19]! };
}

/** The process is alive (not a zombie) and is the one recorded (same start time, so not a recycled pid). */
export function isSameLiveProcess(pid: number, startTime: string): boolean {
  if (pid <= 0) return false;
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X' && st.startTime === startTime;
}
