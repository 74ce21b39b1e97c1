// The verbs answered natively. Each returns the exit status; failures are thrown as Error (error.h), and a
// case left to the JS implementation is thrown as Delegate before anything changed.
#pragma once
#include "args.h"

namespace front {

int verb_state(const Args& a);
int verb_start(const Args& a);
int verb_kill(const Args& a);
int verb_delete(const Args& a);
int verb_list(const Args& a);
int verb_ps(const Args& a);

// Writes a command's output on stdout ("write: <errno words>" if that fails, as Node's writeSync reports it).
void print_stdout(const std::string& s);

}  // namespace front
