// The N-API addon: syscall primitives for the TypeScript side (see src/native/contract.ts). It never clones a
// container process: that is tsrun-launcher's job, spawned from here with posix_spawn.
#include <napi.h>

#include <fcntl.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../core/exe_seal.h"
#include "../core/fd.h"
#include "../core/seccomp_info.h"
#include "../core/sys.h"
#include "napi_error.h"

namespace {

using tsrun_napi::ErrnoError;

#define THROW_ERRNO(env, call, ...)                                 \
  do {                                                              \
    ErrnoError(env, errno, call, ##__VA_ARGS__).ThrowAsJavaScriptException(); \
    return env.Undefined();                                         \
  } while (0)

std::vector<std::string> StringArray(const Napi::Value& v) {
  std::vector<std::string> out;
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

Napi::Value Socketpair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sp[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) THROW_ERRNO(env, "socketpair");
  Napi::Array r = Napi::Array::New(env, 2);
  r.Set(0u, sp[0]);
  r.Set(1u, sp[1]);
  return r;
}

extern "C" char** environ;

// posix_spawn with fds[i] placed at i: sources are first moved above every target so that no dup2 clobbers
// a source still needed; every target then loses close-on-exec through dup2. With exeFd (5th argument), the
// child executes that fd instead of the file at `file` (which then only names it in errors).
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> args = StringArray(info[1]);
  std::vector<std::string> envs = StringArray(info[2]);
  Napi::Array fdArr = info[3].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t i = 0; i < fdArr.Length(); i++) fds.push_back(fdArr.Get(i).As<Napi::Number>().Int32Value());

  int exe_fd = info.Length() > 4 ? info[4].As<Napi::Number>().Int32Value() : -1;

  int base = static_cast<int>(fds.size()) + 3;
  std::vector<tsrun::Fd> high;
  for (int fd : fds) {
    int h = fcntl(fd, F_DUPFD_CLOEXEC, base);
    if (h < 0) THROW_ERRNO(env, "fcntl(F_DUPFD_CLOEXEC)");
    high.emplace_back(h);
  }
  // Executing an fd: name it by a number no dup2 below clobbers. The child resolves /proc/self/fd/N in its
  // own copy of the fd table before execve closes it (close-on-exec).
  tsrun::Fd exe_high;
  std::string exec_path = file;
  if (exe_fd >= 0) {
    exe_high.reset(fcntl(exe_fd, F_DUPFD_CLOEXEC, base));
    if (!exe_high.valid()) THROW_ERRNO(env, "fcntl(F_DUPFD_CLOEXEC)");
    exec_path = "/proc/self/fd/" + std::to_string(exe_high.get());
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (size_t i = 0; i < high.size(); i++) posix_spawn_file_actions_adddup2(&fa, high[i].get(), static_cast<int>(i));
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, exec_path.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ErrnoError(env, rc, "posix_spawn", file).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, pid);
}

// The launcher, to be spawned through /proc/self/fd/N, as an image no container can write (see core/exe_seal.h):
// the read-only overlay costs tens of microseconds and shares the page cache; the memfd copy, where the kernel or
// the privileges do not allow the overlay, costs a copy of the file. Done here rather than by the launcher
// re-executing itself: one execve per launch, not two.
Napi::Value SealedExe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string given = info[0].As<Napi::String>().Utf8Value();
  // The file itself, not a symlink to it: a symlink inside the overlay could lead back out of it.
  char* real = realpath(given.c_str(), nullptr);
  if (real == nullptr) THROW_ERRNO(env, "realpath", given);
  std::string path(real);
  free(real);
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const char* how = "overlay";
  tsrun::Fd dirfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd.valid()) THROW_ERRNO(env, "open", dir);
  tsrun::Fd exe(tsrun::open_via_readonly_overlay(dirfd.get(), name.c_str()));
  struct stat st;
  if (exe.valid() && (fstat(exe.get(), &st) < 0 || !S_ISREG(st.st_mode))) exe.reset();
  if (!exe.valid()) {
    how = "memfd";
    tsrun::Fd file(openat(dirfd.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!file.valid()) THROW_ERRNO(env, "open", path);
    exe.reset(tsrun::sealed_copy(file.get()));
    if (!exe.valid()) THROW_ERRNO(env, "sealed copy", path);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("fd", exe.release());
  o.Set("how", how);
  return o;
}

Napi::Value Waitpid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pid_t pid = info[0].As<Napi::Number>().Int32Value();
  int flags = info[1].As<Napi::Number>().Int32Value();
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, flags);
  while (r < 0 && errno == EINTR);
  if (r < 0) THROW_ERRNO(env, "waitpid");
  Napi::Object o = Napi::Object::New(env);
  o.Set("pid", r);
  o.Set("status", status);
  return o;
}

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = tsrun::sys_pidfd_open(info[0].As<Napi::Number>().Int32Value(), 0);
  if (fd < 0) THROW_ERRNO(env, "pidfd_open");
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return Napi::Number::New(env, fd);
}

