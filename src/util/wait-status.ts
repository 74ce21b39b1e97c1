/** A waitpid(2) status, decoded in one place: how it ended, in words and as the shell's exit code. */

export function termSignal(status: number): number {
  return status & 0x7f;
}

export function exitStatus(status: number): number {
  return (status >> 8) & 0xff;
}

/** "exit status N" or "killed by signal N" (`signal N` in the short form). */
export function describeWaitStatus(status: number, short = false): string {
  const sig = termSignal(status);
  if (sig === 0) return `exit status ${exitStatus(status)}`;
  return short ? `signal ${sig}` : `killed by signal ${sig}`;
}

/** The shell convention callers rely on: the exit code, or 128 + the signal. */
export function exitCodeOf(status: number): number {
  const sig = termSignal(status);
  return sig === 0 ? exitStatus(status) : 128 + sig;
}
