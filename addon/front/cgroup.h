// The container's cgroup as the cgroupfs managers (src/cgroups/v1.ts, v2.ts) treat it for ps, kill and delete:
// its processes, killing them all (cgroup.kill), thawing, and removing the directories.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "state_dir.h"

namespace front {

class Cgroup {
 public:
  // Records the managers would refuse (v2 without its directory or mount) are delegated.
  explicit Cgroup(const CgroupRecord& r);

  // Every process in the cgroup (runc's GetAllPids). may_delegate: a read failure hands the call to tsrun-js
  // (only before any side effect); otherwise it is an error as the TS side words it.
  std::vector<int64_t> pids(bool may_delegate) const;
  // SIGKILL every process: cgroup.kill of the cgroup2 directory where the kernel has it, else freeze (v1: runc's
  // bounded retries), SIGKILL each, thaw.
  void kill_all() const;
  void freeze() const;
  void thaw() const;
  // Removes the directories, leaf first; processes still exiting are waited for on cgroup.events.
  void destroy() const;

 private:
  std::string dir(const std::string& controller) const;  // "" when absent
  std::string procs_dir() const;                         // "" when none exists
  std::string unified() const;                           // the cgroup2 directory if it exists, else ""

  bool v2_;
  std::vector<std::pair<std::string, std::string>> dirs_;  // v1: controller → dir in runc's order; "" → cgroup2
};

// containerPids without a cgroup: the init alone, or every process of its own pid namespace.
std::vector<int64_t> pidns_pids(int64_t init_pid, bool private_pidns);

}  // namespace front
