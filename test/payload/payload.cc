// tsrun-test-payload: a static helper the integration tests copy into containers, for what busybox cannot do.
//   sd-notify MESSAGE   send MESSAGE as one datagram to $NOTIFY_SOCKET (sd_notify without libsystemd)
//   alloc MIB           allocate and touch MIB mebibytes, print "allocated", then wait to be killed
//   subreaper CMD...    (on the host) a supervising caller as containerd's shim and conmon are: become a child
//                       subreaper, run CMD, print "ran STATUS", then print "reaped PID exit N" / "reaped PID
//                       signal N" for every orphan adopted and reaped, until none is left
//   fdwatch FILE        (in a container with CAP_SYS_PTRACE) spin on the next pids of this pid namespace; for
//                       every process that appears, open each /proc/PID/fd/N, /proc/PID/cwd and /proc/PID/exe
//                       and append "PID NAME DEV INO MODE" (what the open reached) to FILE once per distinct object
//   exe-hijack TARGET REPORT
//                       (CVE-2019-5736, in a container with CAP_SYS_PTRACE) wait for a pid in the file TARGET,
//                       open /proc/PID/exe (O_PATH) and append "grabbed DEV INO" to REPORT; then reopen that
//                       file for writing through /proc/self/fd, retrying while a process still executes it
//                       (ETXTBSY), and append a marker line to it. Ends REPORT with "grab-failed ERRNO",
//                       "wrote", "write-failed ERRNO", "refused ERRNO" or "busy" (still executed after 30 s),
//                       then waits to be killed (as an init, it keeps its pid namespace alive)
#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

static int sd_notify(const char* message) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == 0) {
    std::fprintf(stderr, "sd-notify: NOTIFY_SOCKET is not set\n");
    return 2;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
  if (path[0] == '@') addr.sun_path[0] = 0;
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + std::strlen(path) + (path[0] == '@' ? 0 : 1));
  if (sendto(fd, message, std::strlen(message), 0, reinterpret_cast<struct sockaddr*>(&addr), len) < 0) {
    std::perror("sd-notify: sendto");
    return 1;
  }
  close(fd);
  return 0;
}

static int alloc(const char* mib) {
  size_t n = static_cast<size_t>(std::strtoul(mib, nullptr, 10)) << 20;
  char* p = static_cast<char*>(std::malloc(n));
  if (p == nullptr) return 1;
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;  // touch every page: it must really be charged
  std::printf("allocated\n");
  std::fflush(stdout);
  pause();
  return 0;
}

static void report(const char* what, pid_t pid, int status) {
  if (WIFEXITED(status)) std::printf("%s %d exit %d\n", what, pid, WEXITSTATUS(status));
  else std::printf("%s %d signal %d\n", what, pid, WTERMSIG(status));
  std::fflush(stdout);
}

static int subreaper(char** argv) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    std::perror("subreaper: prctl");
    return 1;
  }
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    execvp(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) return 1;
  report("ran", child, status);
  pid_t pid;
  while ((pid = waitpid(-1, &status, 0)) > 0) report("reaped", pid, status);
  return 0;
}

// Records what one entry of /proc/PID (a fd link or cwd) leads to, once per distinct line.
static void record(FILE* out, long pid, const char* name, const char* path, std::set<std::string>* seen) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  struct stat st;
  int r = fd >= 0 ? fstat(fd, &st) : stat(path, &st);
  if (fd >= 0) close(fd);
  if (r < 0) return;
  char line[160];
  std::snprintf(line, sizeof(line), "%ld %s %llu %llu %o\n", pid, name, static_cast<unsigned long long>(st.st_dev),
                static_cast<unsigned long long>(st.st_ino), static_cast<unsigned>(st.st_mode));
  if (!seen->insert(line).second) return;
  std::fputs(line, out);
  std::fflush(out);
}

// Scans one process: every fd, its cwd and its exe. Returns false if it does not exist (yet, or any more).
static bool scan(FILE* out, long pid, std::set<std::string>* seen) {
  char dir[64];
  std::snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
  DIR* d = opendir(dir);
  if (d == nullptr) return false;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char path[128];
    std::snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    record(out, pid, e->d_name, path, seen);
  }
  closedir(d);
  std::snprintf(dir, sizeof(dir), "/proc/%ld/cwd", pid);
  record(out, pid, "cwd", dir, seen);
  std::snprintf(dir, sizeof(dir), "/proc/%ld/exe", pid);
  record(out, pid, "exe", dir, seen);
  return true;
}

// Spins on the pids after the newest one seen: a process cloned into this pid namespace is scanned from the
// moment it exists, over and over, until a newer one appears (pids here are handed out in order).
static int fdwatch(const char* file) {
  FILE* out = std::fopen(file, "a");
  if (out == nullptr) return 1;
  std::set<std::string> seen;
  long newest = getpid();
  std::fprintf(out, "ready %ld\n", newest);
  std::fflush(out);
  for (;;) {
    bool current = scan(out, newest, &seen);
    for (long p = newest + 1; p < newest + 8; p++) {
      if (scan(out, p, &seen)) {
        newest = p;
        current = true;
        break;
      }
    }
    (void)current;
  }
}

static void say(const char* report, const char* fmt, long a, long b = 0) {
  FILE* f = std::fopen(report, "a");
  if (f == nullptr) return;
  std::fprintf(f, fmt, a, b);
  std::fclose(f);
}

// The attempt itself; exe_hijack reports and then waits.
static void hijack(long pid, const char* report) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
  int fd = open(path, O_PATH | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0) {
    say(report, "grab-failed %ld\n", errno);
    return;
  }
  say(report, "grabbed %ld %ld\n", static_cast<long>(st.st_dev), static_cast<long>(st.st_ino));
  std::snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  for (int i = 0; i < 3000; i++) {
    int w = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (w >= 0) {
      const char mark[] = "\ntsrun-exe-hijacked\n";
      if (write(w, mark, sizeof(mark) - 1) == static_cast<ssize_t>(sizeof(mark) - 1))
        say(report, "wrote\n", 0);
      else
        say(report, "write-failed %ld\n", errno);
      return;
    }
    if (errno != ETXTBSY) {
      say(report, "refused %ld\n", errno);
      return;
    }
    usleep(10000);
  }
  say(report, "busy\n", 0);
}

static int exe_hijack(const char* target, const char* report) {
  long pid = 0;
  for (int i = 0; i < 6000 && pid <= 0; i++) {
    if (FILE* f = std::fopen(target, "r")) {
      if (std::fscanf(f, "%ld", &pid) != 1) pid = 0;
      std::fclose(f);
    }
    if (pid <= 0) usleep(10000);
  }
  if (pid <= 0) return 1;
  hijack(pid, report);
  for (;;) pause();
}

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "exe-hijack") == 0) return exe_hijack(argv[2], argv[3]);
  if (argc == 3 && std::strcmp(argv[1], "fdwatch") == 0) return fdwatch(argv[2]);
  if (argc >= 3 && std::strcmp(argv[1], "subreaper") == 0) return subreaper(argv + 2);
  if (argc == 3 && std::strcmp(argv[1], "sd-notify") == 0) return sd_notify(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "alloc") == 0) return alloc(argv[2]);
  std::fprintf(stderr, "usage: %s sd-notify MESSAGE | alloc MIB | subreaper CMD... | fdwatch FILE | exe-hijack TARGET REPORT\n", argv[0]);
  return 2;
}
