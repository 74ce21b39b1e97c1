// The environment the tests and benchmarks run in, made explicit instead of inherited from whoever started
// them. Every variable removed here changes what the runtime under test (or an engine in front of it) does, so a
// run on a developer's or CI machine must not depend on whether it happened to be set there:
//   NODE_OPTIONS, NODE_EXTRA_CA_CERTS, ...  change every Node start: time, and warnings on stderr (a missing CA file)
//   NOTIFY_SOCKET, LISTEN_*                 a runtime passes them to the container and waits for READY=1
//   DOCKER_*, CONTAINERD_*, CONTAINERS_*    point the engines' clients at other daemons, configs or namespaces
//   XDG_RUNTIME_DIR                         moves podman's and rootless runtimes' state
//   TMPDIR                                  bundles must be searchable by a container's mapped root: /tmp is
// and the locale and PATH are fixed (runc, containerd and the engines live in /usr/sbin and /usr/bin).
const DROP = [
  /^NODE_(OPTIONS|EXTRA_CA_CERTS|DEBUG|DEBUG_NATIVE|PENDING_DEPRECATION|NO_WARNINGS|REDIRECT_WARNINGS|V8_COVERAGE|COMPILE_CACHE|ICU_DATA|REPL_EXTERNAL_MODULE|TLS_REJECT_UNAUTHORIZED|USE_ENV_PROXY)$/,
  /^UV_THREADPOOL_SIZE$/,
  /^NOTIFY_SOCKET$/,
  /^LISTEN_(FDS|PID|FDNAMES)$/,
  /^DOCKER_/,
  /^CONTAINERD_/,
  /^CONTAINERS_/,
  /^XDG_RUNTIME_DIR$/,
  /^TMPDIR$/,
  /^LC_/,
];

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** A copy of `env` without the variables above, with LANG=C.UTF-8 and the system directories on PATH. */
export function hermeticEnv(env = process.env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !DROP.some((re) => re.test(k))) out[k] = v;
  out.LANG = 'C.UTF-8';
  const path = (out.PATH ?? '').split(':').filter(Boolean);
  for (const d of SYSTEM_PATH) if (!path.includes(d)) path.push(d);
  out.PATH = path.join(':');
  return out;
}

/** Replaces this process's environment by the hermetic one, so that everything it starts inherits it. */
export function makeEnvHermetic() {
  const clean = hermeticEnv(process.env);
  for (const k of Object.keys(process.env)) if (!(k in clean)) delete process.env[k];
  Object.assign(process.env, clean);
}
