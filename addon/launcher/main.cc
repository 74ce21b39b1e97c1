// tsrun-launcher: reads a plan from Node over the control socket, joins the namespaces it names, clones the
// container init and relays the init's progress. In DETACHED mode it exits once the init is ready, leaving the
// init to the caller's subreaper; in FOREGROUND mode it stays the init's parent, relays a terminal and reports
// the exit status.
//
// Protocol (see src/native/contract.ts):
//   Node → launcher   u32 length + plan
//   launcher → Node   PID{pid}            Node → launcher CONTINUE (after cgroups / id maps / hooks)
//   init → Node       SYNC{phase}*        Node → init     CONTINUE   (relayed both ways)
//   init → Node       READY | ERROR{step, errno, index}
//   launcher → Node   EXITED{status}      (foreground only)
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../core/child.h"
#include "../core/contract.h"
#include "../core/exe_seal.h"
#include "../core/fd.h"
#include "../core/plan.h"
#include "../core/sys.h"
#include "shim.h"

using namespace tsrun;

namespace {

int g_ctl = -1;

[[noreturn]] void die(int32_t step, int err, int32_t index = -1) {
  send_msg(g_ctl, Msg::ERROR, step, err, index);
  _exit(1);
}

bool read_plan(int fd, std::vector<uint8_t>* buf) {
  uint32_t len = 0;
  if (read_full(fd, &len, sizeof(len)) != 0 || len > (64u << 20)) return false;
  buf->resize(len);
  return read_full(fd, buf->data(), len) == 0;
}

// One write(2) of all of `data` (procfs files take a value in one write); a short one is EIO.
int write_whole(int fd, const char* data, size_t len) {
  ssize_t w = write(fd, data, len);
  if (w < 0) return -1;
  if (static_cast<size_t>(w) != len) {
    errno = EIO;
    return -1;
  }
  return 0;
}

int write_file_at(int dirfd, const char* path, const char* data, size_t len) {
  Fd fd(openat(dirfd, path, O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return -1;
  return write_whole(fd.get(), data, len);
}

// A non-dumpable process's /proc files belong to root: an ordinary user (or root of a user namespace, as under
// rootless Podman) can open its own, or those of a child born meanwhile, only while it is dumpable. Dumpable for
// the life of this object and never after it (failing to go back ends the launcher); errno is kept.
class BrieflyDumpable {
 public:
  BrieflyDumpable() : ok_(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0) {}
  ~BrieflyDumpable() {
    int e = errno;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) _exit(126);
    errno = e;
  }
  BrieflyDumpable(const BrieflyDumpable&) = delete;
  BrieflyDumpable& operator=(const BrieflyDumpable&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_;
};

std::string format_maps(const std::vector<IdMap>& maps) {
  std::string s;
  for (const auto& m : maps)
    s += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " + std::to_string(m.size) + "\n";
  return s;
}

// shadow's newuidmap/newgidmap for `pid`: "tool pid inside outside size ...", its messages on our stderr.
// Returns 0, or -1 with errno EPERM when it refused (its own message says why).
int run_map_tool(const char* tool, long pid, const std::vector<IdMap>& maps) {
  std::vector<std::string> words{tool, std::to_string(pid)};
  for (const auto& m : maps)
    for (uint64_t v : {m.inside, m.outside, m.size}) words.push_back(std::to_string(v));
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    // Nothing of the launcher's reaches a set-id program: no fd past stdio, no blocked signal.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execve(tool, argv.data(), envp);
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  errno = EPERM;
  return -1;
}

// Writes one map of `pid`'s user namespace; refused (an ordinary user mapping more than their own id), the
// set-id tool writes it if there is one.
int write_map(int proc, long pid, const char* file, const std::vector<IdMap>& maps, const char* tool) {
  std::string text = format_maps(maps);
  std::string path = std::to_string(pid) + "/" + file;
  if (write_file_at(proc, path.c_str(), text.data(), text.size()) == 0) return 0;
  if ((errno != EPERM && errno != EACCES) || tool == nullptr || tool[0] == 0) return -1;
  return run_map_tool(tool, pid, maps);
}

// A user namespace holding `uids`/`gids`, as an fd: a child is created in it, mapped through the host's
// /proc (setgroups "deny" first when asked, as the kernel requires before an ordinary user's gid_map), named,
// and killed. On failure *step says which part failed.
int make_userns(int proc, const std::vector<IdMap>& uids, const std::vector<IdMap>& gids, bool deny_setgroups,
                int32_t* step, const char* newuidmap = nullptr, const char* newgidmap = nullptr) {
  int pidfd = -1;
  struct clone_args ca = {};
  ca.flags = CLONE_NEWUSER | CLONE_PIDFD;
  ca.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  ca.exit_signal = SIGCHLD;
  *step = Step::USERNS;
  long pid;
  {
    // The helper is born dumpable, so that its /proc files belong to our own user, who may then write its maps.
    // It only ever pauses, in a namespace nothing else is in, and is killed before the container exists.
    BrieflyDumpable dumpable;
    if (!dumpable.ok()) return -1;
    pid = sys_clone3(&ca);
    if (pid == 0) {
      for (;;) pause();  // every signal is blocked: only SIGKILL ends this
    }
  }
  if (pid < 0) return -1;
  Fd pfd(pidfd);
  std::string setgroups = std::to_string(pid) + "/setgroups";
  int fd = -1;
  if ((*step = Step::UID_MAP, write_map(proc, pid, "uid_map", uids, newuidmap) == 0) &&
      (*step = Step::SETGROUPS_DENY, !deny_setgroups || write_file_at(proc, setgroups.c_str(), "deny", 4) == 0) &&
      (*step = Step::GID_MAP, write_map(proc, pid, "gid_map", gids, newgidmap) == 0)) {
    *step = Step::USERNS;
    fd = openat(proc, (std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
  }
  int e = errno;
  kill(static_cast<pid_t>(pid), SIGKILL);
  waitpid(static_cast<pid_t>(pid), nullptr, 0);
  errno = e;
  return fd;
}

// A detached copy of `source`, idmapped through a user namespace made for its mappings.
int make_idmapped_tree(int proc, const IdmapMount& m) {
  int32_t step;
  Fd userns(make_userns(proc, m.uid_maps, m.gid_maps, false, &step));
  if (!userns.valid()) return -1;
  unsigned rec = m.recursive ? TS_AT_RECURSIVE : 0;
  Fd tree(sys_open_tree(AT_FDCWD, m.source, TS_OPEN_TREE_CLONE | O_CLOEXEC | rec));
  if (!tree.valid()) return -1;
  MountAttr attr = {TS_MOUNT_ATTR_IDMAP | m.attr_set, m.attr_clr, 0, static_cast<uint64_t>(userns.get())};
  if (sys_mount_setattr(tree.get(), "", TS_AT_EMPTY_PATH | rec, &attr) < 0) return -1;
  return tree.release();
}

// Makes the root of a new, empty, read-only tmpfs that is mounted nowhere the cwd. The init inherits the cwd
// at the clone and keeps it until it sets its root: no directory of the host, and ".." cannot climb out of a
// detached mount.
// Without the right to mount (an ordinary user in the host's mount namespace), the cwd is the host's "/": the
// init holds the host's root until its pivot anyway, so that leads nowhere its root does not.
int enter_empty_dir() {
  Fd fs(static_cast<int>(syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */)));
  if (!fs.valid()) return errno == EPERM ? chdir("/") : -1;
  if (syscall(SYS_fsconfig, fs.get(), 6 /* FSCONFIG_CMD_CREATE */, nullptr, nullptr, 0) < 0) return -1;
  const unsigned attrs = 0x1 | 0x2 | 0x4 | 0x8;  // MOUNT_ATTR_RDONLY | NOSUID | NODEV | NOEXEC
  Fd mnt(static_cast<int>(syscall(SYS_fsmount, fs.get(), 1 /* FSMOUNT_CLOEXEC */, attrs)));
  if (!mnt.valid()) return -1;
  return fchdir(mnt.get());
}

int connect_unix(const char* path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return -1;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (std::strlen(path) >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::strcpy(addr.sun_path, path);
  if (connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0) return -1;
  return fd.release();
}

// The host terminal in raw mode while a foreground container owns it; restored on every exit path.
struct RawTerminal {
  bool active = false;
  struct termios saved {};
  void enter(int fd) {
    if (!isatty(fd) || tcgetattr(fd, &saved) < 0) return;
    struct termios raw = saved;
    cfmakeraw(&raw);
    if (tcsetattr(fd, TCSANOW, &raw) == 0) active = true;
  }
  ~RawTerminal() {
    if (active) tcsetattr(0, TCSANOW, &saved);
  }
};

void copy_winsize(int from, int to) {
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0) ioctl(to, TIOCSWINSZ, &ws);
}

// Foreground: wait for the init, relaying the terminal if there is one. Returns the init's wait status.
int supervise(pid_t pid, int pidfd, int master) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGWINCH);
  Fd sfd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  RawTerminal term;
  if (master >= 0) {
    term.enter(0);
    copy_winsize(0, master);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
  }
  bool stdin_open = master >= 0;
  char inbuf[4096];
  size_t inlen = 0;
  int status = -1;
  auto drain = [&]() {
    char buf[8192];
    for (;;) {
      ssize_t r = read(master, buf, sizeof(buf));
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        return r == 0 || errno != EAGAIN;  // true: the slave side is gone (EIO) or EOF
      }
      if (write_full(1, buf, static_cast<size_t>(r)) < 0) return true;
    }
  };
  while (status < 0) {
    struct pollfd p[4];
    int n = 0;
    p[n++] = {pidfd, POLLIN, 0};
    p[n++] = {sfd.get(), POLLIN, 0};
    int mi = -1, ii = -1;
    if (master >= 0) {
      mi = n;
      p[n++] = {master, static_cast<short>(POLLIN | (inlen > 0 ? POLLOUT : 0)), 0};
    }
    if (stdin_open && inlen == 0) {
      ii = n;
      p[n++] = {0, POLLIN, 0};
    }
    if (poll(p, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
        if (si.ssi_signo == SIGWINCH && master >= 0) copy_winsize(0, master);
      }
      // As a subreaper we also inherit orphans of the container: reap them, keep the init's status.
      for (;;) {
        int st;
        pid_t r = waitpid(-1, &st, WNOHANG);
        if (r <= 0) break;
        if (r == pid) status = st;
      }
    }
    if (mi >= 0 && (p[mi].revents & POLLOUT) && inlen > 0) {
      ssize_t w = write(master, inbuf, inlen);
      if (w > 0) {
        std::memmove(inbuf, inbuf + w, inlen - static_cast<size_t>(w));
        inlen -= static_cast<size_t>(w);
      }
    }
    if (mi >= 0 && (p[mi].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (drain()) {
        // The terminal's other side is closed: nothing more to relay; wait for the exit.
        master = -1;
        stdin_open = false;
      }
    }
    if (ii >= 0 && (p[ii].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = read(0, inbuf, sizeof(inbuf));
      if (r > 0)
        inlen = static_cast<size_t>(r);
      else if (r == 0 || errno != EINTR)
        stdin_open = false;
    }
    if (status < 0 && (p[0].revents & POLLIN)) {
      int st;
      if (waitpid(pid, &st, WNOHANG) == pid) status = st;
    }
  }
  if (master >= 0) drain();
  return status;
}

// Returns only once this process runs from an image no container can write (see core/exe_seal.h). Node spawns
// the launcher that way already; started from the file itself, it copies itself into a sealed memfd and
// executes that, its fds (the control socket, stdio, the preserved ones) and signal state unchanged.
void ensure_sealed_image(char** argv, char** envp) {
  int sealed = self_image_sealed();
  if (sealed < 0) die(Step::SELF_EXE, errno);
  if (sealed == 0) {
    Fd self(open("/proc/self/exe", O_RDONLY | O_CLOEXEC));
    if (!self.valid()) die(Step::SELF_EXE, errno);
    Fd mem(sealed_copy(self.get()));
    if (!mem.valid()) die(Step::SELF_EXE, errno);
    syscall(SYS_execveat, mem.get(), "", argv, envp, AT_EMPTY_PATH);
    die(Step::SELF_EXE, errno);
  }
  // Executed through a file descriptor, the process is named after its number: keep the name it always had.
  if (prctl(PR_SET_NAME, "tsrun-launcher", 0, 0, 0) < 0) die(Step::SELF_EXE, errno);
}

// What the launcher holds for the init between opening it and the clone (see held_at_birth below).
struct Held {
  Fd fifo;                    // O_PATH of exec.fifo itself (create)
  Fd exec_root;               // O_PATH of the container's root (exec)
  Fd proc;                    // the host's /proc, closed before the clone
  std::vector<Fd> idmap_trees;
  Fd userns;                  // made and mapped by a helper, entered last
  Fd console, console_peer;   // where the pty master goes; our end of a foreground terminal
  Fd cgroup;                  // CLONE_INTO_CGROUP target (v2, create alone in a new pid namespace)
  Fd listener;                // the seccomp agent's socket
};

// The control socket inherited from tsrun-js, the launcher's own image sealed, non-dumpable, signals blocked.
void start_launcher(int argc, char** argv, char** envp) {
  if (argc < 2) _exit(2);
  g_ctl = std::atoi(argv[1]);
  if (fcntl(g_ctl, F_GETFD) < 0) _exit(2);
  // First, while the control socket is still inherited across an execve.
  ensure_sealed_image(argv, envp);
  if (fcntl(g_ctl, F_SETFD, FD_CLOEXEC) < 0) _exit(2);
  // Non-dumpable before joining or creating any namespace: processes of the container must not ptrace or
  // read the memory of the launcher or of the init while they still hold host resources. execve of the
  // container's program restores dumpability as the kernel decides for that binary.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) _exit(2);
  // Everything below runs with all signals blocked; the init unblocks right before execve.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
}

// Every host path of the plan is opened here, before any namespace is joined (after that, paths change meaning).
void open_host_resources(Plan& plan, const ShimChild& shim, Held& h) {
  const bool terminal = (plan.process_flags & ProcessFlag::TERMINAL) != 0;
  const bool foreground = plan.mode == LaunchMode::FOREGROUND;
  // oom_score_adj before any namespace is joined: the init inherits it at the clone (runc's nsexec does the
  // same), and nothing after the clone needs the host's /proc. The shim, split off before, keeps its own.
  if (plan.has_oom) {
    std::string v = std::to_string(plan.oom_score_adj);
    Fd oom(open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
    if (!oom.valid() && errno == EACCES) {
      // Opened while briefly dumpable: nothing of a container exists yet, and no namespace is joined.
      BrieflyDumpable dumpable;
      if (!dumpable.ok()) die(Step::OOM_SCORE_ADJ, errno);
      oom.reset(open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
    }
    if (!oom.valid() || write_whole(oom.get(), v.data(), v.size()) < 0) die(Step::OOM_SCORE_ADJ, errno);
  }
  // exec.fifo itself, never its directory: the init reopens it for writing through /proc/self/fd at the end.
  if (plan.fifo != nullptr && plan.fifo[0] != 0) {
    h.fifo.reset(open(plan.fifo, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st;
    if (!h.fifo.valid() || fstat(h.fifo.get(), &st) < 0) die(Step::FIFO, errno);
    if (!S_ISFIFO(st.st_mode)) die(Step::FIFO, EINVAL);
  }
  // exec: the container's root, opened while its host path still means something (before setns(mnt)).
  if (plan.exec_root != nullptr && plan.exec_root[0] != 0) {
    h.exec_root.reset(open(plan.exec_root, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!h.exec_root.valid()) die(Step::EXEC_ROOT, errno);
  }
  // /proc of the host, for the id maps of helper user namespaces and the time offsets; closed before the clone.
  h.proc.reset(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!h.proc.valid()) die(Step::CLONE, errno);
  // Idmapped trees first, while the launcher still sees the host's mounts and is in the initial user namespace.
  for (const IdmapMount& m : plan.idmap_mounts) {
    if (plan.idmap_fds.size() <= m.index) plan.idmap_fds.resize(m.index + 1, -1);
    h.idmap_trees.emplace_back(make_idmapped_tree(h.proc.get(), m));
    if (!h.idmap_trees.back().valid()) die(Step::IDMAP, errno, static_cast<int32_t>(m.index));
    plan.idmap_fds[m.index] = h.idmap_trees.back().get();
  }
  // The container's user namespace, made and mapped now by a helper child in the host's namespaces (before
  // any join, so that no container can see the helper), and entered last, right before the clone: the init
  // is then cloned without CLONE_NEWUSER, nothing has to be written into its /proc afterwards, and the
  // namespaces it creates are owned by this user namespace exactly as with CLONE_NEWUSER.
  if (plan.ns_new & CLONE_NEWUSER) {
    int32_t step;
    h.userns.reset(make_userns(h.proc.get(), plan.uid_maps, plan.gid_maps, plan.setgroups_deny, &step, plan.newuidmap, plan.newgidmap));
    if (!h.userns.valid()) die(step, errno);
  }
  if (terminal && plan.console_socket != nullptr && plan.console_socket[0] != 0) {
    h.console.reset(connect_unix(plan.console_socket));
    if (!h.console.valid()) die(Step::CONSOLE_CONNECT, errno);
  } else if (terminal && foreground) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) die(Step::CONSOLE_CONNECT, errno);
    h.console_peer.reset(sp[0]);
    h.console.reset(sp[1]);
  } else if (terminal && shim.console >= 0) {
    h.console.reset(shim.console);  // the init sends its pty master to the shim
  }
  // cgroup v2: the init is born in its cgroup (CLONE_INTO_CGROUP), charged there from its first page. The
  // child inherits this host directory fd until its first step, so the plan asks for it only where nobody
  // can see the child at birth (a new pid namespace, none joined: decode_plan checks). Everyone else (exec, a
  // create joining a pid namespace) is born outside and moved in by tsrun-js while it waits.
  if (plan.cgroup_dir != nullptr && plan.cgroup_dir[0] != 0) {
    h.cgroup.reset(open(plan.cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!h.cgroup.valid()) die(Step::CGROUP, errno);
  }
  // The seccomp agent's socket, connected while its path is still the host's.
  if (plan.listener_path != nullptr && plan.listener_path[0] != 0) {
    h.listener.reset(connect_unix(plan.listener_path));
    if (!h.listener.valid()) die(Step::SECCOMP_LISTENER, errno);
  }
}

// Joins the plan's namespaces, leaves the host's cwd and /proc behind, makes the time namespace, and enters
// the user namespace last (the joins needed the host's privileges, which this gives up).
void enter_namespaces(const Plan& plan, Held& h) {
  // Open every namespace first: joining a mount namespace changes what later paths mean.
  std::vector<Fd> ns_fds;
  for (size_t i = 0; i < plan.joins.size(); i++) {
    ns_fds.emplace_back(open(plan.joins[i].path, O_RDONLY | O_CLOEXEC));
    if (!ns_fds.back().valid()) die(Step::SETNS, errno, static_cast<int32_t>(i));
  }
  // The init's cwd until its root is set: inherited at the clone, it must not be a directory of the host.
  // After every path of the plan is opened (a relative one still means what it meant to the caller).
  if (enter_empty_dir() < 0) die(Step::CWD, errno);
  for (size_t i = 0; i < plan.joins.size(); i++)
    if (setns(ns_fds[i].get(), static_cast<int>(plan.joins[i].type)) < 0) die(Step::SETNS, errno, static_cast<int32_t>(i));
  ns_fds.clear();
  // Owned by the initial user namespace (as before, when the user namespace came with the clone): its offsets
  // need CAP_SYS_TIME there, so before the user namespace is entered.
  if (plan.timens) {
    if (unshare(CLONE_NEWTIME) < 0) die(Step::TIMENS, errno);
    std::string offs = "monotonic " + std::to_string(plan.timens_offsets[2]) + " " + std::to_string(plan.timens_offsets[3]) +
                       "\nboottime " + std::to_string(plan.timens_offsets[0]) + " " + std::to_string(plan.timens_offsets[1]) + "\n";
    if (write_file_at(h.proc.get(), "self/timens_offsets", offs.data(), offs.size()) < 0) die(Step::TIMENS, errno);
  }
  h.proc.reset();  // nothing after this point needs the host's /proc, and the init must not inherit it
  if (h.userns.valid()) {
    if (setns(h.userns.get(), CLONE_NEWUSER) < 0) die(Step::USERNS, errno);
    h.userns.reset();
  }
}

// What the init holds at birth, and why each is acceptable (nothing is a directory or file of the host that
// a neighbour in a joined pid namespace could walk from through /proc/<pid>/fd or cwd):
//   0, 1, 2 and the preserved fds   the container's stdio and the fds the caller hands it, on purpose.
//   g_ctl, sync (both ends),        sockets (to tsrun-js, between launcher and init, to the caller's console
//   console, console_peer,          socket / the foreground launcher / the shim, to the seccomp agent) and
//   listener, shim.pid_pipe         a pipe to the shim: no filesystem path. The launcher-only ones (g_ctl,
//                                   its sync end, console_peer, cgroup, pid_pipe) are closed first thing.
//   fifo                            O_PATH of exec.fifo itself (create): a fifo, no directory to climb from.
//   exec_root                       O_PATH of the container's own root (exec): ".." of a mount namespace's
//                                   root stays there.
//   idmap_trees                     detached, idmapped copies of bind sources the container gets anyway:
//                                   ".." cannot leave a detached tree.
//   cgroup                          the v2 cgroup directory (CLONE_INTO_CGROUP), only for a create alone in
//                                   a new pid namespace, which nobody else can see before it closes it.
//   cwd                             the root of an empty, read-only, detached tmpfs (create; exec: the
//                                   container's root, set by setns(mnt)).
// Not held: the host's /proc (closed above), namespace files (closed after setns), the state directory.
// The init's root is still the host's until pivot_root, as in every runtime: its mounts need host paths.
ChildCtx held_at_birth(const Plan& plan, const Held& h, const ShimChild& shim, int sync_child, int sync_mine) {
  ChildCtx ctx;
  ctx.plan = &plan;
  ctx.sync_fd = sync_child;
  ctx.fifo_fd = h.fifo.valid() ? h.fifo.get() : -1;
  ctx.root_fd = h.exec_root.valid() ? h.exec_root.get() : -1;
  ctx.console_fd = h.console.valid() ? h.console.get() : -1;
  ctx.listener_fd = h.listener.valid() ? h.listener.get() : -1;
  ctx.close_fds[0] = g_ctl;
  ctx.close_fds[1] = sync_mine;
  ctx.close_fds[2] = h.console_peer.valid() ? h.console_peer.get() : -1;
  ctx.close_fds[3] = h.cgroup.valid() ? h.cgroup.get() : -1;
  ctx.close_fds[4] = shim.pid_pipe;
  return ctx;
}

// Kills and reaps the init, then reports the failure: from the clone on, a failure must not leave it behind.
[[noreturn]] void abort_child(pid_t pid, int32_t step, int e) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  die(step, e);
}

// Relays between tsrun-js and the init until the init is ready (or failed).
void relay_until_ready(pid_t pid, int sync_mine, bool exec) {
  bool ready = false;
  bool await_node = true;  // the first CONTINUE comes from tsrun-js, after it has seen the pid
  while (!ready) {
    Msg16 m;
    if (await_node) {
      int r = recv_msg(g_ctl, &m);
      if (r != 0) abort_child(pid, Step::SYNC, r < 0 ? errno : EPIPE);  // tsrun-js is gone: abort the create
      if (m.type == Msg::CONTINUE) m.a = static_cast<int32_t>(pid);  // the init learns its pid as seen from here
      if (send_msg(sync_mine, m.type, m.a, m.b, m.c) < 0) abort_child(pid, Step::SYNC, errno);
      await_node = false;
      continue;
    }
    int r = recv_msg(sync_mine, &m);
    if (r != 0) {
      // The init died without a word (a signal, or the kernel refused something before it could report).
      int st = 0;
      waitpid(pid, &st, 0);
      send_msg(g_ctl, Msg::DIED, Step::CLONE, st, -1);
      _exit(1);
    }
    switch (m.type) {
      case Msg::READY:
        ready = true;
        // exec: READY once the program runs. The init's copy of the socket closes on execve (EOF); anything it
        // reports before that is a failure of this exec.
        if (exec) {
          Msg16 after;
          int r2 = recv_msg(sync_mine, &after);
          if (r2 == 0 && (after.type == Msg::ERROR || after.type == Msg::DIED)) {
            waitpid(pid, nullptr, 0);
            send_msg(g_ctl, after.type, after.a, after.b, after.c);
            _exit(1);
          }
          if (r2 == 0) abort_child(pid, Step::SYNC, EPROTO);
        }
        break;
      case Msg::SYNC:
        await_node = true;
        break;
      case Msg::ERROR:
      case Msg::DIED:
        waitpid(pid, nullptr, 0);
        send_msg(g_ctl, m.type, m.a, m.b, m.c);
        _exit(1);
      default:
        abort_child(pid, Step::SYNC, EPROTO);
    }
    if (send_msg(g_ctl, m.type, m.a, m.b, m.c) < 0) abort_child(pid, Step::SYNC, errno);
  }
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  start_launcher(argc, argv, envp);
  std::vector<uint8_t> buf;
  Plan plan;
  std::string err;
  if (!read_plan(g_ctl, &buf)) die(Step::PLAN, EPROTO);
  if (!decode_plan(buf, &plan, &err)) die(Step::PLAN, EINVAL);
  const bool foreground = plan.mode == LaunchMode::FOREGROUND;

  // Nobody will adopt the init: split off the shim first, before any namespace, fd or child of the container
  // exists in this process. From here on this process is the launcher half, the shim's child.
  ShimChild shim;
  if (plan.shim_mode != 0 && !foreground && shim_needed(plan)) {
    if (!start_shim(plan, g_ctl, &shim)) die(Step::SHIM, errno);
  }

  Held held;
  open_host_resources(plan, shim, held);
  int sync[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0) die(Step::CLONE, errno);
  Fd sync_mine(sync[0]), sync_child(sync[1]);
  enter_namespaces(plan, held);
  if (plan.process_flags & ProcessFlag::SUBREAPER) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

  ChildCtx ctx = held_at_birth(plan, held, shim, sync_child.get(), sync_mine.get());
  int pidfd = -1;
  struct clone_args ca = {};
  ca.flags = (plan.ns_new & ~static_cast<uint64_t>(CLONE_NEWUSER)) | CLONE_PIDFD;
  ca.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  ca.exit_signal = SIGCHLD;
  if (held.cgroup.valid()) {
    ca.flags |= CLONE_INTO_CGROUP;
    ca.cgroup = static_cast<uint64_t>(held.cgroup.get());
  }
  long cloned = sys_clone3(&ca);
  if (cloned < 0) die(Step::CLONE, errno);
  if (cloned == 0) run_child(&ctx);
  const pid_t pid = static_cast<pid_t>(cloned);
  Fd pidfd_owner(pidfd);
  if (shim.pid_pipe >= 0) {
    // The shim learns which of its future children is the init before anything here can fail.
    int32_t p32 = static_cast<int32_t>(pid);
    if (write_full(shim.pid_pipe, &p32, sizeof(p32)) < 0) abort_child(pid, Step::SHIM, errno);
    close(shim.pid_pipe);
    shim.pid_pipe = -1;
  }
  // The init has its copies: the launcher keeps only its end of the sync socket and the foreground terminal.
  sync_child.reset();
  held.console.reset();
  held.listener.reset();
  held.cgroup.reset();
  held.idmap_trees.clear();
  held.exec_root.reset();
  held.fifo.reset();

  if (send_msg(g_ctl, Msg::PID, static_cast<int32_t>(pid), shim.shim_pid) < 0) abort_child(pid, Step::SYNC, errno);
  relay_until_ready(pid, sync_mine.get(), (plan.process_flags & ProcessFlag::EXEC) != 0);
  if (!foreground) return 0;

  int master = -1;
  if (held.console_peer.valid()) {
    char name[64];
    if (recv_fd(held.console_peer.get(), name, sizeof(name), &master) < 0) abort_child(pid, Step::CONSOLE_CONNECT, errno);
  }
  int status = supervise(pid, pidfd, master);
  send_msg(g_ctl, Msg::EXITED, status);
  return 0;
}
