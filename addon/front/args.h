// The command line, read as runc's parser (and tsrun's JS CLI, src/cli/global.ts) reads it. Only the forms
// whose meaning is certain are accepted; anything else is delegated to tsrun-js, which owns usage errors,
// help, version and every other verb.
#pragma once
#include <optional>
#include <string>

#include "error.h"

namespace front {

enum class Verb { State, Start, Kill, Delete, List, Ps };

struct Args {
  std::string root;  // default_root() unless --root is given
  std::string log;  // "" without --log
  bool log_json = false;
  bool debug = false;
  Verb verb = Verb::State;
  std::string id;
  std::string signal;  // kill: as given ("" means SIGTERM)
  bool all = false;    // kill --all
  bool force = false;  // delete --force
  bool json = false;   // list/ps --format json
  bool quiet = false;  // list --quiet
  // Set (nothing else is) for a command the native verbs do not have: create, run, exec, ... are handed over
  // without a throw, because a process's first C++ exception costs ~0.5 ms (the unwinder reads the frame tables).
  std::optional<Delegate> not_native;
};

// Throws Delegate for anything else the native verbs do not take exactly as the JS CLI would.
Args parse_args(int argc, char** argv);

bool valid_utf8(const std::string& s);

}  // namespace front
