// compileSeccomp(defaultAction, architectures, rules) → { program: Buffer, skipped: string[] }
#include <napi.h>

#include "../core/seccomp_compile.h"

void RegisterSeccomp(Napi::Env env, Napi::Object exports) {
  exports.Set("compileSeccomp", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Error::New(info.Env(), "compileSeccomp: not implemented").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }));
}
