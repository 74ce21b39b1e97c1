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

#include "error.h"
#include "fd.h"
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

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

std::string join_file(const std::string& dir, const std::string& file) {
  return !dir.empty() && dir.back() == '/' ? dir + file : dir + "/" + file;
}

// CgroupFiles.write: "open <path>: …" when the file cannot be opened, else runc's "failed to write …".
void write_file(const std::string& dir, const std::string& file, const std::string& data) {
  std::string path = join_file(dir, file);
  Fd fd(open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  int err = fd.valid() ? 0 : errno;
  if (!err && !write_all(fd.get(), data)) err = errno;
  if (!err) return;
  if (err == ENOENT || err == EACCES || err == EPERM) fail("open " + path, err, "cgroup open");
  fail("failed to write " + js_quote(data) + ": write " + path, err, "cgroup write");
}

std::vector<std::string> subdirs(const std::string& dir, int* err) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) {
    *err = errno;
    return out;
  }
  errno = 0;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (e->d_type == DT_DIR && n != "." && n != "..") out.push_back(n);
    errno = 0;
  }
  *err = errno;
  closedir(d);
  return out;
}

// readProcs + readAllProcs: cgroup.procs (cgroup.threads in a threaded cgroup) here and below.
bool read_all_procs(const std::string& dir, bool top, std::vector<int64_t>* out, std::string* why) {
  ReadResult r = read_bounded(AT_FDCWD, dir + "/cgroup.procs", 16 << 20, false);
  if (r.err == EOPNOTSUPP) r = read_bounded(AT_FDCWD, dir + "/cgroup.threads", 16 << 20, false);
  int err = r.err;
  std::vector<std::string> subs;
  if (!err) subs = subdirs(dir, &err);
  if (err) {
    if (!top && (err == ENOENT || err == ENODEV)) return true;  // a sub-cgroup removed meanwhile
    *why = "open " + dir + "/cgroup.procs: " + (err > 0 ? errno_words(err) : "unreadable");
    return false;
  }
  for (size_t p = 0; p < r.data.size();) {
    size_t nl = r.data.find('\n', p);
    std::string line = r.data.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
    p = nl == std::string::npos ? r.data.size() : nl + 1;
    if (line.empty()) continue;
    if (line.size() > 10 || line.find_first_not_of("0123456789") != std::string::npos) {
      *why = "invalid pid line in " + dir + "/cgroup.procs";
      return false;
    }
    out->push_back(std::stoll(line));
  }
  std::sort(subs.begin(), subs.end());
  for (auto& s : subs)
    if (!read_all_procs(join_file(dir, s), false, out, why)) return false;
  return true;
}

// Waits (poll on cgroup.events, no sleep) until the line `key` of the cgroup2 directory's cgroup.events reads
// `value`. Returns false on timeout (or without such a file).
bool wait_events(const std::string& dir, const char* key, char value, int timeout_ms) {
  Fd fd(open(join_file(dir, "cgroup.events").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  std::string want = std::string("\n") + key + " " + value + "\n";
  for (;;) {
    char buf[512];
    ssize_t n = pread(fd.get(), buf, sizeof buf - 1, 0);
    if (n < 0) return false;
    if (("\n" + std::string(buf, static_cast<size_t>(n)) + "\n").find(want) != std::string::npos) return true;
    // kernfs signals a change of the file with POLLPRI.
    if (!(wait_fd(fd.get(), POLLPRI, timeout_ms) & (POLLPRI | POLLERR))) return false;
  }
}

// runc's back-off where cgroup v1 offers nothing to wait on (no cgroup.events): bounded, milliseconds.
void backoff_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// removeCgroup: rmdir; failing that, the sub-cgroups leaf first, then rmdir again. EBUSY (processes still
// exiting) is waited out on `events_dir`'s cgroup.events ("populated 0") where there is one, else retried with
// runc's short back-off (1, 2, 4 ms ..., 10 tries).
void remove_cgroup(const std::string& path, const std::string& events_dir) {
  if (rmdir(path.c_str()) == 0 || errno == ENOENT) return;
  int err = 0;
  std::vector<std::string> subs = subdirs(path, &err);
  if (err == ENOENT) return;
  if (err) fail("open " + path, err, "cgroup open");
  for (auto& s : subs) remove_cgroup(join_file(path, s), events_dir);
  for (int tries = 0, delay = 1;; tries++) {
    if (rmdir(path.c_str()) == 0 || errno == ENOENT) return;
    err = errno;
    if (err == EINTR) continue;
    if (err != EBUSY || tries >= 10) fail("rmdir " + path, err, "cgroup rmdir");
    if (events_dir.empty()) {
      backoff_ms(delay);
      delay = std::min(delay * 2, 4);
    } else if (!wait_events(events_dir, "populated", '0', 1000)) {
      fail("rmdir " + path, err, "cgroup rmdir");
    }
  }
}

std::string trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// freezeV1: write FROZEN until freezer.state reads FROZEN (1000 tries; every 50th, thaw and back off 10 ms as
// runc does, for processes that keep arriving); thawed again on failure.
void freeze_v1(const std::string& dir) {
  try {
    for (int i = 0; i < 1000; i++) {
      if (i % 50 == 49) {
        write_file(dir, "freezer.state", "THAWED");
        backoff_ms(10);
      }
      write_file(dir, "freezer.state", "FROZEN");
      ReadResult r = read_bounded(AT_FDCWD, join_file(dir, "freezer.state"), 4096, false);
      if (r.err) fail("open " + join_file(dir, "freezer.state"), r.err > 0 ? r.err : EIO, "cgroup open");
      std::string state = trimmed(r.data);
      if (state == "FREEZING") continue;
      if (state == "FROZEN") return;
      fail("unexpected state " + state + " while freezing");
    }
    fail("unable to freeze");
  } catch (const Error&) {
    try {
      write_file(dir, "freezer.state", "THAWED");
    } catch (const Error&) {
      // the error that matters is the freeze failure
    }
    throw;
  }
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
