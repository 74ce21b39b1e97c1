// list: every container under the root (src/runtime/list.ts): runc's table, JSON, or the ids alone.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "error.h"
#include "files.h"
#include "state_dir.h"
#include "verbs.h"

namespace front {

namespace {

// Ids of every container directory under the root (listIds): real directories with a valid id, sorted.
std::vector<std::string> list_ids(const Root& root) {
  std::vector<std::string> ids;
  if (!root.fd.valid()) return ids;
  int dup = fcntl(root.fd.get(), F_DUPFD_CLOEXEC, 0);
  DIR* d = dup < 0 ? nullptr : fdopendir(dup);
  if (!d) delegate("state root unreadable");
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    bool dir = e->d_type == DT_DIR;
    struct stat st;
    if (e->d_type == DT_UNKNOWN) dir = fstatat(root.fd.get(), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (dir && id_ok(n)) ids.push_back(n);
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// The owner's name from /etc/passwd, else "#uid", as the TS side (src/runtime/list.ts) reads it.
std::string user_name(uid_t uid) {
  ReadResult r = read_bounded(AT_FDCWD, "/etc/passwd", 4 << 20, false);
  if (r.err == EFBIG) delegate("/etc/passwd too large");
  for (size_t p = 0; !r.err && p < r.data.size();) {
    size_t nl = r.data.find('\n', p);
    std::string line = r.data.substr(p, nl == std::string::npos ? std::string::npos : nl - p);
    p = nl == std::string::npos ? r.data.size() : nl + 1;
    size_t c1 = line.find(':'), c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    size_t c3 = line.find(':', c2 + 1);
    std::string f = line.substr(c2 + 1, c3 == std::string::npos ? std::string::npos : c3 - c2 - 1);
    // Number(field) also reads " 0", "0x0", "1e0": such a file is left to the JS side.
    if (f.empty() || f.size() > 10 || f.find_first_not_of("0123456789") != std::string::npos) delegate("odd /etc/passwd");
    if (std::stoull(f) == uid) return line.substr(0, c1);
  }
  return "#" + std::to_string(uid);
}

// String length as JavaScript counts it (UTF-16 code units), for padEnd.
size_t js_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char ch : s) {
    if ((ch & 0xc0) != 0x80) n++;
    if (ch >= 0xf0) n++;  // a 4-byte sequence is a surrogate pair
  }
  return n;
}

// runc's tabwriter layout: columns padded to the widest cell plus one space.
std::string table(const std::vector<ojson>& entries) {
  std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (auto& e : entries)
    rows.push_back({e["id"].get<std::string>(), std::to_string(e["pid"].get<int64_t>()), e["status"].get<std::string>(),
                    e["bundle"].get<std::string>(), e["created"].get<std::string>(), e["owner"].get<std::string>()});
  std::vector<size_t> width(6, 0);
  for (auto& r : rows)
    for (size_t i = 0; i < 6; i++) width[i] = std::max(width[i], js_length(r[i]));
  std::string out;
  for (size_t k = 0; k < rows.size(); k++) {
    for (size_t i = 0; i < 6; i++) {
      out += rows[k][i];
      if (i < 5) out.append(width[i] + 1 - js_length(rows[k][i]), ' ');
    }
    out += k + 1 < rows.size() ? "\n" : "";
  }
  return out + "\n";
}

}  // namespace

int verb_list(const Args& a) {
  Root root = open_root(a.root);
  std::vector<ojson> entries;
  for (const std::string& id : list_ids(root)) {
    Container c = open_container(root, id);
    if (!c.state) continue;
    ojson e = oci_state(c, *c.state, status_of(c, *c.state));
    struct stat st;
    if (fstat(c.dir.get(), &st) != 0) delegate("container directory unreadable");
    e["owner"] = user_name(st.st_uid);
    entries.push_back(std::move(e));
  }
  std::string out;
  if (a.quiet)
    for (auto& e : entries) out += e["id"].get<std::string>() + "\n";
  else if (a.json)
    out = js_stringify(ojson(entries), -1) + "\n";
  else
    out = table(entries);
  print_stdout(out);
  return 0;
}

}  // namespace front