Napi::Value Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array fds = info[0].As<Napi::Array>();
  Napi::Array events = info[1].As<Napi::Array>();
  int timeout = info[2].As<Napi::Number>().Int32Value();
  std::vector<struct pollfd> p(fds.Length());
  for (uint32_t i = 0; i < fds.Length(); i++) {
    p[i].fd = fds.Get(i).As<Napi::Number>().Int32Value();
    p[i].events = static_cast<short>(events.Get(i).As<Napi::Number>().Int32Value());
  }
  int r;
  do r = poll(p.data(), p.size(), timeout);
  while (r < 0 && errno == EINTR);
  if (r < 0) THROW_ERRNO(env, "poll");
  Napi::Array out = Napi::Array::New(env, p.size());
  for (uint32_t i = 0; i < p.size(); i++) out.Set(i, static_cast<int>(p[i].revents));
  return out;
}

Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int r;
  do r = flock(info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value());
  while (r < 0 && errno == EINTR);
  if (r < 0) THROW_ERRNO(env, "flock");
  return env.Undefined();
}

Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (mkfifo(path.c_str(), static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value())) < 0)
    THROW_ERRNO(env, "mkfifo", path);
  return env.Undefined();
}

Napi::Value OpenInRoot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string root = info[0].As<Napi::String>().Utf8Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  int flags = info[2].As<Napi::Number>().Int32Value();
  tsrun::Fd rootfd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfd.valid()) THROW_ERRNO(env, "open", root);
  if (path.empty()) path = ".";
  int fd = tsrun::sys_openat2(rootfd.get(), path.c_str(), static_cast<uint64_t>(flags) | O_CLOEXEC,
                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) THROW_ERRNO(env, "openat2", path);
  return Napi::Number::New(env, fd);
}

Napi::Value NsType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  tsrun::Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) THROW_ERRNO(env, "open", path);
  int t = ioctl(fd.get(), NS_GET_NSTYPE);
  if (t < 0) THROW_ERRNO(env, "ioctl(NS_GET_NSTYPE)", path);
  return Napi::Number::New(env, t);
}

Napi::Value ListenUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  tsrun::Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) THROW_ERRNO(env, "socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    ErrnoError(env, ENAMETOOLONG, "bind", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)) < 0) THROW_ERRNO(env, "bind", path);
  if (listen(fd.get(), 128) < 0) THROW_ERRNO(env, "listen", path);
  return Napi::Number::New(env, fd.release());
}

Napi::Value Accept(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int r;
  do r = accept4(info[0].As<Napi::Number>().Int32Value(), nullptr, nullptr, SOCK_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0) THROW_ERRNO(env, "accept4");
  return Napi::Number::New(env, r);
}

Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  char data[4096];
  int fd = -1;
  long n = tsrun::recv_fd(info[0].As<Napi::Number>().Int32Value(), data, sizeof(data), &fd);
  if (n < 0) THROW_ERRNO(env, errno == EPROTO ? "recvmsg (expected one SCM_RIGHTS fd)" : "recvmsg");
  Napi::Object o = Napi::Object::New(env);
  o.Set("fd", fd);
  o.Set("data", Napi::String::New(env, data, static_cast<size_t>(n)));
  return o;
}

// An AF_UNIX datagram socket bound to (bind = true) or connected to `path`; a leading '@' names an abstract
// socket, as sd_notify does.
Napi::Value UnixDgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bool bind_it = info[1].As<Napi::Boolean>().Value();
  tsrun::Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) THROW_ERRNO(env, "socket");
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    ErrnoError(env, ENAMETOOLONG, bind_it ? "bind" : "connect", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  if (path[0] == '@') addr.sun_path[0] = 0;
  socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
  auto* sa = reinterpret_cast<struct sockaddr*>(&addr);
  if (bind_it ? bind(fd.get(), sa, len) < 0 : connect(fd.get(), sa, len) < 0)
    THROW_ERRNO(env, bind_it ? "bind" : "connect", path);
  return Napi::Number::New(env, fd.release());
}

// connectUnix(path): an AF_UNIX stream socket connected to path (close-on-exec), as Go's net.Dial("unix", path).
Napi::Value ConnectUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "connectUnix: expected a path");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path) || path.find('\0') != std::string::npos) {
    ErrnoError(env, path.empty() ? ENOENT : ENAMETOOLONG, "connect", path).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  tsrun::Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) THROW_ERRNO(env, "socket");
  std::memcpy(addr.sun_path, path.data(), path.size());
  int r;
  do r = connect(fd.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr));
  while (r < 0 && errno == EINTR);
  if (r < 0) THROW_ERRNO(env, "connect", path);
  return Napi::Number::New(env, fd.release());
}

