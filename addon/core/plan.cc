#include "plan.h"

#include <sched.h>

#include <cstring>

#include "contract.h"

namespace tsrun {
namespace {

class Reader {
 public:
  Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  bool ok() const { return ok_; }
  bool done() const { return off_ >= n_; }

  uint32_t u32() {
    uint32_t v = 0;
    if (!need(4)) return 0;
    std::memcpy(&v, p_ + off_, 4);
    off_ += 4;
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    if (!need(8)) return 0;
    std::memcpy(&v, p_ + off_, 8);
    off_ += 8;
    return v;
  }
  // A string field: u32 length, bytes, NUL. Returns a pointer into the buffer.
  const char* str(uint32_t* len_out = nullptr) {
    uint32_t len = u32();
    if (!need(static_cast<size_t>(len) + 1)) return "";
    const char* s = reinterpret_cast<const char*>(p_ + off_);
    if (s[len] != 0) {
      ok_ = false;
      return "";
    }
    off_ += len + 1;
    if (len_out) *len_out = len;
    return s;
  }

 private:
  bool need(size_t k) {
    if (!ok_ || off_ + k > n_) {
      ok_ = false;
      return false;
    }
    return true;
  }
  const uint8_t* p_;
  size_t n_;
  size_t off_ = 0;
  bool ok_ = true;
};

// Ids the kernel takes as ids: (uid_t)-1 means "leave unchanged" to setresuid/setresgid, so a plan with it
// would run the process as root. runc and the spec's schema allow 0..2^31-1.
constexpr uint64_t MAX_ID = 2147483647;

bool check_id(const char* what, uint64_t v, std::string* err) {
  if (v <= MAX_ID) return true;
  *err = std::string(what) + " " + std::to_string(v) + " out of range (0.." + std::to_string(MAX_ID) + ")";
  return false;
}

// What the kernel accepts in uid_map/gid_map: ids within u32 but never (u32)-1, a non-empty range whose
// end does not wrap around u32.
bool check_maps(const char* what, const std::vector<IdMap>& maps, std::string* err) {
  constexpr uint64_t U32 = 0xffffffff;
  for (const IdMap& m : maps) {
    if (m.size >= 1 && m.inside < U32 && m.outside < U32 && m.size <= U32 && m.inside + m.size <= U32 &&
        m.outside + m.size <= U32)
      continue;
    *err = std::string(what) + " mapping " + std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
           std::to_string(m.size) + " out of range";
    return false;
  }
  return true;
}

// A new pid namespace, none joined (nor a cgroup namespace: clone3 refuses CLONE_INTO_CGROUP from outside its
// root), and not an exec: the child is born where no other process of the container can open its /proc files.
bool clone_unseen(const Plan& p) {
  if (!(p.ns_new & CLONE_NEWPID) || (p.process_flags & ProcessFlag::EXEC)) return false;
  for (const NsJoin& j : p.joins)
    if (j.type == CLONE_NEWPID || j.type == CLONE_NEWCGROUP) return false;
  return true;
}

bool check_ids(const Plan& p, std::string* err) {
  if (!check_id("uid", p.uid, err) || !check_id("gid", p.gid, err)) return false;
  if (!check_maps("uid", p.uid_maps, err) || !check_maps("gid", p.gid_maps, err)) return false;
  for (const IdmapMount& m : p.idmap_mounts)
    if (!check_maps("idmapped mount uid", m.uid_maps, err) || !check_maps("idmapped mount gid", m.gid_maps, err))
      return false;
  return true;
}

}  // namespace

bool decode_plan(const std::vector<uint8_t>& buf, Plan* plan, std::string* err) {
  Reader head(buf.data(), buf.size());
  if (head.u32() != PLAN_MAGIC || head.u32() != PLAN_VERSION || !head.ok()) {
    *err = "bad plan header";
    return false;
  }
  size_t off = 8;
  while (off < buf.size()) {
    Reader rh(buf.data() + off, buf.size() - off);
    uint32_t tag = rh.u32();
    uint32_t len = rh.u32();
    if (!rh.ok() || off + 8 + len > buf.size()) {
      *err = "truncated plan record";
      return false;
    }
    Reader r(buf.data() + off + 8, len);
    switch (tag) {
      case Tag::MODE: plan->mode = static_cast<uint32_t>(r.u64()); break;
      case Tag::NS_NEW: plan->ns_new = r.u64(); break;
      case Tag::NS_JOIN: {
        NsJoin j;
        j.type = r.u64();
        j.path = r.str();
        plan->joins.push_back(j);
        break;
      }
      case Tag::TIMENS:
        plan->timens = true;
        for (auto& v : plan->timens_offsets) v = static_cast<int64_t>(r.u64());
        break;
      case Tag::UID_MAP:
      case Tag::GID_MAP: {
        IdMap m;
        m.inside = r.u64();
        m.outside = r.u64();
        m.size = r.u64();
        (tag == Tag::UID_MAP ? plan->uid_maps : plan->gid_maps).push_back(m);
        break;
      }
      case Tag::SETGROUPS_DENY: plan->setgroups_deny = true; break;
      case Tag::ID_MAP_TOOLS:
        plan->newuidmap = r.str();
        plan->newgidmap = r.str();
        break;
      case Tag::FIFO: plan->fifo = r.str(); break;
      case Tag::CONSOLE_SOCKET: plan->console_socket = r.str(); break;
      case Tag::CONSOLE_SIZE:
        plan->console_rows = r.u64();
        plan->console_cols = r.u64();
        break;
      case Tag::OP: {
        Op op;
        op.kind = static_cast<uint32_t>(r.u64());
        op.flags = r.u64();
        op.a = r.u64();
        op.b = r.u64();
        op.c = r.u64();
        op.d = r.u64();
        for (auto& s : op.s) s = r.str();
        plan->ops.push_back(op);
        break;
      }
      case Tag::ARG: plan->argv.push_back(r.str()); break;
      case Tag::ENV: plan->envp.push_back(r.str()); break;
      case Tag::EXE: plan->exe.push_back(r.str()); break;
      case Tag::CWD: plan->cwd = r.str(); break;
      case Tag::USER:
        plan->uid = r.u64();
        plan->gid = r.u64();
        plan->umask = r.u64();
        break;
      case Tag::GROUP: {
        uint64_t g = r.u64();  // checked before the cast to gid_t could truncate it
        if (!check_id("additional gid", g, err)) return false;
        plan->groups.push_back(static_cast<gid_t>(g));
        break;
      }
      case Tag::CAPS:
        plan->has_caps = true;
        plan->cap_bounding = r.u64();
        plan->cap_effective = r.u64();
        plan->cap_permitted = r.u64();
        plan->cap_inheritable = r.u64();
        plan->cap_ambient = r.u64();
        plan->cap_last = r.u64();
        break;
      case Tag::RLIMIT: {
        Rlimit l;
        l.resource = r.u64();
        l.soft = r.u64();
        l.hard = r.u64();
        plan->rlimits.push_back(l);
        break;
      }
      case Tag::PROCESS_FLAGS: plan->process_flags = r.u64(); break;
      case Tag::KEYRING: plan->keyring = r.str(); break;
      case Tag::PRESERVE_FDS: plan->preserve_fds = r.u64(); break;
      case Tag::OOM_SCORE_ADJ:
        plan->has_oom = true;
        plan->oom_score_adj = static_cast<int64_t>(r.u64()) - 1000;
        break;
      case Tag::SECCOMP: {
        uint32_t n = 0;
        plan->seccomp = reinterpret_cast<const uint8_t*>(r.str(&n));
        plan->seccomp_len = n;
        plan->seccomp_flags = r.u64();
        break;
      }
      case Tag::HOOK: {
        PlanHook h;
        h.phase = static_cast<uint32_t>(r.u64());
        h.timeout = r.u64();
        uint64_t argc = r.u64(), envc = r.u64();
        if (argc > 4096 || envc > 65536) {
          *err = "hook with too many arguments";
          return false;
        }
        h.path = r.str();
        for (uint64_t i = 0; i < argc; i++) h.argv.push_back(r.str());
        for (uint64_t i = 0; i < envc; i++) h.envp.push_back(r.str());
        h.argv.push_back(nullptr);
        h.envp.push_back(nullptr);
        plan->hooks.push_back(std::move(h));
        break;
      }
      case Tag::HOOK_STATE: {
        HookState t;
        t.phase = static_cast<uint32_t>(r.u64());
        t.before = r.str();
        t.after = r.str();
        plan->hook_states.push_back(t);
        break;
      }
      case Tag::PERSONALITY:
        plan->has_personality = true;
        plan->personality = r.u64();
        break;
      case Tag::SCHEDULER:
        plan->has_scheduler = true;
        for (auto& v : plan->sched) v = r.u64();
        break;
      case Tag::IOPRIO:
        plan->has_ioprio = true;
        plan->ioprio = r.u64();
        break;
      case Tag::IDMAP_MOUNT: {
        IdmapMount m;
        m.index = r.u64();
        m.recursive = r.u64() != 0;
        m.attr_set = r.u64();
        m.attr_clr = r.u64();
        uint64_t nu = r.u64(), ng = r.u64();
        if (nu > 340 || ng > 340) {
          *err = "too many id mappings";
          return false;
        }
        for (uint64_t i = 0; i < nu + ng; i++) {
          IdMap x;
          x.inside = r.u64();
          x.outside = r.u64();
          x.size = r.u64();
          (i < nu ? m.uid_maps : m.gid_maps).push_back(x);
        }
        m.source = r.str();
        plan->idmap_mounts.push_back(std::move(m));
        break;
      }
      case Tag::CGROUP_DIR: plan->cgroup_dir = r.str(); break;
      case Tag::EXEC_ROOT: plan->exec_root = r.str(); break;
      case Tag::SHIM:
        plan->shim_mode = static_cast<uint32_t>(r.u64());
        plan->shim_caller = static_cast<int64_t>(r.u64());
        plan->shim_log_max = r.u64();
        plan->shim_flags = r.u64();
        plan->shim_dir = r.str();
        plan->shim_oom_file = r.str();
        plan->shim_log_dir = r.str();
        break;
      case Tag::SECCOMP_LISTENER:
        plan->listener_path = r.str();
        for (auto& part : plan->listener_payload) part = r.str();
        break;
      case Tag::APPARMOR: plan->apparmor = r.str(); break;
      case Tag::SELINUX: plan->selinux = r.str(); break;
      default:
        // Unknown tags come from a newer TypeScript side than this launcher: refuse rather than half-apply.
        *err = "unknown plan tag " + std::to_string(tag);
        return false;
    }
    if (!r.ok()) {
      *err = "malformed plan record (tag " + std::to_string(tag) + ")";
      return false;
    }
    off += 8 + len;
  }
  // A container's init waits on the fifo; an exec'd process has none but runs inside an existing root.
  bool exec = (plan->process_flags & ProcessFlag::EXEC) != 0;
  if (plan->argv.empty() || (!exec && plan->fifo == nullptr) || (exec && plan->exec_root == nullptr)) {
    *err = "plan has no process, or no fifo (create) or root (exec)";
    return false;
  }
  // CLONE_INTO_CGROUP gives the child a host directory fd at birth: only where nobody can see it then.
  if (plan->cgroup_dir != nullptr && !clone_unseen(*plan)) {
    *err = "plan clones into a cgroup a process that is not alone in a new pid namespace";
    return false;
  }
  if (!check_ids(*plan, err)) return false;
  plan->argv.push_back(nullptr);
  plan->envp.push_back(nullptr);
  return true;
}

}  // namespace tsrun
