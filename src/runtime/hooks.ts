/**
 * OCI hooks run by the runtime itself (prestart, createRuntime, poststart, poststop): the state JSON on stdin,
 * the hook's own args and env, the bundle as cwd, and its timeout. createContainer and startContainer hooks
 * run inside the container and are executed by the init (addon/core/child.cc).
 */
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { HookCommand as Hook } from '../plan/plan.js';
import { childProcessModule } from '../util/builtins.js';
import { formatLimit } from '../util/fs.js';

function envObject(env: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

/** What tsrun keeps of a hook's stdout and stderr; a hook writing more is killed (spawnSync's ENOBUFS). */
const HOOK_OUTPUT_LIMIT = 1 << 20;

function tail(buf: Buffer | string | null | undefined): string {
  const s = (buf ?? '').toString().trim();
  return s.length > 400 ? '…' + s.slice(-400) : s;
}

/** Runs one hook; throws a TsrunError naming the hook and what went wrong. */
export function runHook(phase: string, index: number, hook: Hook, state: string, cwd: string): void {
  const [argv0, ...args] = hook.args?.length ? hook.args : [hook.path];
  const r = childProcessModule().spawnSync(hook.path, args, {
    argv0,
    input: state,
    cwd,
    env: hook.env ? envObject(hook.env) : process.env,
    timeout: hook.timeout ? hook.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: HOOK_OUTPUT_LIMIT,
  });
  const what = `${phase} hook #${index} (${hook.path})`;
  const err = r.error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ETIMEDOUT') throw new TsrunError(`${what}: ran past its timeout of ${hook.timeout}s`);
  if (err?.code === 'ENOBUFS') throw new TsrunError(`${what}: wrote more than ${formatLimit(HOOK_OUTPUT_LIMIT)} to stdout or stderr (killed)`);
  // A hook that exits without reading its stdin makes our write fail with EPIPE: its exit status decides.
  if (err && err.code !== 'EPIPE') throw new TsrunError(`${what}: ${err.message}`);
  if (r.status !== 0) {
    const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    throw new TsrunError(`${what}: ${how}, stdout: ${tail(r.stdout)}, stderr: ${tail(r.stderr)}`);
  }
}

/** Runs hooks in order, stopping at the first failure (create-phase hooks abort create). */
export function runHooks(phase: string, hooks: readonly Hook[] | undefined, state: string, cwd: string): void {
  (hooks ?? []).forEach((h, i) => runHook(phase, i, h, state, cwd));
}

/** Runs every hook; failures are logged, never fatal (poststart, poststop). */
export function runHooksLogged(phase: string, hooks: readonly Hook[] | undefined, state: string, cwd: string): void {
  (hooks ?? []).forEach((h, i) => {
    try {
      runHook(phase, i, h, state, cwd);
    } catch (err) {
      log.warn(err instanceof Error ? err.message : String(err));
    }
  });
}
