import type { z } from 'zod';

const plainKey = /^[A-Za-z0-9_]+$/;

/**
 * Writes a zod issue path the way a user would address the field in config.json:
 * `linux.namespaces[2].type`, `linux.sysctl["net.ipv4.ip_forward"]`; the document itself is `(root)`.
 */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (plainKey.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** One `<path>: <message>` line per zod issue, in zod's order (every problem, not just the first). */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}
