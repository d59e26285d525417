// The dashboard: tabs, a one-second poll of the master's API, error banners, and the shared context the views use.

import { api, session } from './api.js';
import { isTerminal, setText } from './dom.js';
import overview from './views/overview.js';
import nodes from './views/nodes.js';
import services from './views/services.js';
import jobs from './views/jobs.js';
import tasks from './views/tasks.js';
import debug from './views/debug.js';

const POLL_MS = 1000;
const HIDDEN_POLL_MS = 5000;
const views = { overview, nodes, services, jobs, tasks, debug };

/** The last good answer of every list endpoint; a failed request keeps the previous answer on screen. */
const state = {
  agents: [], apps: [], tasks: [], jobs: [], pending: [], cost: null, frameworks: [],
  loaded: false, updatedAt: null,
};
const sources = {
  agents: api.agents, apps: api.apps, tasks: api.tasks, jobs: api.jobs,
  pending: api.pending, cost: api.cost, frameworks: api.frameworks,
};

let active = 'overview';
let inFlight = null;
let again = false;
let timer = 0;
let polling = false; // the loop has started

// ---- banners ----

const connectionBanner = document.getElementById('connection-banner');
const actionBanner = document.getElementById('action-banner');
const noticeBanner = document.getElementById('notice-banner');
const live = document.querySelector('[data-testid="live-status"]');
let noticeTimer = 0;

function showConnectionErrors(errors) {
  if (errors.length === 0) {
    connectionBanner.hidden = true;
    setText(connectionBanner, '');
    return;
  }
  const allUnreachable = errors.every((e) => e.unreachable);
  const text = allUnreachable
    ? `Master API unreachable: ${errors[0].detail}. Showing the last data received${state.updatedAt ? ` at ${state.updatedAt.toLocaleTimeString()}` : ''}; retrying every second.`
    : `Master API error: ${errors.slice(0, 2).map((e) => e.message).join('; ')}${errors.length > 2 ? ` (and ${errors.length - 2} more)` : ''}`;
  setText(connectionBanner, text);
  connectionBanner.hidden = false;
}

function showActionError(what, error) {
  setText(actionBanner.querySelector('.banner-text'), `${what}: ${error.detail ?? error.message ?? error}`);
  actionBanner.hidden = false;
}

actionBanner.querySelector('button').addEventListener('click', () => { actionBanner.hidden = true; });

function notify(text) {
  setText(noticeBanner, text);
  noticeBanner.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { noticeBanner.hidden = true; }, 4000);
}

function setLive(kind, text) {
  live.dataset.state = kind;
  document.body.classList.toggle('stale', kind === 'down');
  setText(live.querySelector('.live-text'), text);
}

// ---- confirmation ----

const dialog = document.getElementById('confirm');

