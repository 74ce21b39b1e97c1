#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "cgroup_files.h"
#include "error.h"
#include "files.h"
#include "log.h"
#include "proc.h"

using tsrun::Fd;

namespace front {

namespace {

// runc's fs.subsystems order (src/cgroups/paths.ts RUNC_V1_SUBSYSTEMS); other keys after them.
const char* const kSubsystems[] = {"cpuset", "devices", "memory", "cpu", "cpuacct", "pids", "blkio", "hugetlb",
                                   "net_cls", "net_prio", "perf_event", "freezer", "rdma", "name=systemd", "misc"};

size_t order(const std::string& k) {
  for (size_t i = 0; i < std::size(kSubsystems); i++)
    if (k == kSubsystems[i]) return i;
  return std::size(kSubsystems);
}

}  // namespace

Cgroup::Cgroup(const CgroupRecord& r) : v2_(r.mode == "v2") {
  if (v2_) {
    if (!r.v2 || !r.has_layout_v2) delegate("cgroup v2 record without its directory or mount");
    dirs_.emplace_back("", *r.v2);
    return;
  }
  dirs_ = r.v1;
  std::stable_sort(dirs_.begin(), dirs_.end(), [](auto& a, auto& b) { return order(a.first) < order(b.first); });
  if (r.v2) dirs_.emplace_back("", *r.v2);
}

std::string Cgroup::dir(const std::string& controller) const {
  for (auto& [k, d] : dirs_)
    if (k == controller) return d;
  return "";
}

std::string Cgroup::procs_dir() const {
  if (v2_) return exists(dirs_[0].second) ? dirs_[0].second : "";
  for (const char* c : {"devices", "pids", "memory", "cpu"}) {
    std::string d = dir(c);
    if (!d.empty() && exists(d)) return d;
  }
  for (auto& [k, d] : dirs_)
    if (exists(d)) return d;
  return "";
}

std::string Cgroup::unified() const {
  for (auto& [k, d] : dirs_)
    if (k.empty() && exists(d)) return d;
  return "";
}

std::vector<int64_t> Cgroup::pids(bool may_delegate) const {
  std::vector<int64_t> out;
  std::string d = procs_dir(), why;
  if (!d.empty() && !read_all_procs(d, true, &out, &why)) {
    if (may_delegate) delegate(why);
    fail(why);
  }
  return out;
}

void Cgroup::freeze() const {
  if (!v2_) {
    std::string f = dir("freezer");
    if (f.empty()) fail("cannot toggle freezer: cgroups not configured for container");
    freeze_v1(f);
    return;
  }
  const std::string& d = dirs_[0].second;
  try {
    write_file(d, "cgroup.freeze", "1");
  } catch (const Error& e) {
    if (e.err == ENOENT) fail("freezer not supported: open " + join_file(d, "cgroup.freeze") + ": no such file or directory");
    throw;
  }
  if (!wait_events(d, "frozen", '1', 10000)) fail("timeout of 10s reached waiting for the cgroup to freeze");
}

void Cgroup::kill_all() const {
  std::string procs = procs_dir();
  if (procs.empty()) return;
  std::string u = unified();
  if (!u.empty()) {
    try {
      write_file(u, "cgroup.kill", "1");
      return;
    } catch (const Error& e) {
      if (e.err != ENOENT) throw;
    }
  }
  // No cgroup.kill (cgroup v1 alone, or a kernel before 5.14): runc's freeze, SIGKILL each, thaw; freezer
  // failures are not fatal (runc only warns).
  try {
    freeze();
  } catch (const Error&) {
  }
  std::vector<int64_t> pids;
  try {
    pids = this->pids(false);
  } catch (const Error&) {
    try {
      thaw();
    } catch (const Error&) {
    }
    throw;
  }
  int first = 0;
  for (int64_t pid : pids)
    if (valid_pid(pid) && kill(static_cast<pid_t>(pid), SIGKILL) != 0 && errno != ESRCH && !first) first = errno;
  try {
    thaw();
  } catch (const Error&) {
  }
  if (first) fail("kill", first, "kill");
}

void Cgroup::thaw() const {
  if (!v2_) {
    std::string f = dir("freezer");
    if (f.empty()) fail("cannot toggle freezer: cgroups not configured for container");
    write_file(f, "freezer.state", "THAWED");
    return;
  }
  const std::string& d = dirs_[0].second;
  try {
    write_file(d, "cgroup.freeze", "0");
  } catch (const Error& e) {
    if (e.err == ENOENT) return;  // no freezer: nothing is frozen
    throw;
  }
  ReadResult r = read_bounded(AT_FDCWD, join_file(d, "cgroup.freeze"), 4096, false);
  std::string v = r.data;
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  if (r.err == ENOENT || r.err == ENODEV) fail("expected \"cgroup.freeze\" to be in state \"THAWED\" but was in \"\"");
  if (r.err) fail("open " + join_file(d, "cgroup.freeze"), r.err > 0 ? r.err : EIO, "cgroup open");
  if (v == "1") fail("expected \"cgroup.freeze\" to be in state \"THAWED\" but was in \"FROZEN\"");
  if (v != "0") fail("unknown \"cgroup.freeze\" state: " + js_quote(r.data));
}

void Cgroup::destroy() const {
  std::string events = unified();
  if (v2_) {
    remove_cgroup(dirs_[0].second, events);
    return;
  }
  std::vector<std::pair<std::string, std::string>> failed;
  std::vector<std::string> done;
  for (auto& [k, p] : dirs_) {
    if (std::find(done.begin(), done.end(), p) != done.end()) continue;
    try {
      remove_cgroup(p, events);
      done.push_back(p);
    } catch (const Error&) {
      failed.emplace_back(k, p);
    }
  }
  if (failed.empty()) return;
  std::stable_sort(failed.begin(), failed.end());
  std::string m = "Failed to remove paths: map[";
  for (size_t i = 0; i < failed.size(); i++) m += (i ? " " : "") + failed[i].first + ":" + failed[i].second;
  fail(m + "]");
}

std::vector<int64_t> pidns_pids(int64_t init_pid, bool private_pidns) {
  if (!private_pidns) return {init_pid};
  char ns[PATH_MAX], other[PATH_MAX];
  ssize_t n = readlink(("/proc/" + std::to_string(init_pid) + "/ns/pid").c_str(), ns, sizeof ns);
  if (n < 0) return {};
  std::string want(ns, static_cast<size_t>(n));
  std::vector<int64_t> out;
  DIR* d = opendir("/proc");
  if (!d) delegate("cannot read /proc");
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.empty() || name.size() > 10 || name.find_first_not_of("0123456789") != std::string::npos) continue;
    ssize_t m = readlink(("/proc/" + name + "/ns/pid").c_str(), other, sizeof other);
    if (m >= 0 && want == std::string(other, static_cast<size_t>(m))) out.push_back(std::stoll(name));
  }
  closedir(d);
  return out;
}

}  // namespace front
