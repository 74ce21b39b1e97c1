import { NO_UMASK, PLAN_MAGIC, PLAN_VERSION, Tag } from '../native/contract.js';
import type { Plan, U64 } from './plan.js';

/**
 * Serialises records of (u32 tag, u32 length, fields) as the launcher's decoder expects, into one growing buffer:
 * each record's header is reserved where it starts and filled in by end().
 */
class PlanWriter {
  private buf = Buffer.allocUnsafe(8192);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 8;
  /** Where the open record's header goes. */
  private recStart = 8;

  constructor() {
    this.view.setUint32(0, PLAN_MAGIC, true);
    this.view.setUint32(4, PLAN_VERSION, true);
    this.pos += 8;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.byteLength);
  }

  u64(v: U64): this {
    this.room(8);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      // Without BigInt: most fields are small non-negative numbers.
      this.view.setUint32(this.pos, v % 0x1_0000_0000, true);
      this.view.setUint32(this.pos + 4, Math.floor(v / 0x1_0000_0000), true);
    } else {
      this.view.setBigUint64(this.pos, BigInt.asUintN(64, BigInt(v)), true);
    }
    this.pos += 8;
    return this;
  }

  str(s: string | Buffer): this {
    const max = typeof s === 'string' ? s.length * 3 : s.length;
    this.room(4 + max + 1);
    const n = typeof s === 'string' ? this.buf.write(s, this.pos + 4, 'utf8') : s.copy(this.buf, this.pos + 4);
    this.view.setUint32(this.pos, n, true);
    this.buf[this.pos + 4 + n] = 0;
    this.pos += 4 + n + 1;
    return this;
  }

  end(tag: number): void {
    this.view.setUint32(this.recStart, tag, true);
    this.view.setUint32(this.recStart + 4, this.pos - this.recStart - 8, true);
    this.room(8);
    this.recStart = this.pos;
    this.pos += 8;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.recStart);
  }
}

export function encodePlan(plan: Plan): Buffer {
  const w = new PlanWriter();
  const p = plan.process;
  w.u64(plan.mode).end(Tag.MODE);
  w.u64(plan.nsNew).end(Tag.NS_NEW);
  for (const j of plan.joins) w.u64(j.type).str(j.path).end(Tag.NS_JOIN);
  if (plan.timeOffsets) {
    const { boottime, monotonic } = plan.timeOffsets;
    w.u64(boottime[0]).u64(boottime[1]).u64(monotonic[0]).u64(monotonic[1]).end(Tag.TIMENS);
  }
  for (const m of plan.uidMaps) w.u64(m.containerID).u64(m.hostID).u64(m.size).end(Tag.UID_MAP);
  for (const m of plan.gidMaps) w.u64(m.containerID).u64(m.hostID).u64(m.size).end(Tag.GID_MAP);
  if (plan.setgroupsDeny) w.end(Tag.SETGROUPS_DENY);
  if (plan.idMapTools) w.str(plan.idMapTools.newuidmap).str(plan.idMapTools.newgidmap).end(Tag.ID_MAP_TOOLS);
  if (plan.fifo) w.str(plan.fifo).end(Tag.FIFO);
  if (plan.consoleSocket) w.str(plan.consoleSocket).end(Tag.CONSOLE_SOCKET);
  if (plan.consoleSize) w.u64(plan.consoleSize.rows).u64(plan.consoleSize.cols).end(Tag.CONSOLE_SIZE);
  for (const op of plan.ops) {
    w.u64(op.kind).u64(op.flags).u64(op.a).u64(op.b).u64(op.c).u64(op.d);
    for (const s of op.s) w.str(s);
    w.end(Tag.OP);
  }
  for (const a of p.args) w.str(a).end(Tag.ARG);
  for (const e of p.env) w.str(e).end(Tag.ENV);
  for (const x of p.exe) w.str(x).end(Tag.EXE);
  w.str(p.cwd).end(Tag.CWD);
  w.u64(p.uid).u64(p.gid).u64(p.umask ?? NO_UMASK).end(Tag.USER);
  for (const g of p.groups) w.u64(g).end(Tag.GROUP);
  if (p.caps) {
    const c = p.caps;
    w.u64(c.bounding).u64(c.effective).u64(c.permitted).u64(c.inheritable).u64(c.ambient).u64(c.last).end(Tag.CAPS);
  }
  for (const r of p.rlimits) w.u64(r.resource).u64(r.soft).u64(r.hard).end(Tag.RLIMIT);
  w.u64(p.flags).end(Tag.PROCESS_FLAGS);
  if (p.keyring) w.str(p.keyring).end(Tag.KEYRING);
  w.u64(p.preserveFds).end(Tag.PRESERVE_FDS);
  if (p.oomScoreAdj !== undefined) w.u64(p.oomScoreAdj + 1000).end(Tag.OOM_SCORE_ADJ);
  if (p.personality !== undefined) w.u64(p.personality).end(Tag.PERSONALITY);
  if (p.scheduler) {
    const sc = p.scheduler;
    w.u64(sc.policy).u64(sc.flags).u64(sc.nice + 20).u64(sc.priority).u64(sc.runtime).u64(sc.deadline).u64(sc.period).end(Tag.SCHEDULER);
  }
  if (p.ioPriority !== undefined) w.u64(p.ioPriority).end(Tag.IOPRIO);
  if (p.apparmorProfile) w.str(p.apparmorProfile).end(Tag.APPARMOR);
  if (p.seccomp) w.str(p.seccomp.program).u64(p.seccomp.flags).end(Tag.SECCOMP);
  if (plan.cgroupDir) w.str(plan.cgroupDir).end(Tag.CGROUP_DIR);
  if (plan.execRoot) w.str(plan.execRoot).end(Tag.EXEC_ROOT);
  if (plan.shim) {
    const sh = plan.shim;
    w.u64(sh.mode).u64(sh.caller).u64(sh.logMax).u64(sh.flags).str(sh.dir).str(sh.oomFile).str(sh.logDir).end(Tag.SHIM);
  }
  if (plan.seccompListener) {
    const l = plan.seccompListener;
    w.str(l.path).str(l.payload[0]).str(l.payload[1]).str(l.payload[2]).end(Tag.SECCOMP_LISTENER);
  }
  if (p.selinuxLabel) w.str(p.selinuxLabel).end(Tag.SELINUX);
  for (const h of plan.hooks) {
    w.u64(h.phase).u64(h.timeout).u64(h.args.length).u64(h.env.length).str(h.path);
    for (const a of h.args) w.str(a);
    for (const e of h.env) w.str(e);
    w.end(Tag.HOOK);
  }
  for (const t of plan.hookStates) w.u64(t.phase).str(t.before).str(t.after).end(Tag.HOOK_STATE);
  for (const m of plan.idmapMounts) {
    w.u64(m.index).u64(m.recursive ? 1 : 0).u64(m.attrSet).u64(m.attrClr).u64(m.uidMaps.length).u64(m.gidMaps.length);
    for (const x of [...m.uidMaps, ...m.gidMaps]) w.u64(x.containerID).u64(x.hostID).u64(x.size);
    w.str(m.source).end(Tag.IDMAP_MOUNT);
  }
  return w.finish();
}
