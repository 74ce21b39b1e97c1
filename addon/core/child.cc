// The container init between clone and execve: the process script (namespaces done, the filesystem ops
// run by child_ops.cc, then identity, capabilities, LSM, seccomp, exec.fifo, execve).
#include "child_internal.h"

namespace tsrun {
namespace init {


ChildCtx* g;
bool g_started = false;
int64_t g_host_pid = 0;

void say(const char* s) { write_full(2, s, str_len(s)); }

namespace {

// create has long returned once the init is started: the container's stderr is the only place left to say why
// it ends here. `what` is "errno" or "wait status".
void say_after_start(int32_t step, int32_t index, const char* what, int value) {
  char num[24];
  num[fmt_i64(num, value)] = 0;
  say("tsrun: container init failed after start: ");
  if (step == Step::HOOK && index >= 0) {
    say("startContainer hook ");
    say(g->plan->hooks[static_cast<size_t>(index)].path);
    say(" failed, ");
  } else {
    char stepnum[24];
    stepnum[fmt_i64(stepnum, step)] = 0;
    say(step == Step::EXEC ? "exec " : "step ");
    say(step == Step::EXEC ? g->plan->argv[0] : stepnum);
    say(", ");
  }
  say(what);
  say(" ");
  say(num);
  say("\n");
}

}  // namespace

[[noreturn]] void fail(int32_t step, int err, int32_t index) {
  send_msg(g->sync_fd, Msg::ERROR, step, err, index);
  if (g_started) say_after_start(step, index, "errno", err);
  _exit(step == Step::EXEC ? 127 : 1);
}

[[noreturn]] void died(int32_t step, int status, int32_t index) {
  send_msg(g->sync_fd, Msg::DIED, step, status, index);
  if (g_started) say_after_start(step, index, "wait status", status);
  _exit(1);
}

void wait_continue(int32_t step) {
  Msg16 m;
  int r = recv_msg(g->sync_fd, &m);
  if (r != 0) _exit(1);  // the launcher is gone: nobody to report to
  if (m.type != Msg::CONTINUE) fail(step, EPROTO);
  if (g_host_pid == 0) g_host_pid = m.a;
}

namespace {

void capset_sets(const Plan& p, uint64_t extra) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  uint64_t eff = p.cap_effective | extra, perm = p.cap_permitted | extra;
  data[0].effective = static_cast<uint32_t>(eff);
  data[1].effective = static_cast<uint32_t>(eff >> 32);
  data[0].permitted = static_cast<uint32_t>(perm);
  data[1].permitted = static_cast<uint32_t>(perm >> 32);
  data[0].inheritable = static_cast<uint32_t>(p.cap_inheritable);
  data[1].inheritable = static_cast<uint32_t>(p.cap_inheritable >> 32);
  if (syscall(SYS_capset, &hdr, data) < 0) fail(Step::CAPSET, errno);
}

void set_caps(const Plan& p, uint64_t extra) {
  capset_sets(p, extra);
  // Raising an ambient capability needs it permitted and inheritable; like runc, others are skipped.
  for (uint64_t c = 0; c <= p.cap_last && c < 64; c++)
    if (p.cap_ambient & (1ULL << c)) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
}

// Writes an LSM attribute of this task for its next execve, like runc: /proc/thread-self/attr/<lsm>/exec,
// or the older /proc/thread-self/attr/exec.
int set_exec_attr(const char* lsm_path, const char* old_path, const char* value) {
  int fd = open(lsm_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) fd = open(old_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = write_full(fd, value, str_len(value));
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

void apply_process_attrs(const Plan& p) {
  if (p.has_scheduler) {
    struct {
      uint32_t size, policy;
      uint64_t flags;
      int32_t nice;
      uint32_t priority;
      uint64_t runtime, deadline, period;
      uint32_t util_min, util_max;
    } attr = {};
    attr.size = sizeof(attr);
    attr.policy = static_cast<uint32_t>(p.sched[0]);
    attr.flags = p.sched[1];
    attr.nice = static_cast<int32_t>(p.sched[2]) - 20;
    attr.priority = static_cast<uint32_t>(p.sched[3]);
    attr.runtime = p.sched[4];
    attr.deadline = p.sched[5];
    attr.period = p.sched[6];
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0) fail(Step::SCHEDULER, errno);
  }
  if (p.has_ioprio && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, static_cast<int>(p.ioprio)) < 0)
    fail(Step::IOPRIO, errno);
  if (p.has_personality && syscall(SYS_personality, static_cast<unsigned long>(p.personality)) < 0)
    fail(Step::PERSONALITY, errno);
}

// Hands the seccomp notify fd to the listener (runc's protocol): one message, the container's process state as
// JSON (with the pid the runtime sees) and the fd as SCM_RIGHTS.
void send_notify_fd(int nfd) {
  const Plan& p = *g->plan;
  if (g->listener_fd < 0) {
    close(nfd);
    return;
  }
  char pid[24];
  size_t plen = fmt_i64(pid, g_host_pid);
  struct iovec iov[5] = {
      {const_cast<char*>(p.listener_payload[0]), str_len(p.listener_payload[0])},
      {pid, plen},
      {const_cast<char*>(p.listener_payload[1]), str_len(p.listener_payload[1])},
      {pid, plen},
      {const_cast<char*>(p.listener_payload[2]), str_len(p.listener_payload[2])},
  };
  if (send_fd(g->listener_fd, iov, 5, nfd) < 0) fail(Step::SECCOMP_LISTENER, errno);
  close(nfd);
  close(g->listener_fd);
  g->listener_fd = -1;
}

// The container's /proc/self/fd, through which exec.fifo is reopened for writing from the O_PATH fd the
// launcher opened (as runc: the init never holds the state directory). /proc must be a procfs, and nothing
// may be mounted on the way below it (RESOLVE_NO_XDEV), so that a fake /proc cannot point the open elsewhere;
// reopen_fifo checks the file it gets is the very fifo. Opened before READY: a container whose /proc is not
// a procfs fails its create, not its start.
int fd_dir_of(int proc);
int open_fd_dir() { return fd_dir_of(open_in("/proc", O_PATH | O_DIRECTORY)); }


int fd_dir_of(int proc) {
  if (proc < 0) fail(Step::FIFO_REOPEN, errno, 0);
  struct statfs sf;
  if (fstatfs(proc, &sf) < 0) fail(Step::FIFO_REOPEN, errno, 0);
  if (sf.f_type != PROC_SUPER_MAGIC) fail(Step::FIFO_REOPEN, 0, 1);
  int fds = sys_openat2(proc, "self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS);
  if (fds < 0) fail(Step::FIFO_REOPEN, errno, 0);
  close(proc);
  return fds;
}

// Blocks until `start` opens exec.fifo for reading. The fifo is the process user's (0600) and the open runs
// after setresuid; through the fd's magic link, no directory on the way is searched.
int reopen_fifo(int fd_dir, int path_fd) {
  char name[24];
  name[fmt_i64(name, path_fd)] = 0;
  int fifo = openat(fd_dir, name, O_WRONLY | O_CLOEXEC);
  if (fifo < 0) fail(Step::FIFO_WAIT, errno);
  close(fd_dir);
  struct stat want, got;
  if (fstat(path_fd, &want) < 0 || fstat(fifo, &got) < 0) fail(Step::FIFO_REOPEN, errno, 0);
  if (want.st_dev != got.st_dev || want.st_ino != got.st_ino || !S_ISFIFO(got.st_mode)) fail(Step::FIFO_REOPEN, 0, 2);
  close(path_fd);
  return fifo;
}

// exec.LookPath semantics over candidates prepared in advance: the first regular, executable file.
const char* lookup_exe(const Plan& p) {
  int err = ENOENT;
  for (const char* cand : p.exe) {
    struct stat st;
    if (stat(cand, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      err = EACCES;
      continue;
    }
    if (faccessat(AT_FDCWD, cand, X_OK, AT_EACCESS) < 0) {
      err = errno;
      continue;
    }
    return cand;
  }
  fail(Step::EXEC_LOOKUP, err);
}

}  // namespace

// Without a mount namespace the container only chroots into the rootfs, whose /proc is not mounted: the fds are
// then reached through the host's /proc, opened just before the chroot (the init shares the host's mounts
// anyway, so this exposes nothing it could not reach).
int open_host_fd_dir() { return fd_dir_of(open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)); }

}  // namespace init

using namespace init;

namespace init {
namespace {

// Starts from default signal dispositions (an ignored signal survives execve; the runtime ignores SIGPIPE).
// The mask stays fully blocked (inherited from the launcher) until just before execve. The raw syscall also
// reaches the signals glibc reserves for itself (32, 33), which its sigaction refuses.
void reset_signals() {
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct {
      void (*handler)(int);
      unsigned long flags;
      void (*restorer)();
      uint64_t mask;
    } ksa = {SIG_DFL, 0, nullptr, 0};
    syscall(SYS_rt_sigaction, sig, &ksa, nullptr, sizeof(uint64_t));
  }
}

// Root in the new namespaces, its own session; the cgroup namespace only now, inside its cgroup, so that the
// namespace's root is the container's own cgroup (as runc does).
void become_root(const Plan& p) {
  if ((p.process_flags & ProcessFlag::NEW_CGROUPNS) && unshare(CLONE_NEWCGROUP) < 0) fail(Step::CGROUPNS, errno);
  if (setsid() < 0) fail(Step::SETSID, errno);
  if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) fail(Step::SETUID_ROOT, errno);
  if ((p.process_flags & ProcessFlag::SETGROUPS) && setgroups(0, nullptr) < 0) fail(Step::SETGROUPS, errno);
}

// The terminal as stdio and controlling tty, the session keyring, rlimits, no_new_privs.
void process_environment(const Plan& p, ChildCtx* ctx) {
  if (ctx->tty_slave >= 0) {
    if (ioctl(ctx->tty_slave, TIOCSCTTY, 0) < 0) fail(Step::TTY, errno);
    for (int fd = 0; fd < 3; fd++)
      if (dup2(ctx->tty_slave, fd) < 0) fail(Step::TTY, errno);
    if (ctx->tty_slave > 2) close(ctx->tty_slave);
  }
  if ((p.process_flags & ProcessFlag::NEW_KEYRING) && p.keyring != nullptr) {
    long key = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, p.keyring, 0, 0, 0);
    if (key < 0 && errno != ENOSYS) fail(Step::KEYRING, errno);
    // As runc: the new session keyring is searchable by its user (possessor all, user view/read/search/link).
    if (key >= 0 && syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f1b0000, 0, 0) < 0) fail(Step::KEYRING, errno);
  }
  for (size_t i = 0; i < p.rlimits.size(); i++) {
    struct rlimit rl = {p.rlimits[i].soft, p.rlimits[i].hard};
    if (setrlimit(static_cast<__rlimit_resource>(p.rlimits[i].resource), &rl) < 0) fail(Step::RLIMIT, errno, static_cast<int32_t>(i));
  }
  if ((p.process_flags & ProcessFlag::NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(Step::NO_NEW_PRIVS, errno);
}

// The bounding set, the user's ids and groups, the cwd, the capability sets and the umask. Returns the
// capabilities kept until the seccomp filter is in: loading one without no_new_privs needs CAP_SYS_ADMIN.
uint64_t become_user(const Plan& p) {
  if (p.has_caps) {
    for (uint64_t c = 0; c <= p.cap_last && c < 64; c++)
      if (!(p.cap_bounding & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        fail(Step::CAP_BOUNDING, errno, static_cast<int32_t>(c));
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail(Step::KEEPCAPS, errno);
  }
  if (p.process_flags & ProcessFlag::SETGROUPS) {
    if (setgroups(p.groups.size(), p.groups.data()) < 0) fail(Step::SETGROUPS, errno);
  }
  if (setresgid(static_cast<gid_t>(p.gid), static_cast<gid_t>(p.gid), static_cast<gid_t>(p.gid)) < 0) fail(Step::SETGID, errno);
  if (setresuid(static_cast<uid_t>(p.uid), static_cast<uid_t>(p.uid), static_cast<uid_t>(p.uid)) < 0) fail(Step::SETUID, errno);
  if (chdir(p.cwd) < 0) fail(Step::CHDIR, errno);
  const uint64_t CAP_SYS_ADMIN_BIT = 1ULL << 21;
  bool seccomp = p.seccomp != nullptr && p.seccomp_len >= 8;
  uint64_t keep =
      (seccomp && !(p.process_flags & ProcessFlag::NO_NEW_PRIVS) && p.has_caps && !(p.cap_effective & CAP_SYS_ADMIN_BIT)) ? CAP_SYS_ADMIN_BIT : 0;
  if (p.has_caps) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail(Step::KEEPCAPS, errno);
    set_caps(p, keep);
  }
  umask(p.umask == NO_UMASK ? 022 : static_cast<mode_t>(p.umask));
  return keep;
}

// The AppArmor profile and SELinux label the program is executed with.
void set_lsm_labels(const Plan& p) {
  if (p.apparmor != nullptr && p.apparmor[0] != 0) {
    char value[4096];
    size_t len = 0;
    value[0] = 0;
    if (!str_append(value, sizeof(value), &len, "exec ") || !str_append(value, sizeof(value), &len, p.apparmor)) fail(Step::APPARMOR, ENAMETOOLONG);
    if (set_exec_attr("/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec", value) < 0) fail(Step::APPARMOR, errno);
  }
  if (p.selinux != nullptr && p.selinux[0] != 0 && set_exec_attr("/proc/thread-self/attr/selinux/exec", "/proc/thread-self/attr/exec", p.selinux) < 0)
    fail(Step::SELINUX, errno);
}

// READY, then (create) blocks until `start` opens exec.fifo and runs the startContainer hooks. An exec'd
// process has no fifo: it runs at once.
void ready_and_wait_for_start(ChildCtx* ctx) {
  int fd_dir = ctx->fifo_fd < 0 ? -1 : ctx->fd_dir >= 0 ? ctx->fd_dir : open_fd_dir();
  if (send_msg(ctx->sync_fd, Msg::READY) < 0) _exit(1);
  if (ctx->fifo_fd < 0) return;
  int fifo = reopen_fifo(fd_dir, ctx->fifo_fd);
  if (write_full(fifo, "0", 1) < 0) fail(Step::FIFO_WAIT, errno);
  // Kept open (close-on-exec): `start` sees EOF once the user's program is executing (or the init is gone),
  // and only then runs the poststart hooks.
  g_started = true;
  run_hooks(HookPhase::START_CONTAINER);
}

// Only stdio and the preserved fds reach the process; signals unblocked; the filter goes in last (after it
// only the notify fd's hand-over, the final capset and execve run).
[[noreturn]] void execute(const Plan& p, const char* exe, uint64_t keep) {
  if (syscall(SYS_close_range, 3 + p.preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0) fail(Step::CLOSE_FDS, errno);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (p.seccomp != nullptr && p.seccomp_len >= 8) {
    struct {
      unsigned short len;
      const void* filter;
    } prog = {static_cast<unsigned short>(p.seccomp_len / 8), p.seccomp};
    long lfd = syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, p.seccomp_flags, &prog);
    if (lfd < 0) fail(Step::SECCOMP, errno);
    if (p.seccomp_flags & 8 /* SECCOMP_FILTER_FLAG_NEW_LISTENER */) send_notify_fd(static_cast<int>(lfd));
  }
  if (keep != 0) capset_sets(p, 0);
  execve(exe, const_cast<char* const*>(p.argv.data()), const_cast<char* const*>(p.envp.data()));
  int e = errno;
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  fail(Step::EXEC, e);
}

}  // namespace
}  // namespace init

void run_child(ChildCtx* ctx) {
  g = ctx;
  const Plan& p = *ctx->plan;
  for (int fd : ctx->close_fds)
    if (fd >= 0) close(fd);
  reset_signals();
  umask(0);                   // device nodes and mount points get exactly the modes of the plan
  wait_continue(Step::SYNC);  // id maps written, cgroups joined, runtime hooks run
  become_root(p);
  run_ops();
  process_environment(p, ctx);
  apply_process_attrs(p);
  uint64_t keep = become_user(p);
  set_lsm_labels(p);
  const char* exe = lookup_exe(p);
  ready_and_wait_for_start(ctx);
  execute(p, exe, keep);
}

}  // namespace tsrun
