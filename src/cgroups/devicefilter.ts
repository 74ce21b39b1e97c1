/**
 * The cgroup v2 device filter: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE generated as runc's
 * devices/devicefilter.go does (itself after crun). The rules are first reduced by the devices emulator to
 * exceptions of one polarity; each becomes a block that returns the opposite of the default when the device
 * matches, and the program ends returning the default. The caller loads and attaches it (the addon).
 *
 * struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }: access_type is the device type in
 * the low 16 bits (BPF_DEVCG_DEV_BLOCK 1, _CHAR 2) and the access in the high 16 (MKNOD 1, READ 2, WRITE 4).
 */
import { TsrunError } from '../errors.js';
import { DeviceEmulator } from './device-emulator.js';
import { deviceRuleLine, type DeviceRule } from './devices.js';

/** The program's license (the kernel's MODULE_LICENSE wording). */
export const DEVICE_FILTER_LICENSE = 'Apache';

export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;

/** The opcodes the generator emits. */
export const BPF = {
  LDX_MEM_W: 0x61, // BPF_LDX | BPF_MEM | BPF_W
  ALU_AND_K: 0x54, // BPF_ALU | BPF_K | BPF_AND (32-bit)
  ALU_RSH_K: 0x74, // BPF_ALU | BPF_K | BPF_RSH
  ALU_MOV_K: 0xb4, // BPF_ALU | BPF_K | BPF_MOV
  ALU_MOV_X: 0xbc, // BPF_ALU | BPF_X | BPF_MOV
  JMP_JNE_K: 0x55, // BPF_JMP | BPF_K | BPF_JNE (64-bit compare, imm sign-extended)
  JMP_JNE_X: 0x5d, // BPF_JMP | BPF_X | BPF_JNE
  JMP_EXIT: 0x95, // BPF_JMP | BPF_EXIT
} as const;

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** For a jump: the block it goes to (resolved into off at the end). */
  toBlock?: number;
}

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

/** The clean rules (emulator output) and the default policy the program encodes. */
export function deviceFilterRules(rules: DeviceRule[]): { defaultAllow: boolean; rules: DeviceRule[] } {
  const emu = DeviceEmulator.fromRules(rules);
  const clean = emu.cleanRules();
  const out: DeviceRule[] = [];
  clean.forEach((rule, idx) => {
    if (rule.type === 'a') {
      // Only a leading rule switching to black-list mode can be a wildcard.
      if (idx !== 0 || rule.allow !== emu.isBlacklist()) {
        throw new TsrunError(`[internal error] emulated cgroupv2 devices ruleset had bad wildcard at idx ${idx} (${deviceRuleLine(rule)})`);
      }
      return;
    }
    if (rule.allow === emu.isBlacklist()) {
      throw new TsrunError(`[internal error] emulated cgroupv2 devices ruleset had no-op rule at idx ${idx} (${deviceRuleLine(rule)})`);
    }
    out.push(rule);
  });
  return { defaultAllow: emu.isBlacklist(), rules: out };
}

function ruleBlock(rule: DeviceRule, next: number): Insn[] {
  let type: number;
  if (rule.type === 'c') type = BPF_DEVCG_DEV_CHAR;
  else if (rule.type === 'b') type = BPF_DEVCG_DEV_BLOCK;
  else throw new TsrunError(`invalid type ${JSON.stringify(rule.type)}`);
  // Only -1 is the wildcard: another negative number must not become one.
  if (rule.major > 4294967295 || rule.major < -1) throw new TsrunError(`invalid major ${rule.major}`);
  if (rule.minor > 4294967295 || rule.minor < -1) throw new TsrunError(`invalid minor ${rule.minor}`);
  let access = 0;
  for (const ch of rule.access) {
    if (ch === 'r') access |= BPF_DEVCG_ACC_READ;
    else if (ch === 'w') access |= BPF_DEVCG_ACC_WRITE;
    else if (ch === 'm') access |= BPF_DEVCG_ACC_MKNOD;
    else throw new TsrunError(`unknown device access ${ch.charCodeAt(0)}`);
  }
  const all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  const jne = (dst: number, imm: number): Insn => ({ ...ins(BPF.JMP_JNE_K, dst, 0, 0, imm | 0), toBlock: next });
  const out: Insn[] = [jne(R2, type)];
  if (access !== all) {
    // if ((R3 & access) != R3) goto next, with R1 as the scratch register
    out.push(ins(BPF.ALU_MOV_X, R1, R3, 0, 0), ins(BPF.ALU_AND_K, R1, 0, 0, access), { ...ins(BPF.JMP_JNE_X, R1, R3, 0, 0), toBlock: next });
  }
  // The immediate is an int32 (Go's int32(major)): a number past 2^31 wraps, as in runc.
  if (rule.major >= 0) out.push(jne(R4, rule.major));
  if (rule.minor >= 0) out.push(jne(R5, rule.minor));
  out.push(ins(BPF.ALU_MOV_K, R0, 0, 0, rule.allow ? 1 : 0), ins(BPF.JMP_EXIT, 0, 0, 0, 0));
  return out;
}

/** The program as 8-byte little-endian struct bpf_insn records (code, dst:4|src:4, off s16, imm s32). */
export function deviceFilterProgram(rules: DeviceRule[]): Buffer {
  const { defaultAllow, rules: clean } = deviceFilterRules(rules);
  const prologue: Insn[] = [
    ins(BPF.LDX_MEM_W, R2, R1, 0, 0), // R2 = access_type
    ins(BPF.ALU_AND_K, R2, 0, 0, 0xffff), // R2 &= 0xffff: the device type
    ins(BPF.LDX_MEM_W, R3, R1, 0, 0), // R3 = access_type
    ins(BPF.ALU_RSH_K, R3, 0, 0, 16), // R3 >>= 16: the access
    ins(BPF.LDX_MEM_W, R4, R1, 4, 0), // R4 = major
    ins(BPF.LDX_MEM_W, R5, R1, 8, 0), // R5 = minor
  ];
  const blocks: Insn[][] = clean.map((r, i) => ruleBlock(r, i + 1));
  blocks.push([ins(BPF.ALU_MOV_K, R0, 0, 0, defaultAllow ? 1 : 0), ins(BPF.JMP_EXIT, 0, 0, 0, 0)]);

  const starts: number[] = [];
  let pc = prologue.length;
  for (const b of blocks) {
    starts.push(pc);
    pc += b.length;
  }
  const all = [...prologue, ...blocks.flat()];
  const buf = Buffer.alloc(all.length * 8);
  all.forEach((x, i) => {
    const off = x.toBlock === undefined ? x.off : starts[x.toBlock]! - (i + 1);
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8(((x.src & 0xf) << 4) | (x.dst & 0xf), i * 8 + 1);
    buf.writeInt16LE(off, i * 8 + 2);
    buf.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return buf;
}
