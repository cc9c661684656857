// The admin API as the console calls it: same origin, the session cookie, and the session's CSRF
// token on every request that may change something (docs/security.md, "The web console").

let current = null;

/** An answer other than 2xx: the API's JSON error (error, message, reason, errors[]) and the status. */
export class ApiFailure extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

/** Who is signed in ({name, role, login, csrf, kinds}); sends the browser to the login page on 401. */
export async function session() {
  if (current) return current;
  const res = await fetch('/console/session', { credentials: 'same-origin' });
  if (res.status === 401) {
    location.assign('/console/login');
    throw new ApiFailure(401, { message: 'signed out' });
  }
  current = await res.json();
  return current;
}

/**
 * Calls the admin API (or the console's data paths). `body` is sent as is with `type`
 * (JSON by default); an object body is sent as JSON. Resolves to the parsed JSON, or text for YAML.
 */
export async function call(path, { method = 'GET', body, type = 'application/json', accept = 'json' } = {}) {
  const s = await session();
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD' && s.csrf) headers['X-Sluice-Csrf'] = s.csrf;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = type;
    payload = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (res.status === 401) {
    current = null;
    location.assign('/console/login');
    throw new ApiFailure(401, { message: 'signed out' });
  }
  const text = await res.text();
  if (!res.ok) {
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      parsed = { message: text };
    }
    throw new ApiFailure(res.status, parsed);
  }
  return accept === 'text' ? text : JSON.parse(text);
}

/** Ends the session and goes to the login page. */
export async function logout() {
  await call('/console/session', { method: 'DELETE' });
  current = null;
  location.assign('/console/login');
}
