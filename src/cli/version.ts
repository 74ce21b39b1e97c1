import { native } from '../native/addon.js';

declare const TSRUN_VERSION: string | undefined;
declare const TSRUN_COMMIT: string | undefined;

export const SPEC_VERSION = '1.3.0';

export function buildInfo(): { version: string; commit: string } {
  return {
    version: typeof TSRUN_VERSION === 'string' ? TSRUN_VERSION : 'dev',
    commit: typeof TSRUN_COMMIT === 'string' ? TSRUN_COMMIT : 'unknown',
  };
}

/** Shaped like runc's: dockerd looks for "version" and "commit:", CRI-O and podman print it as is. */
export async function versionText(): Promise<string> {
  const { version, commit } = buildInfo();
  let seccomp = 'unknown';
  try {
    seccomp = native().seccompVersion();
  } catch {
    // not built: still answer
  }
  // bun answers process.version with the Node version it imitates: name the engine that really runs.
  const bun = (process.versions as Record<string, string | undefined>).bun;
  const engine = bun ? `bun: ${bun}` : `node: ${process.version}`;
  return `tsrun version ${version}\ncommit: ${commit}\nspec: ${SPEC_VERSION}\n${engine}\nlibseccomp: ${seccomp}\n`;
}
