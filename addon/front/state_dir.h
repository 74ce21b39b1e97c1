// The state directory, read as src/runtime/state.ts reads it: <root>/<id>/ with state.json, exec.fifo and the
// shim's exit.json (names and fields: addon/core/contract.h, generated from src/native/contract.ts). The root is
// trusted only as checkRoot trusts it; nothing below it is reached through a symlink.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fd.h"

namespace front {

using ojson = nlohmann::ordered_json;

struct CgroupRecord {
  std::string driver;  // cgroupfs | systemd
  std::string mode;    // v1 | hybrid | v2
  std::vector<std::pair<std::string, std::string>> v1;  // controller → directory, in state.json's order
  std::optional<std::string> v2;
  bool has_layout_v2 = false;
};

struct ShimRecord {
  int64_t pid = 0;
  std::string start_time;
};

struct ContainerState {
  std::string id, oci_version, pid_start_time, bundle, rootfs, created;
  int64_t pid = 0;
  bool private_pidns = false;
  ojson annotations;  // null or an object of strings
  bool poststart_hooks = false, poststop_hooks = false;
  std::optional<CgroupRecord> cgroup;
  std::optional<ShimRecord> shim;
  std::optional<std::string> log_dir;
};

// The state root: checkRoot's rule (owned by us or root, writable by nobody else). `fd` is invalid when the
// root does not exist yet (nothing to trust, no container).
struct Root {
  std::string raw;  // as given, for messages
  tsrun::Fd fd;
};
Root open_root(const std::string& raw);

struct Container {
  std::string id;
  std::string path;  // join(root, id), for messages
  tsrun::Fd dir;     // invalid: no such directory
  std::optional<ContainerState> state;  // none: no state.json (an aborted create)
};

// validateId's rule; throws "invalid container ID format".
void validate_id(const std::string& id);
bool id_ok(const std::string& id);

// Opens <root>/<id> and reads its state.json (StateDir.exists + read). Delegates what the native side does
// not read exactly as the TypeScript side would (a symlink, an unreadable or unusual state.json).
Container open_container(const Root& root, const std::string& id);
// As StateDir.load: "container does not exist" without a state.
const ContainerState& loaded(const Container& c);

// statusOf: created | running | paused | stopped, from reality (the init alive, exec.fifo, the freezer).
// An exec.fifo that is a symlink is delegated, or (once side effects began) an error.
std::string status_of(const Container& c, const ContainerState& st, bool may_delegate = true);

// ociState: the document `state` prints and `list` extends.
ojson oci_state(const Container& c, const ContainerState& st, const std::string& status);

// JSON.stringify of a document: compact (indent < 0) or indented.
std::string js_stringify(const ojson& doc, int indent);

}  // namespace front
