/**
 * The runtime-spec's state document ({ociVersion, id, status, pid, bundle, annotations}), made here only:
 * hooks get it on stdin, `state` shows it (in runc's layout), the seccomp agent gets it inside runc's
 * ContainerProcessState. Where the init fills in its own pid, the same fields are written as text around it.
 */

export type OciStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** What names a container in its state document. */
export interface OciIdentity {
  ociVersion: string;
  id: string;
  bundle: string;
  annotations?: Record<string, string>;
}

export interface OciStateDocument {
  ociVersion: string;
  id: string;
  status: OciStatus;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

type Entry = [string, unknown];

/** The document's fields before and after the pid, in the runtime-spec's (and runc's) order. */
function entries(c: OciIdentity, status: OciStatus): { head: Entry[]; tail: Entry[] } {
  const tail: Entry[] = [['bundle', c.bundle]];
  if (c.annotations && Object.keys(c.annotations).length) tail.push(['annotations', c.annotations]);
  return { head: [['ociVersion', c.ociVersion], ['id', c.id], ['status', status]], tail };
}

/** The state document; a stopped container, or one without a process (pid ≤ 0), has no pid. */
export function ociStateDocument(c: OciIdentity, status: OciStatus, pid?: number): OciStateDocument {
  const { head, tail } = entries(c, status);
  const withPid: Entry[] = status !== 'stopped' && pid !== undefined && pid > 0 ? [['pid', pid]] : [];
  return Object.fromEntries([...head, ...withPid, ...tail]) as unknown as OciStateDocument;
}

const fields = (list: Entry[]) => list.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',');

/** The state document as JSON text around the pid, for a process that knows its pid only once it runs. */
export function ociStateTemplate(c: OciIdentity, status: OciStatus): { before: string; after: string } {
  const { head, tail } = entries(c, status);
  return { before: `{${fields(head)},"pid":`, after: `,${fields(tail)}}` };
}

/**
 * runc's ContainerProcessState for a seccomp agent, {ociVersion, fds, pid, metadata, state}, as text around
 * the two places the process's pid goes.
 */
export function seccompAgentPayload(c: OciIdentity, status: OciStatus, metadata: string): [string, string, string] {
  const state = ociStateTemplate(c, status);
  return [
    `{${fields([['ociVersion', c.ociVersion], ['fds', ['seccompFd']]])},"pid":`,
    `,${fields([['metadata', metadata]])},"state":${state.before}`,
    `${state.after}}`,
  ];
}
