#include "seccomp_compile.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "fd.h"

namespace tsrun {
namespace {

// Owns a libseccomp filter context: released on every return path.
class Filter {
 public:
  explicit Filter(uint32_t default_action) : ctx_(seccomp_init(default_action)) {}
  ~Filter() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

bool fail(std::string* err, int* code, std::string what, int e) {
  *err = std::move(what);
  *code = e;
  return false;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// ---------------------------------------------------------------------------------------------
// runc's -ENOSYS stub (libcontainer/seccomp/patchbpf), instruction for instruction. Its arch sections come
// in AUDIT_ARCH order here (runc walks a Go map, in random order); the program means the same either way.

using Insn = struct sock_filter;

constexpr uint32_t kOffNr = 0;    // offsetof(struct seccomp_data, nr)
constexpr uint32_t kOffArch = 4;  // offsetof(struct seccomp_data, arch)
constexpr uint32_t kX32Bit = 0x40000000;
const uint32_t kRetEnosys = SCMP_ACT_ERRNO(ENOSYS);

Insn ld(uint32_t off) { return Insn{BPF_LD | BPF_W | BPF_ABS, 0, 0, off}; }
Insn ret(uint32_t k) { return Insn{BPF_RET | BPF_K, 0, 0, k}; }
Insn ja(uint32_t skip) { return Insn{BPF_JMP | BPF_JA, 0, 0, skip}; }
Insn jeq(uint32_t k, uint8_t t, uint8_t f) { return Insn{BPF_JMP | BPF_JEQ | BPF_K, t, f, k}; }
Insn jne(uint32_t k, uint8_t t) { return Insn{BPF_JMP | BPF_JEQ | BPF_K, 0, t, k}; }
Insn jgt(uint32_t k, uint8_t t, uint8_t f) { return Insn{BPF_JMP | BPF_JGT | BPF_K, t, f, k}; }
Insn jle(uint32_t k, uint8_t t) { return Insn{BPF_JMP | BPF_JGT | BPF_K, 0, t, k}; }
Insn jset(uint32_t k, uint8_t t) { return Insn{BPF_JMP | BPF_JSET | BPF_K, t, 0, k}; }
Insn jnset(uint32_t k, uint8_t t) { return Insn{BPF_JMP | BPF_JSET | BPF_K, 0, t, k}; }

void prepend(std::vector<Insn>* to, const std::vector<Insn>& insns) {
  to->insert(to->begin(), insns.begin(), insns.end());
}

// x32 shares x86_64's AUDIT_ARCH (its syscalls carry bit 30); every other SCMP_ARCH_* is its AUDIT_ARCH_*.
uint32_t audit_arch(uint32_t token) { return token == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : token; }

// A tracer or a permissive default handles unknown syscalls itself; ERRNO(ENOSYS) already is the answer.
bool wants_enosys_stub(uint32_t default_action) {
  uint32_t act = default_action & 0xffff0000u;
  if (act == SCMP_ACT_ALLOW || act == SCMP_ACT_LOG || act == SCMP_ACT_TRACE(0)) return false;
  return default_action != kRetEnosys;
}

// AUDIT_ARCH → (SCMP_ARCH → the largest syscall number any rule names on it).
using LastSyscalls = std::map<uint32_t, std::map<uint32_t, int>>;

LastSyscalls last_syscalls(const std::set<uint32_t>& tokens, const std::vector<SeccompRuleSpec>& rules) {
  LastSyscalls last;
  for (uint32_t token : tokens) {
    int largest = 0;
    for (const SeccompRuleSpec& r : rules) {
      int nr = seccomp_syscall_resolve_name_arch(token, r.name.c_str());
      if (nr > largest) largest = nr;
    }
    // As runc: a largest number of 0 means "nothing found" (read(2) alone on x86_64 gets no stub).
    if (largest != 0) last[audit_arch(token)][token] = largest;
  }
  return last;
}

bool enosys_stub(const LastSyscalls& last, std::vector<Insn>* out, std::string* err, int* code) {
  std::vector<Insn> tail = {ja(1), ret(kRetEnosys)};
  std::map<uint32_t, uint32_t> from_end;  // AUDIT_ARCH → start of its section, counted from the end
  for (const auto& [audit, maxes] : last) {
    uint32_t to_enosys = static_cast<uint32_t>(tail.size()) - 1;
    uint32_t to_filter = to_enosys + 1;
    std::vector<Insn> section = {ld(kOffNr)};
    if (maxes.size() == 1) {
      auto [token, nr] = *maxes.begin();
      uint32_t sysno = static_cast<uint32_t>(nr);
      // s390(x) leaves syscall numbers the kernel does not know as 0 (the obsolete setup(2) multiplexer).
      if (token == SCMP_ARCH_S390 || token == SCMP_ARCH_S390X) {
        section.push_back(jne(0, 1));
        section.push_back(ret(kRetEnosys));
      }
      std::vector<Insn> st;
      if (to_enosys + 1 <= 255)
        st = {jgt(sysno, static_cast<uint8_t>(to_enosys + 1), 0), ja(to_filter)};
      else
        st = {jle(sysno, 1), ret(kRetEnosys), ja(to_filter)};
      if (audit == AUDIT_ARCH_X86_64) {
        // Only one of x86_64 and x32 is in the filter: the other mode goes straight to the filter.
        uint8_t skip = static_cast<uint8_t>(st.size() - 1);
        prepend(&st, {token == SCMP_ARCH_X32 ? jnset(kX32Bit, skip) : jset(kX32Bit, skip)});
      }
      section.insert(section.end(), st.begin(), st.end());
    } else if (maxes.size() == 2 && audit == AUDIT_ARCH_X86_64 && maxes.count(SCMP_ARCH_X32) != 0 &&
               maxes.count(SCMP_ARCH_X86_64) != 0) {
      uint32_t x32 = static_cast<uint32_t>(maxes.at(SCMP_ARCH_X32));
      uint32_t x86 = static_cast<uint32_t>(maxes.at(SCMP_ARCH_X86_64));
      if (to_enosys + 2 <= 255)
        section.insert(section.end(), {jset(kX32Bit, 1), jgt(x86, static_cast<uint8_t>(to_enosys + 2), 1),
                                       jgt(x32, static_cast<uint8_t>(to_enosys + 1), 0), ja(to_filter)});
      else
        section.insert(section.end(),
                       {jset(kX32Bit, 1), jgt(x86, 1, 2), jle(x32, 1), ret(kRetEnosys), ja(to_filter)});
    } else {
      return fail(err, code, "seccomp -ENOSYS stub (unexpected architecture overlap)", EINVAL);
    }
    prepend(&tail, section);
    from_end[audit] = static_cast<uint32_t>(tail.size());
  }
  if (from_end.empty()) {
    out->clear();
    return true;
  }
  // Any other architecture: straight to the filter (which applies its bad-arch action).
  prepend(&tail, {ja(static_cast<uint32_t>(tail.size()))});
  for (const auto& [audit, pos] : from_end) {
    uint32_t jump = static_cast<uint32_t>(tail.size()) - pos;
    if (jump <= 255)
      prepend(&tail, {jeq(audit, static_cast<uint8_t>(jump), 0)});
    else
      prepend(&tail, {jne(audit, 1), ja(jump)});
  }
  prepend(&tail, {ld(kOffArch)});
  *out = std::move(tail);
  return true;
}

// seccomp_export_bpf_mem only exists from libseccomp 2.6: export through a memfd instead.
bool export_bpf(scmp_filter_ctx ctx, std::vector<uint8_t>* out, std::string* err, int* code) {
  Fd mem(memfd_create("tsrun-seccomp", MFD_CLOEXEC));
  if (!mem.valid()) return fail(err, code, "memfd_create", errno);
  int rc = seccomp_export_bpf(ctx, mem.get());
  if (rc < 0) return fail(err, code, "seccomp_export_bpf", -rc);
  struct stat st;
  if (fstat(mem.get(), &st) < 0) return fail(err, code, "fstat", errno);
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0 || size % sizeof(Insn) != 0)
    return fail(err, code, "seccomp_export_bpf (" + std::to_string(size) + " bytes)", EIO);
  out->resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(mem.get(), out->data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(err, code, "pread", errno);
    if (n == 0) return fail(err, code, "pread (short read)", EIO);
    done += static_cast<size_t>(n);
  }
  return true;
}

// Attributes the library may not know (older versions) are not worth failing for.
bool optional_attr(int rc) { return rc == 0 || rc == -EOPNOTSUPP || rc == -EINVAL; }

}  // namespace

bool compile_seccomp(uint32_t default_action, const std::vector<std::string>& archs,
                     const std::vector<SeccompRuleSpec>& rules, std::vector<uint8_t>* program,
                     std::vector<std::string>* skipped, std::string* err, int* code) {
  program->clear();
  skipped->clear();
  Filter f(default_action);
  scmp_filter_ctx ctx = f.get();
  if (ctx == nullptr)
    return fail(err, code, "seccomp_init (default action " + std::to_string(default_action) + ")", EINVAL);

  // Real errnos from the library instead of a blanket ECANCELED for system failures.
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  if (!optional_attr(rc)) return fail(err, code, "seccomp_attr_set(SCMP_FLTATR_API_SYSRAWRC)", -rc);
  // The init sets no_new_privs itself (or not, as process.noNewPrivileges says).
  rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) return fail(err, code, "seccomp_attr_set(SCMP_FLTATR_CTL_NNP)", -rc);
  // Off already; EOPNOTSUPP only says the kernel could not have it anyway.
  rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 0);
  if (rc < 0 && rc != -EOPNOTSUPP) return fail(err, code, "seccomp_attr_set(SCMP_FLTATR_CTL_TSYNC)", -rc);

