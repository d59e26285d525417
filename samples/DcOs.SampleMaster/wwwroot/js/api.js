// The sample master's HTTP API (docs/http-api.md), with errors turned into one readable line.

const TIMEOUT_MS = 5000;

/** A failed request: `unreachable` when no HTTP answer came back at all. */
export class ApiError extends Error {
  constructor(method, path, status, detail, unreachable) {
    super(unreachable
      ? `Master API unreachable: ${method} ${path}: ${detail}`
      : `${method} ${path} failed (${status}): ${detail}`);
    this.method = method;
    this.path = path;
    this.status = status;
    this.detail = detail;
    this.unreachable = unreachable;
  }
}

const TOKEN_KEY = 'dcos-admin-token';

/** The admin token the operator logged in with (kept for this browser tab only), or null. */
export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
  },
};

async function request(method, path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...(session.token ? { Authorization: `Bearer ${session.token}` } : {}),
      },
      body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
      signal: controller.signal,
      cache: 'no-store',
    });
  } catch (e) {
    const why = e.name === 'AbortError' ? `no answer within ${TIMEOUT_MS / 1000} s` : (e.message || String(e));
    throw new ApiError(method, path, 0, why, true);
  } finally {
    clearTimeout(timer);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    const detail = data && typeof data === 'object' && data.error ? data.error
      : (typeof data === 'string' && data.trim() ? data.trim().slice(0, 200) : response.statusText || 'no details');
    throw new ApiError(method, path, response.status, detail, false);
  }
  return data;
}

/** The key the API addresses an app or job by, one path segment: "/team/web" is "team_web". */
const key = (id) => encodeURIComponent(String(id).replace(/^\/+|\/+$/g, '').replaceAll('/', '_'));
const seg = (id) => encodeURIComponent(String(id));

export const api = {
  agents: () => request('GET', '/api/agents'),
  drainAgent: (id) => request('POST', `/api/agents/${seg(id)}/drain`),
  reactivateAgent: (id) => request('POST', `/api/agents/${seg(id)}/reactivate`),
  frameworks: () => request('GET', '/api/frameworks'),

  tasks: () => request('GET', '/api/tasks'),
  taskLog: (id, file, bytes = 65536) =>
    request('GET', `/api/tasks/${seg(id)}/logs?file=${encodeURIComponent(file)}&offset=-${bytes}&length=${bytes}`),

  apps: () => request('GET', '/api/apps'),
  addApp: (app) => request('POST', '/api/apps', app),
  scaleApp: (id, instances) => request('POST', `/api/apps/${key(id)}/scale`, { instances }),
  restartApp: (id) => request('POST', `/api/apps/${key(id)}/restart`),
  removeApp: (id) => request('DELETE', `/api/apps/${key(id)}`),
  updateApp: (id, app, force) => request('PUT', `/api/apps/${key(id)}${force ? '?force=true' : ''}`, app),
  appVersions: (id) => request('GET', `/api/apps/${key(id)}/versions`),
  appVersion: (id, version) => request('GET', `/api/apps/${key(id)}/versions/${seg(version)}`),
  cancelDeployment: (id) => request('DELETE', `/api/deployments/${seg(id)}`),
  usage: () => request('GET', '/api/usage'),

  jobs: () => request('GET', '/api/jobs'),
  addJob: (job) => request('POST', '/api/jobs', job),
  runJob: (id) => request('POST', `/api/jobs/${key(id)}/run`),
  jobHistory: (id) => request('GET', `/api/jobs/${key(id)}/history`),
  removeJob: (id) => request('DELETE', `/api/jobs/${key(id)}`),

  pending: () => request('GET', '/api/pending'),
  cost: () => request('GET', '/api/cost'),
  consolidation: (maxMoves = 10) => request('GET', `/api/consolidation?maxMoves=${maxMoves}`),
};
