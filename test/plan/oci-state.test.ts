import { describe, expect, it } from 'vitest';
import { ociStateDocument, ociStateTemplate, seccompAgentPayload } from '../../src/plan/oci-state.js';

const c = { ociVersion: '1.2.0', id: 'c1', bundle: '/b"q', annotations: { k: 'v' } };

describe('the OCI state document', () => {
  it("has the runtime-spec's fields in its order; no pid when stopped or unknown, no empty annotations", () => {
    expect(JSON.stringify(ociStateDocument(c, 'running', 42))).toBe(
      '{"ociVersion":"1.2.0","id":"c1","status":"running","pid":42,"bundle":"/b\\"q","annotations":{"k":"v"}}',
    );
    expect(ociStateDocument(c, 'stopped', 42).pid).toBeUndefined();
    expect('pid' in ociStateDocument(c, 'created', 0)).toBe(false);
    expect('annotations' in ociStateDocument({ ...c, annotations: {} }, 'created', 1)).toBe(false);
  });

  it('as text around a pid is the same document', () => {
    for (const a of [c.annotations, undefined]) {
      const t = ociStateTemplate({ ...c, annotations: a }, 'created');
      expect(t.before + 99 + t.after).toBe(JSON.stringify(ociStateDocument({ ...c, annotations: a }, 'created', 99)));
    }
  });

  it("is the state inside runc's ContainerProcessState for a seccomp agent", () => {
    const p = seccompAgentPayload(c, 'creating', 'meta');
    const doc = JSON.parse(p.join('5')) as Record<string, unknown>;
    expect(doc).toEqual({ ociVersion: '1.2.0', fds: ['seccompFd'], pid: 5, metadata: 'meta', state: ociStateDocument(c, 'creating', 5) });
    expect(Object.keys(doc)).toEqual(['ociVersion', 'fds', 'pid', 'metadata', 'state']);
  });
});
