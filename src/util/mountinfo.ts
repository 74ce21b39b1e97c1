/** /proc/self/mountinfo, parsed: the fields tsrun reads of each mount. */
export interface MountInfo {
  root: string;
  mountpoint: string;
  fstype: string;
  superOptions: string[];
}

// Octal escapes (\040 for a space) in mountinfo fields.
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (dash < 0 || f.length < dash + 4) continue;
    out.push({
      root: unescape(f[3]!),
      mountpoint: unescape(f[4]!),
      fstype: f[dash + 1]!,
      superOptions: f[dash + 3]!.split(','),
    });
  }
  return out;
}
