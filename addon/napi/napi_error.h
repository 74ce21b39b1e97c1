// The one way every binding of the addon reports a failure to JavaScript (module.cc, seccomp_binding.cc,
// bpf_binding.cc, sdbus_binding.cc). The Error carries what Node's fs errors carry, with Node's sign:
//   errno   the errno, NEGATIVE (ENOENT → -2), as err.errno of node:fs and libuv
//   code    its symbolic name ('ENOENT'); 'E<n>' for a number glibc has no name for
//   syscall the step that failed (a syscall, or a library call such as sd_bus_open_system)
//   path    the path involved, where there is one
//   native  true: the message is already tsrun's final wording (src/errors.ts describeNodeError prints it as is)
// plus, from sd-bus only, dbusError: the D-Bus error name (org.freedesktop.systemd1.NoSuchUnit).
// The message is given by the caller, so each binding keeps its wording.
#pragma once

#include <napi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace tsrun_napi {

/** 'ENOENT' for 2 (sign ignored); 'E<n>' where glibc has no name. */
inline std::string ErrnoCode(int err) {
  int e = std::abs(err);
  const char* name = strerrorname_np(e);
  return name != nullptr ? std::string(name) : "E" + std::to_string(e);
}

struct ErrorInfo {
  std::string message;
  int err = 0;  // either sign; stored negative
  std::string syscall;
  std::string path;       // empty: none
  std::string dbusError;  // empty: none
};

inline Napi::Error MakeError(Napi::Env env, const ErrorInfo& i) {
  Napi::Error e = Napi::Error::New(env, i.message);
  int err = std::abs(i.err);
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("code", Napi::String::New(env, ErrnoCode(err)));
  e.Set("syscall", Napi::String::New(env, i.syscall));
  if (!i.path.empty()) e.Set("path", Napi::String::New(env, i.path));
  if (!i.dbusError.empty()) e.Set("dbusError", Napi::String::New(env, i.dbusError));
  e.Set("native", Napi::Boolean::New(env, true));
  return e;
}

/** "<syscall>[ <path>]: <strerror>", the wording of module.cc's errors. */
inline Napi::Error ErrnoError(Napi::Env env, int err, const std::string& syscall, const std::string& path = "") {
  std::string msg = syscall + (path.empty() ? "" : " " + path) + ": " + std::strerror(std::abs(err));
  return MakeError(env, {msg, err, syscall, path, ""});
}

/** Throws ErrnoError (as a pending JavaScript exception) and returns undefined, for `return Throw...;`. */
inline Napi::Value ThrowErrno(Napi::Env env, int err, const std::string& syscall, const std::string& path = "") {
  ErrnoError(env, err, syscall, path).ThrowAsJavaScriptException();
  return env.Undefined();
}

inline Napi::Value ThrowError(Napi::Env env, const ErrorInfo& i) {
  MakeError(env, i).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace tsrun_napi
