#include "signals.h"

#include <cctype>
#include <utility>

#include "error.h"

namespace front {

namespace {
// Node's os.constants.signals on Linux (no real-time names: "RTMIN+1" is unknown there too).
const std::pair<const char*, int> kSignals[] = {
    {"SIGHUP", 1},    {"SIGINT", 2},     {"SIGQUIT", 3},   {"SIGILL", 4},    {"SIGTRAP", 5},   {"SIGABRT", 6},
    {"SIGIOT", 6},    {"SIGBUS", 7},     {"SIGFPE", 8},    {"SIGKILL", 9},   {"SIGUSR1", 10},  {"SIGSEGV", 11},
    {"SIGUSR2", 12},  {"SIGPIPE", 13},   {"SIGALRM", 14},  {"SIGTERM", 15},  {"SIGCHLD", 17},  {"SIGSTKFLT", 16},
    {"SIGCONT", 18},  {"SIGSTOP", 19},   {"SIGTSTP", 20},  {"SIGTTIN", 21},  {"SIGTTOU", 22},  {"SIGURG", 23},
    {"SIGXCPU", 24},  {"SIGXFSZ", 25},   {"SIGVTALRM", 26}, {"SIGPROF", 27}, {"SIGWINCH", 28}, {"SIGIO", 29},
    {"SIGPOLL", 29},  {"SIGPWR", 30},    {"SIGSYS", 31},
};
}  // namespace

int parse_signal(const std::string& s) {
  if (s.empty()) return 15;
  bool digits = s.find_first_not_of("0123456789") == std::string::npos;
  if (digits) {
    // Number(s) of a long run of digits is huge, never 1-64: compare without converting it.
    std::string n = s.substr(std::min(s.find_first_not_of('0'), s.size()));
    if (n.empty() || n.size() > 2 || std::stoi(n) > 64) fail("invalid signal: " + s);
    return std::stoi(n);
  }
  std::string up;
  for (unsigned char c : s) {
    // toUpperCase maps some non-ASCII letters onto ASCII ones ("ſ" → "S"): left to the JS side.
    if (c >= 0x80) delegate("non-ASCII signal name");
    up += static_cast<char>(toupper(c));
  }
  std::string name = up.rfind("SIG", 0) == 0 ? up : "SIG" + up;
  for (auto& [k, v] : kSignals)
    if (name == k) return v;
  fail("unknown signal \"" + s + "\"");
}

}  // namespace front
