#include "state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "contract.h"
#include "error.h"
#include "files.h"
#include "proc.h"

using tsrun::Fd;
namespace SF = tsrun::StateFile;
namespace F = tsrun::StateField;

namespace front {

namespace {

constexpr int64_t kMaxSafe = (int64_t{1} << 53);  // past it, JSON.parse would round the number

bool is_int(const ojson& v) {
  if (!v.is_number_integer()) return false;
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(kMaxSafe);
  int64_t n = v.get<int64_t>();
  return n >= -kMaxSafe && n <= kMaxSafe;
}

// A field of an object: absent (nullptr) or of the expected shape, else the call is delegated.
const ojson* field(const ojson& obj, const char* key, bool (*ok)(const ojson&), bool required) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) delegate(std::string("state.json without ") + key);
    return nullptr;
  }
  if (!ok(*it)) delegate(std::string("state.json: unusual ") + key);
  return &*it;
}
bool is_str(const ojson& v) { return v.is_string(); }
bool is_bool(const ojson& v) { return v.is_boolean(); }
bool is_obj(const ojson& v) { return v.is_object(); }
bool is_arr(const ojson& v) { return v.is_array(); }
bool is_str_map(const ojson& v) {
  return v.is_object() && std::all_of(v.begin(), v.end(), [](const ojson& x) { return x.is_string(); });
}

std::string str(const ojson& obj, const char* key) { return field(obj, key, is_str, true)->get<std::string>(); }

// JSON.parse gives keys that are array indices (canonical decimal below 2^32-1) first, in numeric order.
bool index_key(const std::string& k) {
  if (k.empty() || k.size() > 10 || (k.size() > 1 && k[0] == '0')) return false;
  if (!std::all_of(k.begin(), k.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  return std::stoull(k) < 4294967295ULL;
}

ojson js_key_order(const ojson& obj) {
  std::vector<std::string> idx, rest;
  for (auto it = obj.begin(); it != obj.end(); ++it) (index_key(it.key()) ? idx : rest).push_back(it.key());
  std::sort(idx.begin(), idx.end(), [](const std::string& a, const std::string& b) { return std::stoull(a) < std::stoull(b); });
  ojson out = ojson::object();
  for (auto* keys : {&idx, &rest})
    for (auto& k : *keys) out[k] = obj.at(k);
  return out;
}

bool nonempty_hooks(const ojson& hooks, const char* phase) {
  const ojson* h = field(hooks, phase, is_arr, false);
  return h && !h->empty();
}

CgroupRecord parse_cgroup(const ojson& c) {
  CgroupRecord r;
  r.driver = str(c, F::CG_DRIVER);
  const ojson& layout = *field(c, F::CG_LAYOUT, is_obj, true);
  r.mode = str(layout, F::CG_MODE);
  if (r.mode != "v1" && r.mode != "hybrid" && r.mode != "v2") delegate("state.json: cgroup mode " + r.mode);
  r.has_layout_v2 = field(layout, F::CG_V2, is_obj, false) != nullptr;
  const ojson& paths = *field(c, F::CG_PATHS, is_obj, true);
  for (auto it = field(paths, F::CG_V1, is_str_map, true)->begin(); it != paths.at(F::CG_V1).end(); ++it)
    r.v1.emplace_back(it.key(), it.value().get<std::string>());
  if (const ojson* v2 = field(paths, F::CG_V2, is_str, false)) r.v2 = v2->get<std::string>();
  return r;
}

ContainerState parse_state(const ojson& d) {
  if (!d.is_object()) delegate("state.json is not an object");
  ContainerState s;
  s.id = str(d, F::ID);
  s.oci_version = str(d, F::OCI_VERSION);
  s.pid = field(d, F::PID, is_int, true)->get<int64_t>();
  s.pid_start_time = str(d, F::PID_START_TIME);
  s.bundle = str(d, F::BUNDLE);
  s.rootfs = str(d, F::ROOTFS);
  s.created = str(d, F::CREATED);
  if (const ojson* a = field(d, F::ANNOTATIONS, is_str_map, false)) s.annotations = js_key_order(*a);
  // Version 2 keeps the container config in one object; version 1 had its fields beside the identity.
  const ojson* version = field(d, F::VERSION, is_int, false);
  const int64_t v = version ? version->get<int64_t>() : 1;
  if (v != 1 && v != 2) delegate("state.json version " + std::to_string(v));
  const ojson& config = v == 2 ? *field(d, F::CONFIG, is_obj, true) : d;
  if (const ojson* p = field(config, F::PRIVATE_PID_NS, is_bool, false)) s.private_pidns = p->get<bool>();
  if (const ojson* h = field(config, F::HOOKS, is_obj, false)) {
    s.poststart_hooks = nonempty_hooks(*h, F::HOOKS_POSTSTART);
    s.poststop_hooks = nonempty_hooks(*h, F::HOOKS_POSTSTOP);
  }
  if (const ojson* c = field(config, F::CGROUP, is_obj, false)) s.cgroup = parse_cgroup(*c);
  if (const ojson* sh = field(d, F::SHIM, is_obj, false))
    s.shim = ShimRecord{field(*sh, F::SHIM_PID, is_int, true)->get<int64_t>(), str(*sh, F::SHIM_START_TIME)};
  if (const ojson* l = field(d, F::LOG_DIR, is_str, false)) s.log_dir = l->get<std::string>();
  return s;
}

// exit.json: absent or unreadable means no exit fields (readExitRecord); a document the TS side would read
// differently (other shapes) is delegated.
std::optional<ojson> exit_fields(const Container& c) {
  ReadResult r = read_bounded(c.dir.get(), SF::EXIT, tsrun::EXIT_FILE_LIMIT, true);
  if (r.err == ELOOP) delegate("exit.json is a symlink");
  if (r.err) return std::nullopt;
  ojson e = ojson::parse(r.data, nullptr, false);
  if (e.is_discarded() || !e.is_object()) delegate("exit.json unusual");
  namespace E = tsrun::ExitField;
  int64_t code = field(e, E::EXIT_CODE, is_int, true)->get<int64_t>();
  int64_t sig = field(e, E::SIGNAL, is_int, true)->get<int64_t>();
  bool oom = field(e, E::OOM_KILLED, is_bool, true)->get<bool>();
  std::string at = str(e, E::EXITED_AT);
  ojson out = ojson::object();
  out["exitCode"] = code;
  if (sig != 0) out["exitSignal"] = sig;
  out["oomKilled"] = oom;
  out["exitedAt"] = at;
  return out;
}

// isFrozen: the cgroup files read directly, any failure meaning "not frozen".
bool is_frozen(const std::optional<CgroupRecord>& r) {
  if (!r) return false;
  if (r->mode == "v2") {
    if (!r->v2) return false;
    ReadResult e = read_bounded(AT_FDCWD, *r->v2 + "/cgroup.events", 64 * 1024, false);
    return !e.err && ("\n" + e.data + "\n").find("\nfrozen 1\n") != std::string::npos;
  }
  for (auto& [k, dir] : r->v1) {
    if (k != "freezer") continue;
    ReadResult f = read_bounded(AT_FDCWD, dir + "/freezer.state", 4096, false);
    std::string s = f.data;
    s.erase(0, s.find_first_not_of(" \t\r\n"));
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    return !f.err && s == "FROZEN";
  }
  return false;
}

}  // namespace

bool id_ok(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
           c == '.' || c == '-';
  });
}

