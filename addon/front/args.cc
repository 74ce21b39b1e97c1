#include "args.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "error.h"

namespace front {

namespace {

// Long names that src/cli/global.ts lets a single dash introduce (-root x, -force): the ones these verbs use.
const std::set<std::string> kSingleDashLong = {"root", "log", "log-format", "debug", "systemd-cgroup", "rootless",
                                               "criu", "shim", "force", "all", "format", "quiet"};

bool valid_utf8_impl(const unsigned char* s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are what Node would replace with U+FFFD.
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// "-root=x" → "--root=x" for the long names global.ts knows; other args unchanged.
std::string normalize(const std::string& a) {
  if (a.size() < 3 || a[0] != '-' || a[1] == '-') return a;
  size_t eq = a.find('=');
  std::string name = a.substr(1, eq == std::string::npos ? std::string::npos : eq - 1);
  if (name.size() < 2 || !(name[0] >= 'a' && name[0] <= 'z')) return a;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return a;
  return kSingleDashLong.count(name) ? "-" + a : a;
}

struct Flag {
  std::string name;   // without dashes
  bool inline_value;  // --name=value
  std::string value;
};

// "--name" / "--name=value" / "-x"; nullopt-like empty name for anything else.
Flag split_flag(const std::string& a) {
  if (a.rfind("--", 0) == 0) {
    size_t eq = a.find('=');
    if (eq == std::string::npos) return {a.substr(2), false, ""};
    return {a.substr(2, eq - 2), true, a.substr(eq + 1)};
  }
  if (a.size() == 2) return {a.substr(1), false, ""};  // -f, -a, -q
  return {"", false, ""};                             // clusters (-fa), -f=json, negative numbers: delegated
}

bool is_bool_word(const std::vector<std::string>& v, size_t i) {
  return i < v.size() && (v[i] == "true" || v[i] == "false");
}

struct Reader {
  std::vector<std::string> v;
  size_t i = 0;
  std::set<std::string> seen;

  void once(const std::string& name) {
    if (!seen.insert(name).second) delegate("flag --" + name + " given twice");
  }
  // The value of a value-taking flag: inline, or the next argument (never a flag).
  std::string value(const Flag& f) {
    if (f.inline_value) return f.value;
    if (i + 1 >= v.size() || v[i + 1].empty() || v[i + 1][0] == '-') delegate("flag --" + f.name + " without a value");
    return v[++i];
  }
  // A boolean flag: bare only; yargs would take a following "true"/"false" as its value.
  void boolean(const Flag& f) {
    if (f.inline_value || is_bool_word(v, i + 1)) delegate("boolean flag --" + f.name + " with a value");
  }
};

void parse_globals(Reader& r, Args& a) {
  for (; r.i < r.v.size() && !r.v[r.i].empty() && r.v[r.i][0] == '-'; r.i++) {
    Flag f = split_flag(r.v[r.i]);
    const std::string& n = f.name;
    if (n == "root" || n == "log" || n == "log-format" || n == "rootless" || n == "criu" || n == "shim") {
      r.once(n);
      std::string val = r.value(f);
      if (val.empty()) delegate("empty value of --" + n);
      if (n == "root") a.root = val;
      if (n == "log") a.log = val;
      if (n == "log-format") {
        if (val != "text" && val != "json") delegate("--log-format " + val);
        a.log_json = val == "json";
      }
      if (n == "shim" && val != "auto" && val != "always" && val != "never") delegate("--shim " + val);
    } else if (n == "debug" || n == "systemd-cgroup") {
      r.once(n);
      r.boolean(f);
      if (n == "debug") a.debug = true;
    } else {
      delegate("global flag " + r.v[r.i]);
    }
  }
}

bool parse_verb(const std::string& cmd, Args& a) {
  if (cmd == "state") a.verb = Verb::State;
  else if (cmd == "start") a.verb = Verb::Start;
  else if (cmd == "kill") a.verb = Verb::Kill;
  else if (cmd == "delete") a.verb = Verb::Delete;
  else if (cmd == "list" || cmd == "ps-all") a.verb = Verb::List;
  else if (cmd == "ps") a.verb = Verb::Ps;
  else return false;
  return true;
}

void set_format(Args& a, const std::string& val) {
  if (val != "json" && val != "table") delegate("--format " + val);
  a.json = val == "json";
}

// ps: flags only before the container id; everything after it is for ps(1) (ignored in JSON form).
void parse_ps(Reader& r, Args& a) {
  for (; r.i < r.v.size(); r.i++) {
    const std::string& s = r.v[r.i];
    if (s.empty() || s[0] != '-') {
      a.id = s;
      break;
    }
    Flag f = split_flag(s);
    if (f.name != "format" && f.name != "f") delegate("ps flag " + s);
    r.once("format");
    set_format(a, r.value(f));
  }
  if (r.i >= r.v.size()) delegate("ps without a container id");
  if (!a.json) delegate("ps in table form");
}

void parse_command(Reader& r, Args& a) {
  std::vector<std::string> pos;
  for (; r.i < r.v.size(); r.i++) {
    const std::string& s = r.v[r.i];
    if (s.empty() || s[0] != '-') {
      pos.push_back(s);
      continue;
    }
    Flag f = split_flag(s);
    const std::string& n = f.name;
    if (a.verb == Verb::Kill && (n == "all" || n == "a")) {
      r.once("all");
      r.boolean(f);
      a.all = true;
    } else if (a.verb == Verb::Delete && (n == "force" || n == "f")) {
      r.once("force");
      r.boolean(f);
      a.force = true;
    } else if (a.verb == Verb::List && (n == "format" || n == "f")) {
      r.once("format");
      set_format(a, r.value(f));
    } else if (a.verb == Verb::List && (n == "quiet" || n == "q")) {
      r.once("quiet");
      r.boolean(f);
      a.quiet = true;
    } else {
      delegate("flag " + s);
    }
  }
  size_t min = a.verb == Verb::List ? 0 : 1, max = a.verb == Verb::List ? 0 : a.verb == Verb::Kill ? 2 : 1;
  if (pos.size() < min || pos.size() > max) delegate("wrong number of arguments");
  if (!pos.empty()) a.id = pos[0];
  if (pos.size() > 1) a.signal = pos[1];
}

}  // namespace

bool valid_utf8(const std::string& s) {
  return valid_utf8_impl(reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

// The initial user namespace maps every id to itself in one line ("0 0 4294967295").
bool in_user_namespace() {
  int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  unsigned long a = 1, b = 1, c = 0;
  int used = 0;
  if (sscanf(buf, " %lu %lu %lu %n", &a, &b, &c, &used) != 3) return true;
  return !(a == 0 && b == 0 && c == 4294967295UL && buf[used] == 0);
}

// --root when none is given, as src/runtime/rootless.ts defaultRoot: $XDG_RUNTIME_DIR/tsrun when tsrun is not
// real root (another user, or root of a user namespace unless USER is root), else /run/tsrun.
const char* const kSystemRoot = "/run/tsrun";

std::string default_root() {
  const char* xdg = getenv("XDG_RUNTIME_DIR");
  if (xdg == nullptr || *xdg == 0) return kSystemRoot;
  bool honour = geteuid() != 0;
  if (!honour && in_user_namespace()) {
    const char* user = getenv("USER");
    honour = user == nullptr || strcmp(user, "root") != 0;
  }
  return honour ? std::string(xdg) + "/tsrun" : kSystemRoot;
}

Args parse_args(int argc, char** argv) {
  Reader r;
  for (int k = 1; k < argc; k++) {
    std::string s = argv[k];
    // Node decodes argv as UTF-8, replacing what is not: the JS side would see other strings.
    if (!valid_utf8(s)) delegate("argument not UTF-8");
    if (s == "--" || s == "-" || s == "-h" || s == "--help" || s == "-v" || s == "--version") delegate(s);
    r.v.push_back(normalize(s));
  }
  Args a;
  parse_globals(r, a);
  if (r.i >= r.v.size()) delegate("no command");
  if (!parse_verb(r.v[r.i], a)) {
    a.not_native = Delegate{"not a native verb", r.v[r.i]};
    return a;
  }
  r.i++;
  if (a.verb == Verb::Ps) parse_ps(r, a);
  else parse_command(r, a);
  if (a.root.empty()) {
    a.root = default_root();
    // A user's root is made (0700, sticky) before any command, as runc does; until it is, tsrun-js makes it.
    struct stat st;
    if (a.root != kSystemRoot && (stat(a.root.c_str(), &st) < 0 || !(st.st_mode & S_ISVTX))) delegate("user root not made yet");
  }
  return a;
}

}  // namespace front
