/** Runs a command's implementation and turns any failure into runc's behaviour: message, log line, status. */
import { TsrunError, describeNodeError } from '../errors.js';
import { log } from '../log.js';

export async function handle(fn: () => unknown | Promise<unknown>, failCode = 1): Promise<void> {
  try {
    const r = await fn();
    if (typeof r === 'number') process.exitCode = r;
  } catch (err) {
    log.fatal(err instanceof TsrunError ? err.message : describeNodeError(err));
    if (process.env.TSRUN_STACK && err instanceof Error && err.stack) log.debug(err.stack);
    process.exitCode = err instanceof TsrunError && err.exitCode !== 1 ? err.exitCode : failCode;
  }
}