  std::set<uint32_t> tokens = {seccomp_arch_native()};
  for (const std::string& name : archs) {
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    if (token == 0)
      return fail(err, code, "seccomp_arch_resolve_name " + quoted(name) + " (unknown architecture)", EINVAL);
    rc = seccomp_arch_add(ctx, token);
    // EDOM: libseccomp cannot mix byte orders in one filter.
    if (rc == -EDOM)
      return fail(err, code, "seccomp_arch_add " + quoted(name) + " (byte order differs from the native one)", EDOM);
    if (rc < 0 && rc != -EEXIST) return fail(err, code, "seccomp_arch_add " + quoted(name), -rc);
    tokens.insert(token);
  }

  size_t added = 0;
  std::vector<scmp_arg_cmp> cmps;
  for (const SeccompRuleSpec& r : rules) {
    const std::string what = "seccomp_rule_add " + quoted(r.name);
    if (r.name.empty()) return fail(err, code, what + " (empty syscall name)", EINVAL);
    // libseccomp rejects a rule with the default action; it would change nothing anyway.
    if (r.action == default_action) continue;
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      // Newer than this libseccomp: runc ignores it too (the kernel most likely lacks it as well).
      if (std::find(skipped->begin(), skipped->end(), r.name) == skipped->end()) skipped->push_back(r.name);
      continue;
    }
    cmps.clear();
    unsigned per_index[6] = {};
    bool repeated = false;
    for (const SeccompArg& a : r.args) {
      if (a.index > 5) return fail(err, code, what + " (argument index " + std::to_string(a.index) + ")", EINVAL);
      if (a.op < SCMP_CMP_NE || a.op > SCMP_CMP_MASKED_EQ)
        return fail(err, code, what + " (operator " + std::to_string(a.op) + ")", EINVAL);
      if (++per_index[a.index] > 1) repeated = true;
      // MASKED_EQ: datum_a is the mask, datum_b the value, as the runtime-spec's value/valueTwo.
      cmps.push_back(scmp_arg_cmp{a.index, static_cast<scmp_compare>(a.op), a.value, a.value_two});
    }
    if (!repeated) {
      rc = seccomp_rule_add_array(ctx, r.action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
      if (rc < 0) return fail(err, code, what, -rc);
    } else {
      // runc's rule: two conditions on one argument cannot both hold as an AND, so every condition of
      // such a rule becomes a rule of its own (an OR).
      for (const scmp_arg_cmp& c : cmps) {
        rc = seccomp_rule_add_array(ctx, r.action, nr, 1, &c);
        if (rc < 0) return fail(err, code, what, -rc);
      }
    }
    added++;
  }

  // A binary tree of syscalls pays off on long lists only (runc's threshold); libseccomp <= 2.5.4 builds a
  // broken tree for a filter without rules.
  if (rules.size() > 32 && added > 0) {
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (!optional_attr(rc)) return fail(err, code, "seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE)", -rc);
  }

  std::vector<uint8_t> filter;
  if (!export_bpf(ctx, &filter, err, code)) return false;

  std::vector<Insn> stub;
  if (wants_enosys_stub(default_action) && !enosys_stub(last_syscalls(tokens, rules), &stub, err, code)) return false;

  size_t insns = stub.size() + filter.size() / sizeof(Insn);
  if (insns > BPF_MAXINSNS)
    return fail(err, code, "seccomp filter of " + std::to_string(insns) + " instructions (max " +
                               std::to_string(BPF_MAXINSNS) + ")", E2BIG);
  program->resize(stub.size() * sizeof(Insn) + filter.size());
  if (!stub.empty()) std::memcpy(program->data(), stub.data(), stub.size() * sizeof(Insn));
  std::memcpy(program->data() + stub.size() * sizeof(Insn), filter.data(), filter.size());
  return true;
}

}  // namespace tsrun
