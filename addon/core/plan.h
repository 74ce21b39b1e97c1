// The decoded plan: plain data pointing into the plan buffer, built by the launcher before it clones the init.
// After the clone the init only reads it.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tsrun {

struct Op {
  uint32_t kind = 0;
  uint64_t flags = 0;
  uint64_t a = 0, b = 0, c = 0, d = 0;
  const char* s[4] = {"", "", "", ""};  // never null; "" when absent
};

struct IdMap {
  uint64_t inside, outside, size;
};

struct NsJoin {
  uint64_t type;
  const char* path;
};

struct Rlimit {
  uint64_t resource, soft, hard;
};

struct PlanHook {
  uint32_t phase = 0;
  uint64_t timeout = 0;  // seconds, 0 = none
  const char* path = "";
  std::vector<const char*> argv;  // NULL-terminated after decode
  std::vector<const char*> envp;  // NULL-terminated after decode
};

struct HookState {
  uint32_t phase = 0;
  const char* before = "";
  const char* after = "";
};

struct IdmapMount {
  uint64_t index = 0;
  bool recursive = false;
  uint64_t attr_set = 0, attr_clr = 0;
  std::vector<IdMap> uid_maps, gid_maps;
  const char* source = "";
};

struct Plan {
  uint32_t mode = 0;
  uint64_t ns_new = 0;
  std::vector<NsJoin> joins;
  bool timens = false;
  int64_t timens_offsets[4] = {0, 0, 0, 0};  // boottime s, ns, monotonic s, ns
  std::vector<IdMap> uid_maps, gid_maps;
  bool setgroups_deny = false;
  // newuidmap/newgidmap (shadow's setuid helpers): used when writing a map is refused (an ordinary user mapping
  // subordinate ids); nullptr or "" when there are none.
  const char* newuidmap = nullptr;
  const char* newgidmap = nullptr;
  const char* fifo = nullptr;  // path of exec.fifo (create)
  const char* console_socket = nullptr;
  uint64_t console_rows = 0, console_cols = 0;
  std::vector<Op> ops;
  std::vector<const char*> argv;  // NULL-terminated after decode
  std::vector<const char*> envp;  // NULL-terminated after decode
  std::vector<const char*> exe;   // candidates
  const char* cwd = "/";
  uint64_t uid = 0, gid = 0, umask = 0xffffffff;
  std::vector<gid_t> groups;
  bool has_caps = false;
  uint64_t cap_bounding = 0, cap_effective = 0, cap_permitted = 0, cap_inheritable = 0, cap_ambient = 0;
  uint64_t cap_last = 40;
  std::vector<Rlimit> rlimits;
  uint64_t process_flags = 0;
  const char* keyring = nullptr;
  uint64_t preserve_fds = 0;
  bool has_oom = false;
  int64_t oom_score_adj = 0;
  const uint8_t* seccomp = nullptr;
  uint32_t seccomp_len = 0;
  uint64_t seccomp_flags = 0;
  std::vector<PlanHook> hooks;
  std::vector<HookState> hook_states;
  bool has_personality = false;
  uint64_t personality = 0;
  bool has_scheduler = false;
  uint64_t sched[7] = {0, 0, 0, 0, 0, 0, 0};  // policy, flags, nice + 20, priority, runtime, deadline, period
  bool has_ioprio = false;
  uint64_t ioprio = 0;
  const char* apparmor = nullptr;
  const char* selinux = nullptr;
  const char* cgroup_dir = nullptr;
  const char* exec_root = nullptr;
  uint32_t shim_mode = 0;  // 0: no shim (foreground, exec, --shim=never)
  int64_t shim_caller = 0;
  uint64_t shim_log_max = 0;
  uint64_t shim_flags = 0;
  const char* shim_dir = nullptr;
  const char* shim_oom_file = "";
  const char* shim_log_dir = nullptr;
  const char* listener_path = nullptr;
  const char* listener_payload[3] = {"", "", ""};
  std::vector<IdmapMount> idmap_mounts;
  std::vector<int> idmap_fds;  // filled by the launcher before the clone: detached idmapped trees by index
};

// Decodes buf (which must outlive plan). On failure returns false and sets err.
bool decode_plan(const std::vector<uint8_t>& buf, Plan* plan, std::string* err);

}  // namespace tsrun
