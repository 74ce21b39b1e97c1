// systemd over D-Bus with sd-bus (libsystemd): start or stop a unit and wait for its job's JobRemoved signal,
// as runc's systemd driver does. libsystemd is loaded with dlopen on first use, so the commands that never
// touch systemd do not pay for loading it (and the addon loads on hosts without it).
#include <napi.h>

#include <dlfcn.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "napi_error.h"

namespace {

struct SdBus {
  decltype(&sd_bus_open_system) open_system;
  decltype(&sd_bus_open_user) open_user;
  decltype(&sd_bus_get_property_string) get_property_string;
  decltype(&sd_bus_flush_close_unref) flush_close_unref;
  decltype(&sd_bus_match_signal) match_signal;
  decltype(&sd_bus_slot_unref) slot_unref;
  decltype(&sd_bus_call_method) call_method;
  decltype(&sd_bus_message_new_method_call) new_method_call;
  decltype(&sd_bus_message_append) append;
  decltype(&sd_bus_message_open_container) open_container;
  decltype(&sd_bus_message_close_container) close_container;
  decltype(&sd_bus_message_read) read;
  decltype(&sd_bus_message_unref) message_unref;
  decltype(&sd_bus_call) call;
  decltype(&sd_bus_process) process;
  decltype(&sd_bus_wait) wait;
  decltype(&sd_bus_error_free) error_free;
};

const SdBus* LoadSdBus(std::string& why) {
  static SdBus lib;
  static bool loaded = false;
  if (loaded) return &lib;
  void* h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* e = dlerror();
    why = e ? e : "dlopen libsystemd.so.0 failed";
    return nullptr;
  }
  bool ok = true;
  auto sym = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(h, name));
    if (fn == nullptr) ok = false;
  };
  sym(lib.open_system, "sd_bus_open_system");
  sym(lib.open_user, "sd_bus_open_user");
  sym(lib.get_property_string, "sd_bus_get_property_string");
  sym(lib.flush_close_unref, "sd_bus_flush_close_unref");
  sym(lib.match_signal, "sd_bus_match_signal");
  sym(lib.slot_unref, "sd_bus_slot_unref");
  sym(lib.call_method, "sd_bus_call_method");
  sym(lib.new_method_call, "sd_bus_message_new_method_call");
  sym(lib.append, "sd_bus_message_append");
  sym(lib.open_container, "sd_bus_message_open_container");
  sym(lib.close_container, "sd_bus_message_close_container");
  sym(lib.read, "sd_bus_message_read");
  sym(lib.message_unref, "sd_bus_message_unref");
  sym(lib.call, "sd_bus_call");
  sym(lib.process, "sd_bus_process");
  sym(lib.wait, "sd_bus_wait");
  sym(lib.error_free, "sd_bus_error_free");
  if (!ok) {
    why = "libsystemd.so.0 lacks an sd-bus function";
    return nullptr;
  }
  loaded = true;
  return &lib;
}

const char* const kDest = "org.freedesktop.systemd1";
const char* const kPath = "/org/freedesktop/systemd1";
const char* const kIface = "org.freedesktop.systemd1.Manager";

// A failure of one step: errno (positive), the step, and the D-Bus error's name and message where there is one.
struct BusError {
  int err = 0;
  std::string step;
  std::string name;
  std::string message;
};

Napi::Value Throw(Napi::Env env, const BusError& b) {
  std::string msg = b.step + ": " + (b.message.empty() ? std::strerror(b.err) : b.message);
  return tsrun_napi::ThrowError(env, {msg, b.err, b.step, "", b.name});
}

struct Bus {
  const SdBus* lib;
  sd_bus* bus = nullptr;
  sd_bus_slot* slot = nullptr;
  sd_bus_message* msg = nullptr;
  sd_bus_message* reply = nullptr;
  ~Bus() {
    if (reply) lib->message_unref(reply);
    if (msg) lib->message_unref(msg);
    if (slot) lib->slot_unref(slot);
    if (bus) lib->flush_close_unref(bus);
  }
};

struct JobWait {
  const SdBus* lib;
  std::string job;     // object path of our job, once known
  std::string result;  // set when its JobRemoved arrives
  std::vector<std::pair<std::string, std::string>> early;  // JobRemoved seen before the reply named our job
};

