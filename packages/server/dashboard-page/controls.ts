// The control API of `little-raft local` (its supervisor answers it; a plain node does not):
// a failed call's one-line error is shown in the page.
export type NodeAction = 'kill' | 'restart' | 'pause' | 'resume' | 'cut' | 'heal' | 'remove';

export const NODE_ACTIONS: NodeAction[] = ['kill', 'restart', 'pause', 'resume', 'cut', 'heal', 'remove'];

async function post(path: string, body?: unknown): Promise<void> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (res.ok) return;
  const text = await res.text();
  let error = text.trim();
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') error = parsed.error;
  } catch {
    // not JSON: the text as it came
  }
  throw new Error(`${path}: ${res.status} ${error}`);
}

export function nodeAction(id: number, action: NodeAction): Promise<void> {
  return post(`/local/nodes/${id}/${action}`);
}

export function addNode(): Promise<void> {
  return post('/local/nodes');
}

export function setLoad(on: boolean): Promise<void> {
  return post('/local/load', { on });
}
