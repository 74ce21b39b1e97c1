// The shim: when nobody supervises a container (a person or a script ran `tsrun create` / `run -d`), the
// launcher process splits before doing anything else. Its parent half stays as the shim: child subreaper (the
// init is re-parented to it when the launcher half exits), own session, stdio on /dev/null, cwd "/", outside
// the container's cgroup. It
//   - reads the container's stdout/stderr pipes (or its pty master) into <log dir>/container.log in the CRI
//     line format (RFC 3339 nano timestamp, stream, P/F tag, text), rotated to container.log.1 past the size
//     limit; the log dir is not the state directory (a small tmpfs that output must never fill);
//   - serves <state>/attach.sock: live output to every client, stdin and terminal resizes from them (frames:
//     u8 type, u32 little-endian length, payload);
//   (names and formats: src/native/contract.ts, through contract.h and shim_proto.h)
//   - holds the write end of the container's stdin pipe and the pty master, so a client going away never gives
//     the container EOF or SIGPIPE;
//   - when the init exits, drains the output, then writes <state>/exit.json atomically and exits.
// Unlike the init's code, this runs after no clone: ordinary allocation is fine here.
#include "shim.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../core/contract.h"
#include "../core/fd.h"
#include "../core/sys.h"
#include "shim_proto.h"

namespace tsrun {

namespace {

constexpr const char* kLog = StateFile::LOG;
constexpr const char* kLogOld = ShimFile::LOG_ROTATED;
constexpr const char* kExit = StateFile::EXIT;
constexpr const char* kExitTmp = ShimFile::EXIT_TMP;
constexpr const char* kSocket = StateFile::ATTACH_SOCKET;
constexpr size_t kMaxClients = 16;
constexpr size_t kMaxPendingStdin = 1 << 20;

std::string now_rfc3339nano() {
  struct timespec ts = {};
  if (clock_gettime(CLOCK_REALTIME, &ts) < 0) ts = {};
  return shim_proto::rfc3339nano(ts);
}

void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// container.log in the log directory tsrun made for this container (0700, its own): never through a symlink.
int open_log(int log_dir) { return openat(log_dir, kLog, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640); }

struct Client {
  Fd fd;
  std::vector<uint8_t> in;
};

class Shim {
 public:
  Shim(int dir, int log_dir, pid_t launcher, uint64_t log_max)
      : dir_(dir), log_dir_(log_dir), launcher_(launcher), log_max_(log_max) {}

  Fd log, out, err, in, master, console, listener, pid_pipe, oom;
  std::string oom_path;  // "": no memory cgroup

  [[noreturn]] void run() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sfd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    struct stat st;
    if (log.valid() && fstat(log.get(), &st) == 0) log_size_ = static_cast<uint64_t>(st.st_size);
    for (int fd : {out.get(), err.get(), in.get(), listener.get()})
      if (fd >= 0) set_nonblock(fd);
    reap();  // a child may have exited before the signalfd existed
    while (!init_exited_) loop_once();
    finish();
  }

 private:
  int dir_;
  int log_dir_;
  pid_t launcher_;
  pid_t init_ = 0;
  bool init_exited_ = false;
  int status_ = 0;
  uint64_t log_max_;
  uint64_t log_size_ = 0;
  Fd sfd_;
  std::vector<Client> clients_;
  std::string pending_;  // stdin bytes not yet taken by the container
  unsigned long long oom_seen_ = 0;
  bool close_stdin_ = false;
  // No slave of the pty is open (the container closed its terminal): the master would report POLLHUP on every
  // poll, so it is left out of the poll set; it is kept for resizes and for the final drain.
  bool master_hup_ = false;

  int stdin_target() const { return in.valid() ? in.get() : master.get(); }

