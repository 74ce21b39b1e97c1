#include "log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "error.h"
#include "files.h"

namespace front {

namespace {

int g_fd = -1;
bool g_json = false;

// Our own stdout and stderr by name: used as they are, no link followed (src/log.ts STDIO).
int stdio_name(const std::string& f) {
  if (f == "/dev/stdout" || f == "/dev/fd/1" || f == "/proc/self/fd/1") return 1;
  if (f == "/dev/stderr" || f == "/dev/fd/2" || f == "/proc/self/fd/2") return 2;
  return -1;
}

[[noreturn]] void not_writable(const std::string& file, const std::string& kind) {
  if (kind == "a symlink") fail("log file " + file + ": a symlink, not followed (give the path it leads to)");
  fail("log file " + file + ": not a regular file or a character device (" + kind + ")");
}

std::string now_rfc3339() {
  time_t t = time(nullptr);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string line(const char* level, const std::string& msg) {
  std::string t = now_rfc3339();
  if (g_json) return std::string("{\"level\":\"") + level + "\",\"msg\":" + js_quote(msg) + ",\"time\":\"" + t + "\"}\n";
  return "time=\"" + t + "\" level=" + level + " msg=" + js_quote(msg) + "\n";
}

}  // namespace

std::string js_quote(const std::string& s) {
  // Invalid UTF-8 never reaches here (argv and JSON are checked); replace, as Node would, if it did.
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void log_open(const std::string& file, bool json) {
  g_json = json;
  if (file.empty()) return;
  int std_fd = stdio_name(file);
  if (std_fd >= 0) {
    struct stat st;
    if (fstat(std_fd, &st) != 0) fail("open log file " + file, errno, "fstat");
    g_fd = std_fd;
    return;
  }
  int fd = open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    struct stat st;
    // ELOOP: a symlink; ENXIO: a FIFO nobody reads. Say what is there rather than the errno.
    if ((err == ELOOP || err == ENXIO) && lstat(file.c_str(), &st) == 0) not_writable(file, file_kind(st.st_mode));
    fail("open log file " + file, err, "open");
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    fail("open log file " + file, err, "fstat");
  }
  if (S_ISREG(st.st_mode)) {
    g_fd = fd;
  } else if (S_ISCHR(st.st_mode)) {
    // Blocking writes on a tty: reopen our own descriptor without O_NONBLOCK (no path resolved again).
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    g_fd = open(self.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    int err = errno;
    close(fd);
    if (g_fd < 0) fail("open " + self, err, "open");
  } else {
    close(fd);
    not_writable(file, file_kind(st.st_mode));
  }
}

void log_warn(const std::string& msg) {
  std::string l = line("warning", msg);
  write_all(g_fd >= 0 ? g_fd : 2, l);
}

void log_fatal(const std::string& msg) {
  if (g_fd >= 0) write_all(g_fd, line("error", msg));
  // Without --log but with --log-format json the caller asked for JSON on stderr (as runc writes it).
  if (g_fd < 0 && g_json) {
    write_all(2, line("error", msg));
    return;
  }
  std::string plain = msg.size() && msg.back() == '\n' ? msg : msg + "\n";
  write_all(2, plain);  // stderr closed: the log file (if any) has it
}

}  // namespace front