// sendmsg(2) of `data` with one fd as SCM_RIGHTS.
Napi::Value SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].As<Napi::Number>().Int32Value();
  std::string data = info[1].As<Napi::String>().Utf8Value();
  int fd = info[2].As<Napi::Number>().Int32Value();
  struct iovec iov = {data.data(), data.size()};
  if (tsrun::send_fd(sock, &iov, 1, fd) < 0) THROW_ERRNO(env, "sendmsg");
  return env.Undefined();
}

Napi::Value Pipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) THROW_ERRNO(env, "pipe2");
  Napi::Array r = Napi::Array::New(env, 2);
  r.Set(0u, p[0]);
  r.Set(1u, p[1]);
  return r;
}

// poll(2) with no timeout on a threadpool thread: only the fallback of src/native/wait.ts where io_uring is refused
// (see poll_wake.cc), since each wait holds one of libuv's few threadpool threads.
class PollWorker : public Napi::AsyncWorker {
 public:
  PollWorker(Napi::Env env, std::vector<struct pollfd> fds)
      : Napi::AsyncWorker(env), fds_(std::move(fds)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    int r;
    do r = poll(fds_.data(), fds_.size(), -1);
    while (r < 0 && errno == EINTR);
    if (r < 0) err_ = errno;
  }
  void OnOK() override {
    if (err_ != 0) {
      deferred_.Reject(ErrnoError(Env(), err_, "poll").Value());
      return;
    }
    Napi::Array out = Napi::Array::New(Env(), fds_.size());
    for (uint32_t i = 0; i < fds_.size(); i++) out.Set(i, static_cast<int>(fds_[i].revents));
    deferred_.Resolve(out);
  }

 private:
  std::vector<struct pollfd> fds_;
  int err_ = 0;
  Napi::Promise::Deferred deferred_;
};

Napi::Value PollAsync(const Napi::CallbackInfo& info) {
  Napi::Array fds = info[0].As<Napi::Array>();
  Napi::Array events = info[1].As<Napi::Array>();
  std::vector<struct pollfd> p(fds.Length());
  for (uint32_t i = 0; i < fds.Length(); i++) {
    p[i].fd = fds.Get(i).As<Napi::Number>().Int32Value();
    p[i].events = static_cast<short>(events.Get(i).As<Napi::Number>().Int32Value());
  }
  auto* w = new PollWorker(info.Env(), std::move(p));
  Napi::Promise promise = w->Promise();
  w->Queue();
  return promise;
}

Napi::Value Eventfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = eventfd(0, EFD_CLOEXEC);
  if (fd < 0) THROW_ERRNO(env, "eventfd");
  return Napi::Number::New(env, fd);
}

Napi::Value SeccompVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tsrun::libseccomp_version());
}

// seccompArchKnown(name): the linked libseccomp resolves this architecture name ("x86_64", "m68k").
Napi::Value SeccompArchKnown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "seccompArchKnown: expected a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (name.find('\0') != std::string::npos) return Napi::Boolean::New(env, false);
  return Napi::Boolean::New(env, tsrun::libseccomp_knows_arch(name));
}

}  // namespace

// addon/napi/seccomp_binding.cc, bpf_binding.cc
void RegisterSeccomp(Napi::Env env, Napi::Object exports);
void RegisterBpf(Napi::Env env, Napi::Object exports);
void RegisterSdBus(Napi::Env env, Napi::Object exports);  // sdbus_binding.cc
void RegisterPollWake(Napi::Env env, Napi::Object exports);  // poll_wake.cc
void RegisterExitNow(Napi::Env env, Napi::Object exports);   // exit_now.cc

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("socketpair", Napi::Function::New(env, Socketpair));
  exports.Set("spawn", Napi::Function::New(env, Spawn));
  exports.Set("sealedExe", Napi::Function::New(env, SealedExe));
  exports.Set("waitpid", Napi::Function::New(env, Waitpid));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("poll", Napi::Function::New(env, Poll));
  exports.Set("pollAsync", Napi::Function::New(env, PollAsync));
  exports.Set("eventfd", Napi::Function::New(env, Eventfd));
  exports.Set("flock", Napi::Function::New(env, Flock));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("openInRoot", Napi::Function::New(env, OpenInRoot));
  exports.Set("nsType", Napi::Function::New(env, NsType));
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix));
  exports.Set("accept", Napi::Function::New(env, Accept));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("seccompVersion", Napi::Function::New(env, SeccompVersion));
  exports.Set("seccompArchKnown", Napi::Function::New(env, SeccompArchKnown));
  exports.Set("unixDgram", Napi::Function::New(env, UnixDgram));
  exports.Set("sendFd", Napi::Function::New(env, SendFd));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("pipe", Napi::Function::New(env, Pipe));
  RegisterSeccomp(env, exports);
  RegisterBpf(env, exports);
  RegisterSdBus(env, exports);
  RegisterPollWake(env, exports);
  RegisterExitNow(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(tsrun, Init)