int OnJobRemoved(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* w = static_cast<JobWait*>(userdata);
  const SdBus* lib = w->lib;
  uint32_t id = 0;
  const char *path = nullptr, *unit = nullptr, *result = nullptr;
  if (lib->read(m, "uoss", &id, &path, &unit, &result) < 0 || path == nullptr || result == nullptr) return 0;
  if (!w->job.empty()) {
    if (w->job == path) w->result = result;
  } else {
    w->early.emplace_back(path, result);
  }
  return 0;
}

// Appends one (sv) property: [name, signature, value], signature one of s, b, t, u, au.
bool AppendProperty(const SdBus* lib, sd_bus_message* m, const Napi::Array& p, BusError& be) {
  std::string name = p.Get(0u).As<Napi::String>().Utf8Value();
  std::string sig = p.Get(1u).As<Napi::String>().Utf8Value();
  Napi::Value v = p.Get(2u);
  int r = lib->open_container(m, 'r', "sv");
  if (r >= 0) r = lib->append(m, "s", name.c_str());
  if (r >= 0) r = lib->open_container(m, 'v', sig.c_str());
  if (r >= 0) {
    if (sig == "s") {
      std::string s = v.As<Napi::String>().Utf8Value();
      r = lib->append(m, "s", s.c_str());
    } else if (sig == "b") {
      r = lib->append(m, "b", static_cast<int>(v.As<Napi::Boolean>().Value()));
    } else if (sig == "t") {
      bool lossless = true;
      r = lib->append(m, "t", static_cast<uint64_t>(v.As<Napi::BigInt>().Uint64Value(&lossless)));
      if (!lossless) r = -ERANGE;
    } else if (sig == "u") {
      r = lib->append(m, "u", v.As<Napi::Number>().Uint32Value());
    } else if (sig == "au") {
      Napi::Array a = v.As<Napi::Array>();
      r = lib->open_container(m, 'a', "u");
      for (uint32_t i = 0; r >= 0 && i < a.Length(); i++) r = lib->append(m, "u", a.Get(i).As<Napi::Number>().Uint32Value());
      if (r >= 0) r = lib->close_container(m);
    } else {
      r = -EINVAL;
    }
  }
  if (r >= 0) r = lib->close_container(m);
  if (r >= 0) r = lib->close_container(m);
  if (r < 0) {
    be = {-r, "append property " + name, "", ""};
    return false;
  }
  return true;
}

uint64_t NowUsec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

// The system's manager, or the user's (an ordinary user's containers: $DBUS_SESSION_BUS_ADDRESS or
// $XDG_RUNTIME_DIR/bus, as runc finds it).
bool OpenBus(Bus& b, bool user, BusError& be) {
  int r = user ? b.lib->open_user(&b.bus) : b.lib->open_system(&b.bus);
  if (r < 0) return be = {-r, user ? "sd_bus_open_user" : "sd_bus_open_system", "", ""}, false;
  return true;
}