  void loop_once() {
    std::vector<struct pollfd> p;
    auto add = [&](int fd, short ev) {
      p.push_back({fd, ev, 0});
      return fd >= 0 ? p.size() - 1 : SIZE_MAX;
    };
    size_t isig = add(sfd_.get(), POLLIN);
    size_t ipid = pid_pipe.valid() ? add(pid_pipe.get(), POLLIN) : SIZE_MAX;
    size_t icon = console.valid() ? add(console.get(), POLLIN) : SIZE_MAX;
    size_t iout = out.valid() ? add(out.get(), POLLIN) : SIZE_MAX;
    size_t ierr = err.valid() ? add(err.get(), POLLIN) : SIZE_MAX;
    short mev = POLLIN;
    if (!pending_.empty() && !in.valid()) mev |= POLLOUT;
    size_t imas = master.valid() && !master_hup_ ? add(master.get(), mev) : SIZE_MAX;
    size_t iin = in.valid() && !pending_.empty() ? add(in.get(), POLLOUT) : SIZE_MAX;
    size_t ilis = listener.valid() ? add(listener.get(), POLLIN) : SIZE_MAX;
    size_t ioom = oom.valid() ? add(oom.get(), POLLPRI) : SIZE_MAX;
    size_t icl = p.size();
    // A client's input is read only while the container keeps up with what was sent before.
    bool take_input = pending_.size() < kMaxPendingStdin;
    for (auto& c : clients_) add(c.fd.get(), take_input ? POLLIN : 0);
    if (poll(p.data(), p.size(), -1) < 0) return;

    if (ipid != SIZE_MAX && p[ipid].revents) read_pid();
    if (icon != SIZE_MAX && p[icon].revents) receive_master();
    if (iout != SIZE_MAX && p[iout].revents) pump(out, OutputFrame::STDOUT);
    if (ierr != SIZE_MAX && p[ierr].revents) pump(err, OutputFrame::STDERR);
    if (imas != SIZE_MAX && (p[imas].revents & (POLLIN | POLLHUP | POLLERR))) pump(master, OutputFrame::STDOUT);
    if ((imas != SIZE_MAX && (p[imas].revents & POLLOUT)) || (iin != SIZE_MAX && p[iin].revents)) flush_stdin();
    if (ilis != SIZE_MAX && (p[ilis].revents & POLLIN)) accept_clients();
    if (ioom != SIZE_MAX && (p[ioom].revents & (POLLPRI | POLLERR))) note_oom();
    for (size_t i = clients_.size(); i-- > 0;)
      if (p[icl + i].revents) client_input(i);
    if (p[isig].revents & POLLIN) reap();
  }

  void read_pid() {
    int32_t pid = 0;
    if (read_full(pid_pipe.get(), &pid, sizeof(pid)) == 0) init_ = pid;
    pid_pipe.reset();
  }

  void receive_master() {
    char name[64];
    int fd = -1;
    if (recv_fd(console.get(), name, sizeof(name), &fd) >= 0 && fd >= 0) {
      master.reset(fd);
      set_nonblock(fd);
    }
    console.reset();
  }

  void reap() {
    struct signalfd_siginfo si;
    while (read(sfd_.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
    }
    for (;;) {
      int st = 0;
      pid_t r = waitpid(-1, &st, WNOHANG);
      if (r <= 0) return;
      if (r == launcher_) {
        // The launcher half wrote the init's pid before it could fail or exit.
        if (pid_pipe.valid()) read_pid();
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) abandon();
        open_oom();
        continue;
      }
      if (init_ == 0 && pid_pipe.valid()) read_pid();
      if (r == init_) {
        status_ = st;
        init_exited_ = true;
      }
      // Anything else is an orphan of the container re-parented to us: reaped, nothing more.
    }
  }

  // The create failed: the launcher killed the init and Node removes the state directory.
  [[noreturn]] void abandon() {
    unlinkat(dir_, kSocket, 0);
    _exit(0);
  }

  void pump(Fd& fd, uint8_t stream) {
    char buf[16384];
    for (;;) {
      ssize_t r = read(fd.get(), buf, sizeof(buf));
      if (r > 0) {
        record(stream, buf, static_cast<size_t>(r));
        broadcast(stream, buf, static_cast<size_t>(r));
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && errno == EAGAIN) return;
      // EOF, or EIO once the pty's last slave closed: nothing more comes from here. The master is kept while
      // the init lives (a later process may open the slave again); pipes are done.
      if (&fd != &master) {
        fd.reset();
      } else {
        master_hup_ = true;
        pending_.clear();
        if (init_exited_) fd.reset();
      }
      return;
    }
  }

