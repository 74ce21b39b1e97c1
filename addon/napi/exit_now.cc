// exitNow(code): _exit(2) without the JavaScript engine's teardown (every write tsrun makes is synchronous), and
// without the kernel's either, on the caller's time.
//
// Freeing the address space of an exiting process happens before its parent learns of the exit: for tsrun-js
// (~27 MB of the engine's mapped text, its heap and threads) that is ~1.2 ms of every call, spent while an
// engine waits on create. A helper cloned with CLONE_VM shares that address space, so tsrun's own exit only
// drops a reference; the helper waits for tsrun to be a zombie (its pidfd turns readable once the caller can
// reap it) and then exits, freeing the memory on its own time. Should anything fail, tsrun exits as before.
//
// What the helper holds: no fds (all closed but the pidfd, at once: a caller reading tsrun's output to its end
// sees EOF as before), every signal blocked but SIGKILL and SIGSTOP (it shares the engine's memory, so it never
// runs a handler), no lock (flock locks stay with tsrun's open files; POSIX locks belong to their process).
// It is reparented like any orphan (to the caller when it is a subreaper, as containerd's shim and conmon are)
// and exits ~1 ms later.
#include <napi.h>

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../core/sys.h"

namespace {

alignas(64) char helper_stack[16 * 1024];

// Runs in the helper: raw syscalls only (it shares tsrun's memory and its thread's TLS).
int teardown_helper(void* arg) {
  int pidfd = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  // Without close_range (Linux < 5.9) it would hold the caller's pipes past tsrun's exit: it leaves at once then,
  // and tsrun frees its memory itself as before.
  if ((pidfd > 0 && syscall(SYS_close_range, 0U, static_cast<unsigned>(pidfd - 1), 0U) < 0) ||
      syscall(SYS_close_range, static_cast<unsigned>(pidfd + 1), ~0U, 0U) < 0)
    syscall(SYS_exit_group, 0);
  struct pollfd p = {pidfd, POLLIN, 0};
  // Readable once tsrun has exited and its parent can reap it; EINTR cannot happen with every signal blocked.
  while (syscall(SYS_ppoll, &p, 1, nullptr, nullptr, 0) < 0) {
  }
  syscall(SYS_exit_group, 0);
  return 0;
}

[[noreturn]] void exit_leaving_teardown(int code) {
  int pidfd = tsrun::sys_pidfd_open(getpid(), 0);
  if (pidfd >= 0) {
    sigset_t all;
    sigfillset(&all);
    // Blocked in this thread, so in the helper from its first instruction; tsrun exits next anyway.
    pthread_sigmask(SIG_SETMASK, &all, nullptr);
    (void)clone(teardown_helper, helper_stack + sizeof helper_stack, CLONE_VM | SIGCHLD,
                reinterpret_cast<void*>(static_cast<intptr_t>(pidfd)));
  }
  _exit(code);
}

Napi::Value ExitNow(const Napi::CallbackInfo& info) {
  int32_t code = info.Length() == 1 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  exit_leaving_teardown(code >= 0 && code <= 255 ? code : 1);
}

}  // namespace

void RegisterExitNow(Napi::Env env, Napi::Object exports) {
  exports.Set("exitNow", Napi::Function::New(env, ExitNow));
}
