/** list: every container under root, as runc prints it. */
import { readFileBounded } from '../util/fs.js';
import { StateDir, listIds, ociState } from './state.js';

export type ListEntry = ReturnType<typeof ociState> & { owner: string };

/** The owner's name from /etc/passwd (bounded read, first entry with that uid), else "#uid", as runc prints. */
function userName(uid: number): string {
  try {
    for (const line of readFileBounded('/etc/passwd', 4 << 20).toString('utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && /^\d+$/.test(f[2]!) && Number(f[2]) === uid) return f[0]!;
    }
  } catch {
    // fall through
  }
  return `#${uid}`;
}

export function listContainers(root: string): ListEntry[] {
  const out: ListEntry[] = [];
  for (const id of listIds(root)) {
    const dir = new StateDir(root, id);
    const st = dir.read();
    if (!st) continue;
    out.push({ ...ociState(dir, st), owner: userName(dir.owner()) });
  }
  return out;
}

/** runc's tabwriter layout: columns padded to the widest cell plus one space. */
export function formatTable(entries: ListEntry[]): string {
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const e of entries) rows.push([e.id, String(e.pid), e.status, e.bundle, e.created, e.owner]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]! + 1) : c)).join('')).join('\n') + '\n';
}
