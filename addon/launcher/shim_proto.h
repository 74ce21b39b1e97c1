// The shim's formats, as src/native/contract.ts defines them: attach frames (FrameLayout, OutputFrame,
// InputFrame, ResizeLayout), container.log's CRI records (LogStream, LogTag, LogChar) and the exit record
// (ExitField). Used by shim.cc and by tsrun-contract-dump, through which test/native/contract.test.ts
// round-trips each format with the TypeScript side (src/runtime/shim.ts, logs.ts, state.ts).
#pragma once
#include <sys/wait.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "../core/contract.h"

namespace tsrun {
namespace shim_proto {

// --- attach frames ---

// The header of a frame carrying len payload bytes.
inline void frame_header(uint8_t type, uint32_t len, uint8_t (&head)[FrameLayout::HEADER_SIZE]) {
  head[FrameLayout::TYPE] = type;
  for (unsigned i = 0; i < 4; i++) head[FrameLayout::LENGTH + i] = static_cast<uint8_t>(len >> (8 * i));
}

// A frame's payload length, read from its header (little endian).
inline uint32_t frame_length(const uint8_t* head) {
  uint32_t n = 0;
  for (unsigned i = 0; i < 4; i++) n |= static_cast<uint32_t>(head[FrameLayout::LENGTH + i]) << (8 * i);
  return n;
}

constexpr size_t kFrameTooLarge = SIZE_MAX;

// Calls on_frame(type, payload, len) for every complete frame at the start of buf[0, n). Returns how many bytes
// they took (the rest is an incomplete frame), or kFrameTooLarge once a frame announces more than max bytes
// (the frames before it were delivered).
template <typename F>
size_t parse_frames(const uint8_t* buf, size_t n, uint32_t max, F&& on_frame) {
  size_t off = 0;
  while (n - off >= FrameLayout::HEADER_SIZE) {
    uint32_t len = frame_length(buf + off);
    if (len > max) return kFrameTooLarge;
    if (n - off - FrameLayout::HEADER_SIZE < len) break;
    on_frame(buf[off + FrameLayout::TYPE], buf + off + FrameLayout::HEADER_SIZE, len);
    off += FrameLayout::HEADER_SIZE + len;
  }
  return off;
}

// The payload of InputFrame::RESIZE; false if it is not one.
inline bool decode_resize(const uint8_t* body, uint32_t len, uint16_t* rows, uint16_t* cols) {
  if (len != ResizeLayout::SIZE) return false;
  *rows = static_cast<uint16_t>(body[ResizeLayout::ROWS] | body[ResizeLayout::ROWS + 1] << 8);
  *cols = static_cast<uint16_t>(body[ResizeLayout::COLS] | body[ResizeLayout::COLS + 1] << 8);
  return true;
}

// --- time stamps ---

// RFC 3339 in UTC with nine fractional digits: 2006-01-02T15:04:05.000000000Z.
inline std::string rfc3339nano(const struct timespec& ts) {
  struct tm tm;
  if (gmtime_r(&ts.tv_sec, &tm) == nullptr) return "1970-01-01T00:00:00.000000000Z";
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", static_cast<long>(ts.tv_nsec));
  return buf;
}

// --- container.log ---

inline const char* log_stream_name(uint8_t stream) { return stream == OutputFrame::STDERR ? LogStream::STDERR : LogStream::STDOUT; }

// One CRI record: <time> <stream> <tag> <text>\n.
inline std::string log_record(const std::string& time, const char* stream, char tag, const char* text, size_t n) {
  std::string e;
  e.reserve(time.size() + n + 16);
  e.append(time).append(1, LogChar::SEPARATOR).append(stream).append(1, LogChar::SEPARATOR).append(1, tag);
  e.append(1, LogChar::SEPARATOR).append(text, n).append(1, LogChar::END);
  return e;
}

// Splits one read of the container's output into records: add(tag, text, n) for every finished line (FULL,
// without its newline) and for what follows the last newline (PARTIAL).
template <typename F>
void split_log_records(const char* data, size_t len, F&& add) {
  size_t start = 0;
  for (size_t i = 0; i < len; i++) {
    if (data[i] != LogChar::END) continue;
    add(LogTag::FULL, data + start, i - start);
    start = i + 1;
  }
  if (start < len) add(LogTag::PARTIAL, data + start, len - start);
}

// --- exit.json ---

// The exit record of a process with this raw wait status: exit code (128 + signal when killed), signal (0 when
// it exited), whether the cgroup saw an OOM kill, and when.
inline std::string exit_record(int pid, int status, bool oom_killed, const std::string& exited_at) {
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  auto field = [](const char* name) { return std::string("\"").append(name).append("\":"); };
  std::string r = "{";
  r += field(ExitField::PID) + std::to_string(pid) + ",";
  r += field(ExitField::EXIT_CODE) + std::to_string(code) + ",";
  r += field(ExitField::SIGNAL) + std::to_string(sig) + ",";
  r += field(ExitField::OOM_KILLED) + (oom_killed ? "true" : "false") + ",";
  r += field(ExitField::EXITED_AT) + "\"" + exited_at + "\"}\n";
  return r;
}

}  // namespace shim_proto
}  // namespace tsrun
