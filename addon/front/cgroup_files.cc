#include "cgroup_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "error.h"
#include "fd.h"
#include "files.h"
#include "log.h"
#include "proc.h"

using tsrun::Fd;

namespace front {

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

std::string join_file(const std::string& dir, const std::string& file) {
  return !dir.empty() && dir.back() == '/' ? dir + file : dir + "/" + file;
}

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

namespace {

// runc's back-off where cgroup v1 offers nothing to wait on (no cgroup.events): bounded, milliseconds.
void backoff_ms(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

std::string trimmed(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

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

}  // namespace front
