// pollWake(fds, events) → { wake, ring }: waits for fds without occupying a thread. Each fd gets an io_uring
// POLL_ADD linked to a one-byte WRITE into a pipe, so `wake` (the pipe's read end) becomes readable once one of
// the fds is ready; the event loop of Node or bun watches `wake` like any pipe (src/native/wait.ts). Neither
// engine lets an addon add an fd to its loop (uv_poll is not reachable under bun) and neither watches a pidfd
// or an eventfd itself (net.Socket refuses them: "Unsupported fd type: UNKNOWN"), while both watch a pipe.
//
// Why not the old AsyncWorker: a blocked poll(2)/waitpid(2) holds one of libuv's 4 threadpool threads for the
// whole wait, so 4 waits (events, a foreground run, a shim wait) stall every fs/dns/crypto call of the process.
// Measured here (kernel 6.18, 2 cores): arming and closing costs 30-50 µs (io_uring_setup, register, 2 mmaps,
// io_uring_enter; 1000 rounds under Node, 200 under bun), and no thread at all: with 8 waits pending a fs read
// still completes in ~1 ms, where 4 pending threadpool waits stall it until one ends (test/native/wait.test.ts).
//
// The ring owns the pipe's write end (a registered file); closing `ring` cancels the polls (and with them their
// linked writes) and frees everything; the caller closes `ring` and `wake`. Where io_uring is refused (kernel
// before 5.7, io_uring_disabled, a seccomp filter), this throws and wait.ts falls back to pollAsync.
#include <napi.h>

#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "../core/fd.h"
#include "napi_error.h"

namespace {

const char kWakeByte = 1;

class Mapping {
 public:
  Mapping(void* p, size_t n) : p_(p == MAP_FAILED ? nullptr : p), n_(n) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (p_ != nullptr) munmap(p_, n_);
  }
  bool valid() const { return p_ != nullptr; }
  char* at(size_t off) const { return static_cast<char*>(p_) + off; }

 private:
  void* p_;
  size_t n_;
};

Napi::Value PollWake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array fdArr = info[0].As<Napi::Array>();
  Napi::Array evArr = info[1].As<Napi::Array>();
  uint32_t n = fdArr.Length();
  if (n == 0 || n != evArr.Length() || n > 64) return tsrun_napi::ThrowErrno(env, EINVAL, "pollWake");
  std::vector<int> fds(n);
  std::vector<uint32_t> events(n);
  for (uint32_t i = 0; i < n; i++) {
    fds[i] = fdArr.Get(i).As<Napi::Number>().Int32Value();
    events[i] = evArr.Get(i).As<Napi::Number>().Uint32Value() & 0xffff;
  }

  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) return tsrun_napi::ThrowErrno(env, errno, "pipe2");
  tsrun::Fd wake(p[0]), wake_w(p[1]);

  struct io_uring_params params;
  std::memset(&params, 0, sizeof(params));
  tsrun::Fd ring(static_cast<int>(syscall(SYS_io_uring_setup, 2 * n, &params)));  // close-on-exec by the kernel
  if (!ring.valid()) return tsrun_napi::ThrowErrno(env, errno, "io_uring_setup");
  // FAST_POLL (5.7) implies POLL_ADD, linked requests, WRITE and registered files.
  if (!(params.features & IORING_FEAT_FAST_POLL)) return tsrun_napi::ThrowErrno(env, ENOSYS, "io_uring_setup");
  if (params.sq_entries < 2 * n) return tsrun_napi::ThrowErrno(env, ENOMEM, "io_uring_setup");

  int32_t reg = wake_w.get();
  if (syscall(SYS_io_uring_register, ring.get(), IORING_REGISTER_FILES, &reg, 1) < 0)
    return tsrun_napi::ThrowErrno(env, errno, "io_uring_register");
  wake_w.reset();  // the ring holds it now

  size_t sq_size = params.sq_off.array + params.sq_entries * sizeof(uint32_t);
  Mapping sq(mmap(nullptr, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.get(), IORING_OFF_SQ_RING), sq_size);
  if (!sq.valid()) return tsrun_napi::ThrowErrno(env, errno, "mmap(IORING_OFF_SQ_RING)");
  size_t sqes_size = params.sq_entries * sizeof(struct io_uring_sqe);
  Mapping sqes_map(mmap(nullptr, sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.get(), IORING_OFF_SQES),
                   sqes_size);
  if (!sqes_map.valid()) return tsrun_napi::ThrowErrno(env, errno, "mmap(IORING_OFF_SQES)");

  auto* sqes = reinterpret_cast<struct io_uring_sqe*>(sqes_map.at(0));
  auto* array = reinterpret_cast<uint32_t*>(sq.at(params.sq_off.array));
  auto* tail = reinterpret_cast<std::atomic<uint32_t>*>(sq.at(params.sq_off.tail));
  uint32_t mask = *reinterpret_cast<uint32_t*>(sq.at(params.sq_off.ring_mask));
  uint32_t t = tail->load(std::memory_order_acquire);
  for (uint32_t i = 0; i < n; i++) {
    struct io_uring_sqe* poll = &sqes[2 * i];
    std::memset(poll, 0, sizeof(*poll));
    poll->opcode = IORING_OP_POLL_ADD;
    poll->fd = fds[i];
    poll->poll32_events = events[i];  // little-endian: the low 16 bits are the old poll_events
    poll->flags = IOSQE_IO_LINK;      // the write runs only once the poll has completed
    poll->user_data = 2 * i;
    struct io_uring_sqe* write = &sqes[2 * i + 1];
    std::memset(write, 0, sizeof(*write));
    write->opcode = IORING_OP_WRITE;
    write->fd = 0;  // registered file 0: the pipe's write end
    write->flags = IOSQE_FIXED_FILE;
    write->addr = reinterpret_cast<uint64_t>(&kWakeByte);
    write->len = 1;
    write->off = static_cast<uint64_t>(-1);
    write->user_data = 2 * i + 1;
    array[(t + 2 * i) & mask] = 2 * i;
    array[(t + 2 * i + 1) & mask] = 2 * i + 1;
  }
  tail->store(t + 2 * n, std::memory_order_release);
  long r;
  do r = syscall(SYS_io_uring_enter, ring.get(), 2 * n, 0, 0, nullptr, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0) return tsrun_napi::ThrowErrno(env, errno, "io_uring_enter");
  if (static_cast<uint32_t>(r) != 2 * n) return tsrun_napi::ThrowErrno(env, EAGAIN, "io_uring_enter");

  Napi::Object o = Napi::Object::New(env);
  o.Set("wake", wake.release());
  o.Set("ring", ring.release());
  return o;
}

}  // namespace

void RegisterPollWake(Napi::Env env, Napi::Object exports) {
  exports.Set("pollWake", Napi::Function::New(env, PollWake));
}