  void record(uint8_t stream, const char* data, size_t len) {
    if (!log.valid()) return;
    const char* name = shim_proto::log_stream_name(stream);
    std::string ts = now_rfc3339nano();
    std::string batch;  // records for the current file, written in one go
    shim_proto::split_log_records(data, len, [&](char tag, const char* text, size_t n) {
      std::string e = shim_proto::log_record(ts, name, tag, text, n);
      // Rotation is decided record by record: one large read cannot push a file past the limit.
      if (log_max_ > 0 && log_size_ + batch.size() > 0 && log_size_ + batch.size() + e.size() > log_max_) {
        flush(&batch);
        rotate();
      }
      batch += e;
    });
    flush(&batch);
  }

  void flush(std::string* batch) {
    if (batch->empty()) return;
    if (write_full(log.get(), batch->data(), batch->size()) == 0) log_size_ += batch->size();
    batch->clear();
  }

  void rotate() {
    if (renameat(log_dir_, kLog, log_dir_, kLogOld) < 0) return;
    Fd fresh(open_log(log_dir_));
    if (!fresh.valid()) return;
    log = std::move(fresh);
    log_size_ = 0;
  }

  void broadcast(uint8_t stream, const char* data, size_t len) {
    uint8_t head[FrameLayout::HEADER_SIZE];
    shim_proto::frame_header(stream, static_cast<uint32_t>(len), head);
    for (size_t i = clients_.size(); i-- > 0;) {
      struct iovec iov[2] = {{head, sizeof(head)}, {const_cast<char*>(data), len}};
      struct msghdr mh = {};
      mh.msg_iov = iov;
      mh.msg_iovlen = 2;
      ssize_t w = sendmsg(clients_[i].fd.get(), &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
      // A client that cannot keep up is dropped: the container is never slowed down by a watcher.
      if (w != static_cast<ssize_t>(sizeof(head) + len)) clients_.erase(clients_.begin() + static_cast<long>(i));
    }
  }

  void accept_clients() {
    for (;;) {
      int fd = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      if (clients_.size() >= kMaxClients) {
        close(fd);
        continue;
      }
      clients_.push_back(Client{Fd(fd), {}});
    }
  }

  void client_input(size_t i) {
    Client& c = clients_[i];
    uint8_t buf[16384];
    ssize_t r = recv(c.fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
      clients_.erase(clients_.begin() + static_cast<long>(i));
      return;
    }
    if (r < 0) return;
    c.in.insert(c.in.end(), buf, buf + r);
    size_t off = shim_proto::parse_frames(c.in.data(), c.in.size(), ATTACH_FRAME_MAX, [&](uint8_t type, const uint8_t* body, uint32_t len) {
      if (type == InputFrame::STDIN && stdin_target() >= 0 && !close_stdin_) pending_.append(reinterpret_cast<const char*>(body), len);
      struct winsize ws = {};
      if (type == InputFrame::RESIZE && master.valid() && shim_proto::decode_resize(body, len, &ws.ws_row, &ws.ws_col) &&
          ioctl(master.get(), TIOCSWINSZ, &ws) < 0) {
        // best effort: a size the pty refuses changes nothing
      }
      if (type == InputFrame::CLOSE_STDIN && in.valid()) close_stdin_ = true;
    });
    if (off == shim_proto::kFrameTooLarge) {
      clients_.erase(clients_.begin() + static_cast<long>(i));
      return;
    }
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<long>(off));
    flush_stdin();
  }

  void flush_stdin() {
    int fd = stdin_target();
    while (fd >= 0 && !pending_.empty()) {
      ssize_t w = write(fd, pending_.data(), pending_.size());
      if (w > 0) {
        pending_.erase(0, static_cast<size_t>(w));
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EAGAIN) return;
      pending_.clear();  // the reader is gone (EPIPE): nothing will ever take these bytes
      break;
    }
    if (close_stdin_ && pending_.empty()) in.reset();
  }

  // The memory cgroup's OOM counter, opened once the launcher half has exited well: the init was in its cgroup
  // by then (tsrun makes the cgroup while the launcher starts; a systemd unit's exists only once the init does);
  // failing that, as the init has exited. The count is taken whenever the kernel says it changed (POLLPRI, v2
  // memory.events) and at the end: systemd removes an emptied unit's cgroup, whose files no longer read.
  void open_oom() {
    if (!oom.valid() && !oom_path.empty()) oom.reset(open(oom_path.c_str(), O_RDONLY | O_CLOEXEC));
  }

