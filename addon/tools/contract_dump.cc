// tsrun-contract-dump: the native side of the contract, for test/native/contract.test.ts.
//   constants                    every generated constant as JSON (group, name, value, C++ size and signedness)
//   encode-frame TYPE            stdin → one attach frame on stdout, as the shim sends it
//   decode-frames                stdin → the frames the shim reads from it, as JSON
//   log-records STREAM TIME      stdin (one read of the container's output) → container.log records
//   exit-record PID STATUS OOM TIME   the exit record for a raw wait status
//   time SEC NSEC                the shim's time stamp of that instant
// The formats come from addon/launcher/shim_proto.h, the code the shim itself runs.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../core/contract.h"
#include "../core/sys.h"
#include "json_quote.h"
#include "../launcher/shim_proto.h"

using namespace tsrun;

namespace {

std::string q(const char* s) { return tsrun_tools::json_quote(s, true); }

std::string hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string o;
  for (size_t i = 0; i < n; i++) {
    o += digits[p[i] >> 4];
    o += digits[p[i] & 15];
  }
  return o;
}

bool read_stdin(std::vector<uint8_t>* out) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t r = read(0, buf, sizeof(buf));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) return true;
    out->insert(out->end(), buf, buf + r);
  }
}

bool emit(const std::string& s) { return write_full(1, s.data(), s.size()) == 0; }

bool number(const char* s, long long* v) {
  char* end = nullptr;
  errno = 0;
  *v = std::strtoll(s, &end, 10);
  return errno == 0 && end != s && *end == 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: tsrun-contract-dump constants | encode-frame TYPE | decode-frames | log-records STREAM TIME |"
               " exit-record PID STATUS OOM TIME | time SEC NSEC\n");
  return 2;
}

int constants() {
  std::string o = "{\"numbers\":[";
  bool first = true;
  for (const auto& n : contract_table::kNumbers) {
    if (!first) o += ",";
    first = false;
    o += "{\"group\":" + q(n.group) + ",\"name\":" + q(n.name) + ",\"value\":\"" + std::to_string(n.value) +
         "\",\"size\":" + std::to_string(n.size) + ",\"signed\":" + (n.is_signed ? "true" : "false") + "}";
  }
  o += "],\"strings\":[";
  first = true;
  for (const auto& s : contract_table::kStrings) {
    if (!first) o += ",";
    first = false;
    o += "{\"group\":" + q(s.group) + ",\"name\":" + q(s.name) + ",\"value\":" + q(s.value) + "}";
  }
  o += "],\"chars\":[";
  first = true;
  for (const auto& c : contract_table::kChars) {
    if (!first) o += ",";
    first = false;
    const char v[2] = {c.value, 0};
    o += "{\"group\":" + q(c.group) + ",\"name\":" + q(c.name) + ",\"value\":" + q(v) + "}";
  }
  o += "]}\n";
  return emit(o) ? 0 : 1;
}

int encode_frame(const char* type_arg) {
  long long type;
  if (!number(type_arg, &type) || type < 0 || type > 255) return usage();
  std::vector<uint8_t> in;
  if (!read_stdin(&in)) return 1;
  uint8_t head[FrameLayout::HEADER_SIZE];
  shim_proto::frame_header(static_cast<uint8_t>(type), static_cast<uint32_t>(in.size()), head);
  if (write_full(1, head, sizeof(head)) != 0) return 1;
  return write_full(1, in.data(), in.size()) == 0 ? 0 : 1;
}

int decode_frames() {
  std::vector<uint8_t> in;
  if (!read_stdin(&in)) return 1;
  std::string frames;
  size_t off = shim_proto::parse_frames(in.data(), in.size(), ATTACH_FRAME_MAX, [&](uint8_t type, const uint8_t* body, uint32_t len) {
    if (!frames.empty()) frames += ",";
    frames += "{\"type\":" + std::to_string(type) + ",\"payload\":\"" + hex(body, len) + "\"";
    uint16_t rows, cols;
    if (type == InputFrame::RESIZE && shim_proto::decode_resize(body, len, &rows, &cols))
      frames += ",\"rows\":" + std::to_string(rows) + ",\"cols\":" + std::to_string(cols);
    frames += "}";
  });
  std::string rest = off == shim_proto::kFrameTooLarge ? "\"too large\"" : std::to_string(in.size() - off);
  return emit("{\"frames\":[" + frames + "],\"rest\":" + rest + "}\n") ? 0 : 1;
}

int log_records(const char* stream_arg, const char* time) {
  long long stream;
  if (!number(stream_arg, &stream) || stream < 0 || stream > 255) return usage();
  std::vector<uint8_t> in;
  if (!read_stdin(&in)) return 1;
  const char* name = shim_proto::log_stream_name(static_cast<uint8_t>(stream));
  std::string out;
  shim_proto::split_log_records(reinterpret_cast<const char*>(in.data()), in.size(),
                                [&](char tag, const char* text, size_t n) { out += shim_proto::log_record(time, name, tag, text, n); });
  return emit(out) ? 0 : 1;
}

int exit_record(const char* pid_arg, const char* status_arg, const char* oom_arg, const char* time) {
  long long pid, status, oom;
  if (!number(pid_arg, &pid) || !number(status_arg, &status) || !number(oom_arg, &oom)) return usage();
  return emit(shim_proto::exit_record(static_cast<int>(pid), static_cast<int>(status), oom != 0, time)) ? 0 : 1;
}

int time_stamp(const char* sec_arg, const char* nsec_arg) {
  long long sec, nsec;
  if (!number(sec_arg, &sec) || !number(nsec_arg, &nsec) || nsec < 0 || nsec > 999999999) return usage();
  struct timespec ts = {};
  ts.tv_sec = static_cast<time_t>(sec);
  ts.tv_nsec = static_cast<long>(nsec);
  return emit(shim_proto::rfc3339nano(ts) + "\n") ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  if (cmd == "constants" && argc == 2) return constants();
  if (cmd == "encode-frame" && argc == 3) return encode_frame(argv[2]);
  if (cmd == "decode-frames" && argc == 2) return decode_frames();
  if (cmd == "log-records" && argc == 4) return log_records(argv[2], argv[3]);
  if (cmd == "exit-record" && argc == 6) return exit_record(argv[2], argv[3], argv[4], argv[5]);
  if (cmd == "time" && argc == 4) return time_stamp(argv[2], argv[3]);
  return usage();
}