// Sends the method call and waits until its job is removed; returns the job's result ("done", "failed", ...).
bool RunJob(Bus& b, const std::string& method, const std::string& unit, const Napi::Array& props, uint64_t timeout_us,
            bool user, std::string& result, BusError& be) {
  const SdBus* lib = b.lib;
  JobWait w{lib, "", "", {}};
  if (!OpenBus(b, user, be)) return false;
  int r;
  // Subscribed first, so the signal cannot come before the match exists.
  r = lib->match_signal(b.bus, &b.slot, kDest, kPath, kIface, "JobRemoved", OnJobRemoved, &w);
  if (r < 0) return be = {-r, "sd_bus_match_signal JobRemoved", "", ""}, false;
  r = lib->new_method_call(b.bus, &b.msg, kDest, kPath, kIface, method.c_str());
  if (r >= 0) r = lib->append(b.msg, "ss", unit.c_str(), "replace");
  if (r < 0) return be = {-r, "sd_bus_message_append", "", ""}, false;
  if (method == "StartTransientUnit") {
    r = lib->open_container(b.msg, 'a', "(sv)");
    if (r < 0) return be = {-r, "sd_bus_message_open_container", "", ""}, false;
    for (uint32_t i = 0; i < props.Length(); i++)
      if (!AppendProperty(lib, b.msg, props.Get(i).As<Napi::Array>(), be)) return false;
    r = lib->close_container(b.msg);
    if (r >= 0) r = lib->append(b.msg, "a(sa(sv))", 0);
    if (r < 0) return be = {-r, "sd_bus_message_append", "", ""}, false;
  }
  sd_bus_error err = SD_BUS_ERROR_NULL;
  r = lib->call(b.bus, b.msg, timeout_us, &err, &b.reply);
  if (r < 0) {
    be = {-r, method, err.name ? err.name : "", err.message ? err.message : ""};
    lib->error_free(&err);
    return false;
  }
  const char* job = nullptr;
  r = lib->read(b.reply, "o", &job);
  if (r < 0 || job == nullptr) return be = {r < 0 ? -r : EBADMSG, method + " reply", "", ""}, false;
  w.job = job;
  for (auto& [path, res] : w.early)
    if (path == w.job) w.result = res;
  uint64_t deadline = NowUsec() + timeout_us;
  while (w.result.empty()) {
    r = lib->process(b.bus, nullptr);
    if (r < 0) return be = {-r, "sd_bus_process", "", ""}, false;
    if (r > 0) continue;
    uint64_t now = NowUsec();
    if (now >= deadline) return be = {ETIMEDOUT, "waiting for the JobRemoved of " + w.job, "", ""}, false;
    r = lib->wait(b.bus, deadline - now);
    if (r < 0 && r != -EINTR) return be = {-r, "sd_bus_wait", "", ""}, false;
  }
  result = w.result;
  return true;
}

// systemdUnitJob(method: 'StartTransientUnit' | 'StopUnit', unit, props: [name, sig, value][], timeoutMs, user?)
//   → the job's result ("done" on success). Throws as napi_error.h says, the D-Bus error name in dbusError.
Napi::Value SystemdUnitJob(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string method = info[0].As<Napi::String>().Utf8Value();
  std::string unit = info[1].As<Napi::String>().Utf8Value();
  Napi::Array props = info[2].As<Napi::Array>();
  double ms = info[3].As<Napi::Number>().DoubleValue();
  if (method != "StartTransientUnit" && method != "StopUnit") return Throw(env, {EINVAL, "systemdUnitJob " + method, "", ""});
  if (!(ms > 0 && ms <= 600000)) return Throw(env, {ERANGE, "systemdUnitJob timeout", "", ""});
  std::string why;
  const SdBus* lib = LoadSdBus(why);
  if (lib == nullptr) return Throw(env, {ENOSYS, "load libsystemd", "", why});
  Bus b{lib};
  std::string result;
  BusError be;
  bool user = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
  if (!RunJob(b, method, unit, props, static_cast<uint64_t>(ms * 1000), user, result, be)) return Throw(env, be);
  return Napi::String::New(env, result);
}

// systemdManagerCgroup(user) → the manager's ControlGroup property: where its units' cgroups are (for the
// user's manager, /user.slice/user-UID.slice/user@UID.service).
Napi::Value SystemdManagerCgroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool user = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  std::string why;
  const SdBus* lib = LoadSdBus(why);
  if (lib == nullptr) return Throw(env, {ENOSYS, "load libsystemd", "", why});
  Bus b{lib};
  BusError be;
  if (!OpenBus(b, user, be)) return Throw(env, be);
  sd_bus_error err = SD_BUS_ERROR_NULL;
  char* out = nullptr;
  int r = lib->get_property_string(b.bus, kDest, kPath, kIface, "ControlGroup", &err, &out);
  if (r < 0) {
    be = {-r, "get ControlGroup", err.name ? err.name : "", err.message ? err.message : ""};
    lib->error_free(&err);
    return Throw(env, be);
  }
  std::string cg = out ? out : "";
  free(out);
  return Napi::String::New(env, cg);
}

}  // namespace

void RegisterSdBus(Napi::Env env, Napi::Object exports) {
  exports.Set("systemdUnitJob", Napi::Function::New(env, SystemdUnitJob));
  exports.Set("systemdManagerCgroup", Napi::Function::New(env, SystemdManagerCgroup));
}
