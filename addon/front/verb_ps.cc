// ps --format json: the host pids of the container's processes (src/runtime/ps.ts); the table form runs ps(1)
// and is left to the JS implementation.
#include "cgroup.h"
#include "error.h"
#include "state_dir.h"
#include "verbs.h"

namespace front {

int verb_ps(const Args& a) {
  validate_id(a.id);
  Root root = open_root(a.root);
  Container c = open_container(root, a.id);
  const ContainerState& st = loaded(c);
  std::vector<int64_t> pids;
  if (st.cgroup) pids = Cgroup(*st.cgroup).pids(true);
  else if (status_of(c, st) != "stopped") pids = pidns_pids(st.pid, st.private_pidns);
  print_stdout(js_stringify(ojson(pids), -1) + "\n");
  return 0;
}

}  // namespace front