void validate_id(const std::string& id) {
  if (!id_ok(id)) fail("invalid container ID format");
}

Root open_root(const std::string& raw) {
  Root r{raw, Fd()};
  // Lexical and physical ".." differ through symlinks: such roots are left to the TS side's path handling.
  for (size_t p = 0; p <= raw.size();) {
    size_t e = raw.find('/', p);
    std::string part = raw.substr(p, e == std::string::npos ? std::string::npos : e - p);
    if (part == "." || part == "..") delegate("state root with . or ..");
    if (e == std::string::npos) break;
    p = e + 1;
  }
  r.fd.reset(open(raw.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat st;
  if (!r.fd.valid()) {
    if (errno == ENOENT) return r;
    if (errno == ENOTDIR && stat(raw.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
      fail("state root \"" + raw + "\" is not a directory");
    delegate("state root unreadable");
  }
  if (fstat(r.fd.get(), &st) != 0) fail("stat " + raw, errno, "stat");
  uid_t euid = geteuid();
  if ((st.st_uid != euid && st.st_uid != 0) || (st.st_mode & 022) != 0) {
    char mode[16];
    snprintf(mode, sizeof mode, "0%o", st.st_mode & 07777);
    fail("state root \"" + raw + "\" must be owned by uid " + std::to_string(euid) +
         " (or root) and writable by nobody else (owner " + std::to_string(st.st_uid) + ", mode " + mode + ")");
  }
  return r;
}

Container open_container(const Root& root, const std::string& id) {
  Container c{id, join_path(root.raw, id), Fd(), std::nullopt};
  if (!root.fd.valid()) return c;
  c.dir.reset(openat(root.fd.get(), id.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!c.dir.valid()) {
    if (errno == ENOENT) return c;
    delegate("container directory is not a plain directory");
  }
  ReadResult r = read_bounded(c.dir.get(), SF::STATE, tsrun::STATE_FILE_NATIVE_LIMIT, true);
  if (r.err == ENOENT) return c;
  if (r.err) delegate("state.json unreadable here");
  ojson doc = ojson::parse(r.data, nullptr, false);
  if (doc.is_discarded()) delegate("state.json does not parse here");
  c.state = parse_state(doc);
  return c;
}

const ContainerState& loaded(const Container& c) {
  if (!c.state) fail("container does not exist");
  return *c.state;
}

std::string status_of(const Container& c, const ContainerState& st, bool may_delegate) {
  if (!same_live_process(st.pid, st.pid_start_time)) return "stopped";
  struct stat sb;
  if (fstatat(c.dir.get(), SF::FIFO, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(sb.st_mode)) {
      if (may_delegate) delegate("exec.fifo is a symlink");
      fail(c.path + "/" + SF::FIFO + ": a symlink");
    }
    return "created";
  }
  return is_frozen(st.cgroup) ? "paused" : "running";
}

ojson oci_state(const Container& c, const ContainerState& st, const std::string& status) {
  ojson o = ojson::object();
  o["ociVersion"] = st.oci_version;
  o["id"] = st.id;
  o["pid"] = status == "stopped" ? 0 : st.pid;
  o["status"] = status;
  o["bundle"] = st.bundle;
  o["rootfs"] = st.rootfs;
  o["created"] = st.created;
  o["owner"] = "";
  if (st.annotations.is_object() && !st.annotations.empty()) o["annotations"] = st.annotations;
  if (status == "stopped" && st.shim)
    if (auto e = exit_fields(c))
      for (auto it = e->begin(); it != e->end(); ++it) o[it.key()] = it.value();
  return o;
}

std::string js_stringify(const ojson& doc, int indent) {
  // Strings parsed from JSON are valid UTF-8; a name from /etc/passwd might not be: replaced, as Node decodes it.
  return doc.dump(indent, ' ', false, ojson::error_handler_t::replace);
}

}  // namespace front