  void note_oom() {
    if (!oom.valid()) return;
    char buf[4096];
    ssize_t n = pread(oom.get(), buf, sizeof(buf) - 1, 0);  // a read also clears the pending POLLPRI
    if (n < 0) {
      oom.reset();  // the cgroup is gone: its file would report POLLERR on every poll from now on
      return;
    }
    if (n == 0) return;
    buf[n] = 0;
    const char* k = std::strstr(buf, "oom_kill ");
    if (k) oom_seen_ = std::max(oom_seen_, std::strtoull(k + 9, nullptr, 10));
  }

  uint64_t oom_kills() {
    open_oom();
    note_oom();
    return oom_seen_;
  }

  [[noreturn]] void finish() {
    // What the container wrote before it exited is still in the pipes / the pty: take it all.
    if (out.valid()) pump(out, OutputFrame::STDOUT);
    if (err.valid()) pump(err, OutputFrame::STDERR);
    if (master.valid()) pump(master, OutputFrame::STDOUT);  // also after a hang-up: what was written before it is still there
    std::string rec = shim_proto::exit_record(init_, status_, oom_kills() > 0, now_rfc3339nano());
    Fd f(openat(dir_, kExitTmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (f.valid() && write_full(f.get(), rec.data(), rec.size()) == 0) {
      f.reset();
      renameat(dir_, kExitTmp, dir_, kExit);
    }
    unlinkat(dir_, kSocket, 0);
    clients_.clear();  // attached clients see EOF once the record is in place
    _exit(0);
  }
};

int bind_socket(int dir) {
  Fd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return -1;
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  // Through the directory's fd: the state path may be longer than sun_path allows.
  snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dir, kSocket);
  unlinkat(dir, kSocket, 0);
  mode_t old = umask(077);  // only root (the state directory's owner) may attach
  int r = bind(s.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  umask(old);
  if (r < 0 || listen(s.get(), 16) < 0) return -1;
  return s.release();
}

}  // namespace

pid_t orphan_reaper() {
  int rp[2], go[2];
  if (pipe2(rp, O_CLOEXEC) < 0) return -1;
  Fd rp_r(rp[0]), rp_w(rp[1]);
  if (pipe2(go, O_CLOEXEC) < 0) return -1;
  Fd go_r(go[0]), go_w(go[1]);
  pid_t p = fork();
  if (p < 0) return -1;
  if (p == 0) {
    pid_t g = fork();
    if (g == 0) {
      // Hold a pidfd on our parent before it may exit: it becomes readable only after the kernel re-parented
      // us, so getppid() then names the reaper.
      int pfd = sys_pidfd_open(getppid(), 0);
      char x = 1;
      if (write(go[1], &x, 1) != 1) _exit(1);
      if (pfd >= 0) {
        struct pollfd q = {pfd, POLLIN, 0};
        while (poll(&q, 1, -1) < 0 && errno == EINTR) {
        }
      }
      pid_t r = pfd >= 0 ? getppid() : -1;
      if (write(rp[1], &r, sizeof(r)) != sizeof(r)) _exit(1);
      _exit(0);
    }
    char x;
    if (g > 0 && read(go[0], &x, 1) != 1) _exit(1);
    _exit(g > 0 ? 0 : 1);
  }
  rp_w.reset();
  go_w.reset();
  int st = 0;
  while (waitpid(p, &st, 0) < 0 && errno == EINTR) {
  }
  pid_t r = -1;
  if (read_full(rp_r.get(), &r, sizeof(r)) != 0) return -1;
  return r;
}

bool shim_needed(const Plan& plan) {
  if (plan.shim_mode == ShimMode::ALWAYS) return true;
  if (plan.shim_mode != ShimMode::AUTO) return false;
  // The caller adopts the init only if it is the child subreaper orphans of ours go to. PID 1 is where every
  // orphan goes without being a supervisor, so it never counts.
  pid_t r = orphan_reaper();
  return !(r > 1 && r == static_cast<pid_t>(plan.shim_caller));
}

bool start_shim(const Plan& plan, int ctl, ShimChild* out) {
  Fd dir(open(plan.shim_dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return false;
  Fd log_dir(open(plan.shim_log_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!log_dir.valid()) return false;
  const bool terminal = (plan.process_flags & ProcessFlag::TERMINAL) != 0;
  const bool own_console = terminal && (plan.console_socket == nullptr || plan.console_socket[0] == 0);
  const bool pipes = !terminal;
  const bool with_stdin = pipes && (plan.shim_flags & ShimFlag::STDIN) != 0;
  // A regular file as tsrun's stdout/stderr is where the caller wants the output (scripts, the OCI test suite):
  // the container writes there directly, as with runc; a file never gives EOF or SIGPIPE.
  const bool keep_out = (plan.shim_flags & ShimFlag::KEEP_STDOUT) != 0;
  const bool keep_err = (plan.shim_flags & ShimFlag::KEEP_STDERR) != 0;

  int fds[2];
  Fd out_r, out_w, err_r, err_w, in_r, in_w, pid_r, pid_w, con_shim, con_child;
  if (pipes && !keep_out) {
    if (pipe2(fds, O_CLOEXEC) < 0) return false;
    out_r.reset(fds[0]);
    out_w.reset(fds[1]);
  }
  if (pipes && !keep_err) {
    if (pipe2(fds, O_CLOEXEC) < 0) return false;
    err_r.reset(fds[0]);
    err_w.reset(fds[1]);
  }
  if (with_stdin) {
    if (pipe2(fds, O_CLOEXEC) < 0) return false;
    in_r.reset(fds[0]);
    in_w.reset(fds[1]);
  }
  if (own_console) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) return false;
    con_shim.reset(fds[0]);
    con_child.reset(fds[1]);
  }
  if (pipe2(fds, O_CLOEXEC) < 0) return false;
  pid_r.reset(fds[0]);
  pid_w.reset(fds[1]);
  Fd log(open_log(log_dir.get()));
  if (!log.valid()) return false;
  Fd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) return false;
  Fd listener(bind_socket(dir.get()));
  if (!listener.valid()) return false;

  // Before the split: the init must find us as its reaper the moment the launcher half exits.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) return false;
  pid_t shim_pid = getpid();
  pid_t child = fork();
  if (child < 0) {
    unlinkat(dir.get(), kSocket, 0);
    return false;
  }
  if (child == 0) {
    // The launcher half: the container's stdio becomes the shim's pipes (inherited by the init).
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    int s0 = in_r.valid() ? in_r.get() : devnull.get();
    int s1 = out_w.valid() ? out_w.get() : keep_out && pipes ? 1 : devnull.get();
    int s2 = err_w.valid() ? err_w.get() : keep_err && pipes ? 2 : devnull.get();
    if (dup2(s0, 0) < 0 || (s1 != 1 && dup2(s1, 1) < 0) || (s2 != 2 && dup2(s2, 2) < 0)) _exit(1);
    out->shim_pid = shim_pid;
    out->pid_pipe = pid_w.release();
    out->console = con_child.release();
    return true;  // every other fd here closes with its owner (all are close-on-exec, and the init closes its own)
  }

  // The shim half.
  close(ctl);
  for (uint64_t i = 0; i < plan.preserve_fds; i++) close(3 + static_cast<int>(i));
  dup2(devnull.get(), 0);
  dup2(devnull.get(), 1);
  dup2(devnull.get(), 2);
  setsid();
  if (chdir("/") < 0) {
  }
  // Kept alive over the container when memory runs out (needs CAP_SYS_RESOURCE to go below 0; best effort).
  Fd adj(open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
  if (adj.valid() && write(adj.get(), "-1000", 5) < 0) {
  }
  adj.reset();

  Shim shim(dir.release(), log_dir.release(), child, plan.shim_log_max);
  shim.log = std::move(log);
  shim.out = std::move(out_r);
  shim.err = std::move(err_r);
  shim.in = std::move(in_w);
  shim.console = std::move(con_shim);
  shim.listener = std::move(listener);
  shim.pid_pipe = std::move(pid_r);
  shim.oom_path = plan.shim_oom_file;
  out_w.reset();
  err_w.reset();
  in_r.reset();
  pid_w.reset();
  con_child.reset();
  devnull.reset();
  shim.run();
}

}  // namespace tsrun
