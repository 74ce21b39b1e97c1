import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JS module shared with the scripts
import { hermeticEnv } from '../../scripts/lib/hermetic-env.mjs';
// @ts-expect-error: plain JS module shared with the scripts
import { Engines } from '../../scripts/lib/engines.mjs';

describe('the tests’ environment', () => {
  it('drops what changes a runtime’s or an engine’s behaviour, keeps the rest', () => {
    const env = hermeticEnv({
      PATH: '/root/bin:/usr/bin',
      HOME: '/root',
      NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt',
      NODE_OPTIONS: '--require /x.js',
      NOTIFY_SOCKET: '/run/systemd/notify',
      LISTEN_FDS: '2',
      LISTEN_PID: '1',
      DOCKER_HOST: 'tcp://elsewhere:2375',
      CONTAINERD_NAMESPACE: 'k8s.io',
      CONTAINERS_CONF: '/etc/containers/containers.conf',
      XDG_RUNTIME_DIR: '/run/user/0',
      TMPDIR: '/root/tmp',
      LC_ALL: 'de_DE.UTF-8',
      LANG: 'de_DE.UTF-8',
    });
    expect(env).toEqual({
      PATH: '/root/bin:/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
    });
  });

  it('is the environment these tests run in', () => {
    for (const k of ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NOTIFY_SOCKET', 'LISTEN_FDS', 'DOCKER_HOST', 'TMPDIR']) expect(process.env[k], k).toBeUndefined();
    expect(process.env.PATH?.split(':')).toContain('/usr/sbin');
  });
});

describe('the private engines’ command lines', () => {
  const e = new Engines('/w', '/rt');
  it('give docker containers no network, so no warning depends on the host’s ip_forward', () => {
    expect(e.docker('run', '--rm', 'img', 'true')[1]).toEqual(['--config', '/w/docker/client', '-H', 'unix:///w/docker/docker.sock', 'run', '--network=none', '--rm', 'img', 'true']);
    expect(e.docker('create', 'img')[1]).toContain('--network=none');
    expect(e.docker('run', '--network', 'host', 'img')[1]).not.toContain('--network=none');
    expect(e.docker('run', '--net=host', 'img')[1]).not.toContain('--network=none');
    expect(e.docker('exec', 'c', 'true')[1]).not.toContain('--network=none');
    expect(e.docker('version')[1]).toEqual(['--config', '/w/docker/client', '-H', 'unix:///w/docker/docker.sock', 'version']);
  });

  it('point podman at private configuration, storage and hooks', () => {
    expect(e.podmanEnv()).toMatchObject({ CONTAINERS_CONF: '/w/podman/containers.conf', CONTAINERS_STORAGE_CONF: '/w/podman/storage.conf' });
  });
});
