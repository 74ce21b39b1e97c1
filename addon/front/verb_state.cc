// state: the OCI state document (src/cli/commands/state.ts), JSON with two-space indentation.
#include "error.h"
#include "files.h"
#include "state_dir.h"
#include "verbs.h"

namespace front {

void print_stdout(const std::string& s) {
  if (!write_all(1, s)) fail("write", errno, "write");
}

int verb_state(const Args& a) {
  validate_id(a.id);
  Root root = open_root(a.root);
  Container c = open_container(root, a.id);
  const ContainerState& st = loaded(c);
  print_stdout(js_stringify(oci_state(c, st, status_of(c, st)), 2) + "\n");
  return 0;
}

}  // namespace front
