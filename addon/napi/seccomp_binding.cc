// compileSeccomp(defaultAction, architectures, rules) → { program: Buffer, skipped: string[] }
#include <napi.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../core/seccomp_compile.h"
#include "napi_error.h"

namespace {

// A wrong shape is a bug of the caller, not a compile failure: TypeError, naming the offending path.
[[noreturn]] void BadType(Napi::Env env, const std::string& where, const char* expected) {
  throw Napi::TypeError::New(env, "compileSeccomp: " + where + " must be " + expected);
}

uint32_t U32(Napi::Env env, const Napi::Value& v, const std::string& where) {
  if (!v.IsNumber()) BadType(env, where, "a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || std::floor(d) != d) BadType(env, where, "an integer in [0, 2^32)");
  return static_cast<uint32_t>(d);
}

uint64_t U64(Napi::Env env, const Napi::Value& v, const std::string& where) {
  if (!v.IsBigInt()) BadType(env, where, "a bigint");
  bool lossless = false;
  uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throw Napi::RangeError::New(env, "compileSeccomp: " + where + " must be in [0, 2^64)");
  return r;
}

Napi::Array Arr(Napi::Env env, const Napi::Value& v, const std::string& where) {
  if (!v.IsArray()) BadType(env, where, "an array");
  return v.As<Napi::Array>();
}

std::string Str(Napi::Env env, const Napi::Value& v, const std::string& where) {
  if (!v.IsString()) BadType(env, where, "a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) BadType(env, where, "a string without NUL");
  return s;
}

std::string Idx(const std::string& base, uint32_t i) { return base + "[" + std::to_string(i) + "]"; }

// Go's lowercase strerror wording, as the rest of tsrun's messages.
std::string Lower(const char* s) {
  std::string r(s);
  if (!r.empty()) r[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(r[0])));
  return r;
}

Napi::Value CompileSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3) throw Napi::TypeError::New(env, "compileSeccomp: expected 3 arguments");
  uint32_t default_action = U32(env, info[0], "defaultAction");

  std::vector<std::string> archs;
  Napi::Array a = Arr(env, info[1], "architectures");
  for (uint32_t i = 0; i < a.Length(); i++) archs.push_back(Str(env, a.Get(i), Idx("architectures", i)));

  std::vector<tsrun::SeccompRuleSpec> rules;
  Napi::Array r = Arr(env, info[2], "rules");
  rules.reserve(r.Length());
  for (uint32_t i = 0; i < r.Length(); i++) {
    std::string where = Idx("rules", i);
    Napi::Value v = r.Get(i);
    if (!v.IsObject() || v.IsArray()) BadType(env, where, "an object");
    Napi::Object o = v.As<Napi::Object>();
    tsrun::SeccompRuleSpec spec;
    spec.name = Str(env, o.Get("name"), where + ".name");
    spec.action = U32(env, o.Get("action"), where + ".action");
    Napi::Array args = Arr(env, o.Get("args"), where + ".args");
    for (uint32_t j = 0; j < args.Length(); j++) {
      std::string aw = Idx(where + ".args", j);
      Napi::Array t = Arr(env, args.Get(j), aw);
      if (t.Length() != 4) BadType(env, aw, "[index, op, value, valueTwo]");
      tsrun::SeccompArg arg;
      arg.index = U32(env, t.Get(0u), aw + "[0]");
      arg.op = static_cast<int>(U32(env, t.Get(1u), aw + "[1]"));
      arg.value = U64(env, t.Get(2u), aw + "[2]");
      arg.value_two = U64(env, t.Get(3u), aw + "[3]");
      spec.args.push_back(arg);
    }
    rules.push_back(std::move(spec));
  }

  std::vector<uint8_t> program;
  std::vector<std::string> skipped;
  std::string what;
  int code = 0;
  if (!tsrun::compile_seccomp(default_action, archs, rules, &program, &skipped, &what, &code)) {
    // The libseccomp (or system) call that failed: the first word of `what`.
    throw tsrun_napi::MakeError(env, {what + ": " + Lower(std::strerror(code)), code, what.substr(0, what.find(' ')), "", ""});
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("program", Napi::Buffer<uint8_t>::Copy(env, program.data(), program.size()));
  Napi::Array sk = Napi::Array::New(env, skipped.size());
  for (uint32_t i = 0; i < skipped.size(); i++) sk.Set(i, Napi::String::New(env, skipped[i]));
  out.Set("skipped", sk);
  return out;
}

}  // namespace

void RegisterSeccomp(Napi::Env env, Napi::Object exports) {
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp));
}
