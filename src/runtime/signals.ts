import { TsrunError } from '../errors.js';
import { osModule } from '../util/builtins.js';

const signals = () => osModule().constants.signals as Record<string, number>;

/** "9", "KILL", "SIGKILL", "sigkill" → 9, as runc accepts them. Default SIGTERM. */
export function parseSignal(s: string | undefined): number {
  if (s === undefined || s === '') return signals().SIGTERM!;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n <= 0 || n > 64) throw new TsrunError(`invalid signal: ${s}`);
    return n;
  }
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const n = signals()[name];
  if (n === undefined) throw new TsrunError(`unknown signal "${s}"`);
  return n;
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(signals())) if (v === n) return k;
  return String(n);
}

/**
 * Signals a foreground run or exec passes on to its process: every signal a shell or supervisor may send,
 * except those Node cannot handle or uses itself (SIGPROF, SIGVTALRM) and, as runc, SIGCHLD, SIGWINCH, SIGURG.
 */
export const FORWARDED: NodeJS.Signals[] = [
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM', 'SIGCONT',
  'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGXCPU', 'SIGXFSZ', 'SIGPWR',
];

/** Passes every FORWARDED signal tsrun receives on to `pid` (a foreground run or exec); returns the undo. */
export function forwardSignals(pid: number): () => void {
  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // the process is gone; its exit status is on its way
    }
  };
  for (const s of FORWARDED) process.on(s, forward);
  return () => {
    for (const s of FORWARDED) process.off(s, forward);
  };
}
