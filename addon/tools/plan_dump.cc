// tsrun-plan-dump: decodes a plan (u32 length + bytes on stdin, as the launcher reads it) with the launcher's
// own decoder and prints it as JSON. Used by test/native to check the TypeScript encoder against the C++ side.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "../core/plan.h"
#include "../core/sys.h"
#include "json_quote.h"

using namespace tsrun;

static std::string q(const char* s) { return tsrun_tools::json_quote(s, false); }

static std::string strs(const std::vector<const char*>& v) {
  std::string o = "[";
  for (size_t i = 0; i < v.size(); i++) {
    if (v[i] == nullptr) break;
    if (i) o += ",";
    o += q(v[i]);
  }
  return o + "]";
}

int main() {
  uint32_t len = 0;
  if (read_full(0, &len, 4) != 0) return 2;
  std::vector<uint8_t> buf(len);
  if (read_full(0, buf.data(), len) != 0) return 2;
  Plan p;
  std::string err;
  if (!decode_plan(buf, &p, &err)) {
    std::printf("{\"error\":%s}\n", q(err.c_str()).c_str());
    return 1;
  }
  std::string o = "{";
  o += "\"mode\":" + std::to_string(p.mode) + ",\"nsNew\":" + std::to_string(p.ns_new) + ",\"joins\":[";
  for (size_t i = 0; i < p.joins.size(); i++)
    o += (i ? "," : "") + std::string("{\"type\":") + std::to_string(p.joins[i].type) + ",\"path\":" + q(p.joins[i].path) + "}";
  o += "],\"timens\":" + std::string(p.timens ? "[" + std::to_string(p.timens_offsets[0]) + "," + std::to_string(p.timens_offsets[1]) + "," +
                                                   std::to_string(p.timens_offsets[2]) + "," + std::to_string(p.timens_offsets[3]) + "]"
                                             : "null");
  auto maps = [&](const std::vector<IdMap>& m) {
    std::string s = "[";
    for (size_t i = 0; i < m.size(); i++)
      s += (i ? "," : "") + std::string("[") + std::to_string(m[i].inside) + "," + std::to_string(m[i].outside) + "," +
           std::to_string(m[i].size) + "]";
    return s + "]";
  };
  o += ",\"uidMaps\":" + maps(p.uid_maps) + ",\"gidMaps\":" + maps(p.gid_maps);
  o += ",\"setgroupsDeny\":" + std::string(p.setgroups_deny ? "true" : "false");
  o += ",\"fifo\":" + q(p.fifo) + ",\"consoleSocket\":" + (p.console_socket ? q(p.console_socket) : "null");
  o += ",\"consoleSize\":[" + std::to_string(p.console_rows) + "," + std::to_string(p.console_cols) + "]";
  o += ",\"ops\":[";
  for (size_t i = 0; i < p.ops.size(); i++) {
    const Op& op = p.ops[i];
    o += (i ? "," : "") + std::string("{\"kind\":") + std::to_string(op.kind) + ",\"flags\":" + std::to_string(op.flags) +
         ",\"a\":\"" + std::to_string(op.a) + "\",\"b\":\"" + std::to_string(op.b) + "\",\"c\":\"" + std::to_string(op.c) +
         "\",\"d\":\"" + std::to_string(op.d) + "\",\"s\":[" + q(op.s[0]) + "," + q(op.s[1]) + "," + q(op.s[2]) + "," +
         q(op.s[3]) + "]}";
  }
  o += "],\"argv\":" + strs(p.argv) + ",\"envp\":" + strs(p.envp) + ",\"exe\":" + strs(p.exe);
  o += ",\"cwd\":" + q(p.cwd) + ",\"uid\":" + std::to_string(p.uid) + ",\"gid\":" + std::to_string(p.gid) +
       ",\"umask\":" + std::to_string(p.umask) + ",\"groups\":[";
  for (size_t i = 0; i < p.groups.size(); i++) o += (i ? "," : "") + std::to_string(p.groups[i]);
  o += "],\"caps\":" + std::string(p.has_caps ? "[\"" + std::to_string(p.cap_bounding) + "\",\"" + std::to_string(p.cap_effective) +
                                                   "\",\"" + std::to_string(p.cap_permitted) + "\",\"" +
                                                   std::to_string(p.cap_inheritable) + "\",\"" + std::to_string(p.cap_ambient) +
                                                   "\"," + std::to_string(p.cap_last) + "]"
                                             : "null");
  o += ",\"rlimits\":[";
  for (size_t i = 0; i < p.rlimits.size(); i++)
    o += (i ? "," : "") + std::string("[") + std::to_string(p.rlimits[i].resource) + ",\"" + std::to_string(p.rlimits[i].soft) +
         "\",\"" + std::to_string(p.rlimits[i].hard) + "\"]";
  o += "],\"processFlags\":" + std::to_string(p.process_flags) + ",\"keyring\":" + (p.keyring ? q(p.keyring) : "null");
  o += ",\"preserveFds\":" + std::to_string(p.preserve_fds) + ",\"oomScoreAdj\":" + (p.has_oom ? std::to_string(p.oom_score_adj) : "null");
  o += ",\"hooks\":[";
  for (size_t i = 0; i < p.hooks.size(); i++) {
    const PlanHook& h = p.hooks[i];
    o += (i ? "," : "") + std::string("{\"phase\":") + std::to_string(h.phase) + ",\"timeout\":" + std::to_string(h.timeout) +
         ",\"path\":" + q(h.path) + ",\"args\":" + strs(h.argv) + ",\"env\":" + strs(h.envp) + "}";
  }
  o += "],\"hookStates\":[";
  for (size_t i = 0; i < p.hook_states.size(); i++)
    o += (i ? "," : "") + std::string("{\"phase\":") + std::to_string(p.hook_states[i].phase) + ",\"before\":" +
         q(p.hook_states[i].before) + ",\"after\":" + q(p.hook_states[i].after) + "}";
  o += "]}";
  std::printf("%s\n", o.c_str());
  return 0;
}
