// The dashboard's side of /dashboard/api: the session token (sessionStorage, sent in a header,
// never a cookie), JSON requests, and the live event stream read with fetch (EventSource cannot
// send a header).
const KEY = 'clawmedic.session';
const API = '/dashboard/api';

export class SignedOut extends Error {}

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  get operator() {
    return sessionStorage.getItem(`${KEY}.operator`);
  },
  save(answer) {
    sessionStorage.setItem(KEY, answer.token);
    sessionStorage.setItem(`${KEY}.operator`, answer.operator);
  },
  clear() {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(`${KEY}.operator`);
  },
};

/** One request; rejects with the medic's one-line error, or SignedOut on 401. */
export async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${API}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  const json = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== '/session') {
    session.clear();
    throw new SignedOut(json.error ?? 'signed out');
  }
  if (!res.ok) throw new Error(json.error ?? `${res.status} ${res.statusText}`);
  return json;
}

export async function signIn(body) {
  const answer = await call('POST', '/session', body);
  session.save(answer);
  return answer;
}

/**
 * Listens to the medic's events until `signal` aborts: `onEvent(name, data)` for each,
 * `onState('live' | 'offline')` as the stream comes and goes; reconnects after a pause.
 */
export async function listen(onEvent, onState, signal) {
  while (!signal.aborted && session.token) {
    try {
      const res = await fetch(`${API}/events`, { headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' }, signal, credentials: 'omit', cache: 'no-store' });
      if (res.status === 401) {
        session.clear();
        onEvent('signed-out', {});
        return;
      }
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      onState('live');
      await readFrames(res.body, onEvent);
    } catch (err) {
      if (signal.aborted) return;
    }
    onState('offline');
    await new Promise((r) => setTimeout(r, 2000));
  }
}

async function readFrames(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (!data.length) continue;
      try {
        onEvent(name, JSON.parse(data.join('\n')));
      } catch {
        // a frame that is not JSON is not ours
      }
    }
  }
}
