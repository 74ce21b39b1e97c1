// runc-compatible logging, as src/log.ts does it: --log FILE gets logrus text or JSON lines; without it
// warnings go to stderr and the fatal error is printed as plain text.
#pragma once
#include <string>

namespace front {

// Opens --log FILE (O_APPEND|O_CREAT|O_NOFOLLOW, regular file or character device). Throws an Error whose
// message the caller prints plainly (it is not a log line).
void log_open(const std::string& file, bool json);

void log_warn(const std::string& msg);
// The fatal error of this call: a line in the log file (if any) and the plain message on stderr.
void log_fatal(const std::string& msg);

// JSON.stringify of one string (quotes and escapes exactly as JavaScript does).
std::string js_quote(const std::string& s);

}  // namespace front
