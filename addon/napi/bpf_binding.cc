// eBPF primitives for the cgroup v2 device controller: load a BPF_PROG_TYPE_CGROUP_DEVICE program and attach
// it to (or detach it from) a cgroup directory. The program itself is generated in TypeScript.
#include <napi.h>

#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "napi_error.h"

namespace {

long sys_bpf(int cmd, union bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

Napi::Value Fail(Napi::Env env, const char* what) {
  int err = errno;
  return tsrun_napi::ThrowError(env, {std::string(what) + ": " + std::strerror(err), err, "bpf", "", ""});
}

// bpfLoadDeviceProgram(insns: Buffer, license: string) → program fd
Napi::Value LoadDeviceProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Buffer<uint8_t> insns = info[0].As<Napi::Buffer<uint8_t>>();
  std::string license = info[1].As<Napi::String>().Utf8Value();
  std::vector<char> log(65536);
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(insns.Data());
  attr.insn_cnt = static_cast<uint32_t>(insns.Length() / 8);
  attr.license = reinterpret_cast<uint64_t>(license.c_str());
  attr.log_buf = reinterpret_cast<uint64_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  attr.log_level = 1;
  long fd = sys_bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0) {
    int err = errno;
    std::string msg = std::string("BPF_PROG_LOAD: ") + std::strerror(err);
    if (log[0] != 0) msg += " (verifier: " + std::string(log.data()).substr(0, 2000) + ")";
    return tsrun_napi::ThrowError(env, {msg, err, "bpf", "", ""});
  }
  return Napi::Number::New(env, static_cast<double>(fd));
}

// bpfAttachDevice(cgroupFd, progFd): BPF_CGROUP_DEVICE with BPF_F_ALLOW_MULTI, as runc does.
Napi::Value AttachDevice(const Napi::CallbackInfo& info) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.target_fd = info[0].As<Napi::Number>().Uint32Value();
  attr.attach_bpf_fd = info[1].As<Napi::Number>().Uint32Value();
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0) return Fail(info.Env(), "BPF_PROG_ATTACH");
  return info.Env().Undefined();
}

// bpfDetachDevice(cgroupFd, progFd)
Napi::Value DetachDevice(const Napi::CallbackInfo& info) {
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.target_fd = info[0].As<Napi::Number>().Uint32Value();
  attr.attach_bpf_fd = info[1].As<Napi::Number>().Uint32Value();
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (sys_bpf(BPF_PROG_DETACH, &attr) < 0) return Fail(info.Env(), "BPF_PROG_DETACH");
  return info.Env().Undefined();
}

// bpfQueryDevice(cgroupFd) → fds of the device programs attached to the cgroup itself (caller closes them)
Napi::Value QueryDevice(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t ids[64];
  union bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = info[0].As<Napi::Number>().Uint32Value();
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = reinterpret_cast<uint64_t>(ids);
  attr.query.prog_cnt = 64;
  if (sys_bpf(BPF_PROG_QUERY, &attr) < 0) return Fail(env, "BPF_PROG_QUERY");
  Napi::Array out = Napi::Array::New(env);
  for (uint32_t i = 0; i < attr.query.prog_cnt && i < 64; i++) {
    union bpf_attr g;
    std::memset(&g, 0, sizeof(g));
    g.prog_id = ids[i];
    long fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
    if (fd < 0) return Fail(env, "BPF_PROG_GET_FD_BY_ID");
    out.Set(out.Length(), Napi::Number::New(env, static_cast<double>(fd)));
  }
  return out;
}

}  // namespace

void RegisterBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("bpfLoadDeviceProgram", Napi::Function::New(env, LoadDeviceProgram));
  exports.Set("bpfAttachDevice", Napi::Function::New(env, AttachDevice));
  exports.Set("bpfDetachDevice", Napi::Function::New(env, DetachDevice));
  exports.Set("bpfQueryDevice", Napi::Function::New(env, QueryDevice));
}