/** Asks in a modal dialog; resolves true when the operator confirms. */
function confirmAction(question, okLabel = 'OK') {
  setText(dialog.querySelector('.confirm-text'), question);
  setText(dialog.querySelector('[value="ok"]'), okLabel);
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

// ---- polling ----

async function poll() {
  const names = Object.keys(sources);
  const extra = views[active].poll?.(api) ?? null;
  const results = await Promise.allSettled([...names.map((n) => sources[n]()), extra]);
  const errors = [];
  names.forEach((name, i) => {
    const r = results[i];
    if (r.status === 'fulfilled') state[name] = r.value ?? state[name];
    else errors.push(r.reason);
  });
  const answered = errors.length < names.length;
  const extraResult = results[names.length];
  if (extraResult.status === 'rejected') errors.push(extraResult.reason);
  if (answered) {
    state.loaded = true;
    state.updatedAt = new Date();
  }
  showConnectionErrors(errors);
  if (errors.length === 0) setLive('ok', `Live · ${state.updatedAt.toLocaleTimeString()}`);
  else if (errors.every((e) => e.unreachable)) setLive('down', 'Offline');
  else setLive('partial', 'Degraded');
  render();
}

/** Polls now (or right after the poll in flight), so an action's effect shows at once. */
function refresh() {
  if (inFlight) {
    again = true;
    return inFlight;
  }
  inFlight = poll()
    .catch((e) => showConnectionErrors([{ message: String(e), detail: String(e), unreachable: false }]))
    .finally(() => {
      inFlight = null;
      if (again) {
        again = false;
        refresh();
      }
    });
  return inFlight;
}

/** Polls every second (every five while the page is hidden), one poll at a time. */
async function loop() {
  timer = 0;
  const started = performance.now();
  await refresh();
  const period = document.hidden ? HIDDEN_POLL_MS : POLL_MS;
  timer = setTimeout(loop, Math.max(50, period - (performance.now() - started)));
}

document.addEventListener('visibilitychange', () => {
  // Back in view: poll now instead of at the end of the slow hidden period.
  if (!document.hidden && timer) {
    clearTimeout(timer);
    timer = setTimeout(loop, 0);
  }
});

// ---- rendering and tabs ----

function render() {
  updateCounts();
  if (state.loaded) views[active].render(state);
}

function updateCounts() {
  const counts = {
    nodes: state.agents.length,
    services: state.apps.length,
    jobs: state.jobs.length,
    tasks: state.tasks.filter((t) => !isTerminal(t.state)).length,
    debug: state.pending.reduce((n, p) => n + (p.waiting ?? 0), 0) || '',
  };
  for (const [name, count] of Object.entries(counts)) {
    const el = document.querySelector(`[data-count="${name}"]`);
    if (el) setText(el, state.loaded ? count : '');
  }
}

function showTab(name, options = {}) {
  if (!views[name]) name = 'overview';
  const changed = name !== active;
  active = name;
  for (const button of document.querySelectorAll('[data-tab]')) {
    const selected = button.dataset.tab === name;
    button.setAttribute('aria-selected', String(selected));
    button.classList.toggle('selected', selected);
  }
  for (const section of document.querySelectorAll('[data-view]')) section.hidden = section.dataset.view !== name;
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  views[name].show?.(options);
  if (state.loaded) views[name].render(state);
  if (polling && (changed || views[name].poll)) refresh();
}

for (const button of document.querySelectorAll('[data-tab]')) {
  button.addEventListener('click', () => showTab(button.dataset.tab));
}
window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));

/**
 * What the views share. act() runs an operator's action: on failure the error banner names it and the server's error,
 * on success an optional notice shows, and either way the data refreshes at once.
 */
const context = {
  api,
  state,
  refresh,
  showTab,
  confirm: confirmAction,
  notify,
  async act(what, action, success) {
    try {
      const result = await action();
      actionBanner.hidden = true;
      if (success) notify(typeof success === 'function' ? success(result) : success);
      return { ok: true, result };
    } catch (error) {
      showActionError(`Could not ${what}`, error);
      return { ok: false, error };
    } finally {
      refresh();
    }
  },
};

// Log in: the admin token (admin.token in the master's data dir) goes with every request from this tab.
const login = document.querySelector('[data-testid="login-form"]');
const loginInput = login.querySelector('input');
const loginButton = login.querySelector('button');
function showLogin() {
  const signedIn = Boolean(session.token);
  loginInput.hidden = signedIn;
  loginButton.textContent = signedIn ? 'Log out' : 'Log in';
  login.dataset.state = signedIn ? 'signed-in' : 'signed-out';
}
login.addEventListener('submit', (event) => {
  event.preventDefault();
  session.token = session.token ? null : loginInput.value.trim() || null;
  loginInput.value = '';
  showLogin();
  refresh();
});
showLogin();

for (const [name, view] of Object.entries(views)) {
  view.init(document.querySelector(`[data-view="${name}"]`), context);
}
showTab(location.hash.slice(1) || 'overview');
polling = true;
loop();
