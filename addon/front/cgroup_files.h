// cgroupfs files as the TS side's CgroupFiles and procs.ts handle them: existence, writes worded like runc's,
// the processes of a cgroup and its sub-cgroups, waiting on cgroup.events, removal, the v1 freezer.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace front {

bool exists(const std::string& p);
// dir + "/" + file (joinFile).
std::string join_file(const std::string& dir, const std::string& file);
// CgroupFiles.write: "open <path>: …" when the file cannot be opened, else runc's "failed to write …".
void write_file(const std::string& dir, const std::string& file, const std::string& data);
// The sub-directories of dir; *err is the errno of a failure.
std::vector<std::string> subdirs(const std::string& dir, int* err);
// readAllProcs: false with *why on a failure (a sub-cgroup removed meanwhile is skipped).
bool read_all_procs(const std::string& dir, bool top, std::vector<int64_t>* out, std::string* why);
// Waits (poll on cgroup.events, no sleep) until its line `key` reads `value`; false on timeout.
bool wait_events(const std::string& dir, const char* key, char value, int timeout_ms);
// removeCgroup: leaf first; EBUSY waited out on events_dir's cgroup.events, or runc's back-off without one.
void remove_cgroup(const std::string& path, const std::string& events_dir);
// freezeV1: FROZEN written until freezer.state says so (runc's bounded retries); thawed again on failure.
void freeze_v1(const std::string& dir);

}  // namespace front
