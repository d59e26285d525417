// Services: the apps with instances running/wanted and health; add (form or JSON), scale, restart, remove; and the
// detail of one app: its deployment's progress (cancel = roll back), real usage from the agents, its instances, its
// definition to edit as JSON (a rolling upgrade) and its versions.

import { badge, fmtMem, fmtNumber, fmtTime, h, setContent, setText, syncRows, toggleEmpty } from '../dom.js';

const JSON_TEMPLATE = `{
  "id": "/web",
  "cmd": "python3 -m http.server $PORT0",
  "cpus": 0.1,
  "mem": 32,
  "instances": 2,
  "ports": [0],
  "constraints": [["hostname", "UNIQUE"]],
  "costObjective": "cheapest"
}`;

let root;
let ctx;
let form;
let detail;
let detailApp = null; // the app whose detail is shown
let versions = [];
let usage = new Map(); // task id -> { cpus, memMb }
let loadedVersion = null; // the version whose definition the editor holds

export default {
  init(element, context) {
    root = element;
    ctx = context;
    form = root.querySelector('#app-form');
    form.elements.json.value = JSON_TEMPLATE;
    for (const radio of root.querySelectorAll('input[name="app-mode"]')) {
      radio.addEventListener('change', () => setMode(radio.value));
    }
    setMode(mode());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      addApp();
    });
    detail = root.querySelector('[data-testid="app-detail"]');
    detail.querySelector('[data-action="close-detail"]').addEventListener('click', () => showDetail(null));
    detail.querySelector('[data-action="cancel-deployment"]').addEventListener('click', cancelDeployment);
    detail.querySelector('form').addEventListener('submit', (event) => {
      event.preventDefault();
      saveDefinition();
    });
  },

  /** While an app's detail shows, every poll also brings its versions and the agents' usage reports. */
  poll(api) {
    if (!detailApp) return null;
    const app = detailApp;
    return Promise.all([api.appVersions(app), api.usage()]).then(([v, u]) => {
      if (app !== detailApp) return;
      versions = v?.versions ?? [];
      usage = new Map((u?.tasks ?? []).map((t) => [t.taskId, t]));
    });
  },

  render(state) {
    const waiting = new Map(state.pending.filter((p) => p.appId).map((p) => [p.appId, p]));
    syncRows(root.querySelector('[data-list="apps"]'), state.apps, (a) => a.id, createRow, (row, app) => updateRow(row, app, waiting.get(app.id)));
    toggleEmpty(root, 'apps', state.apps.length === 0);
    if (detailApp && !state.apps.some((a) => a.id === detailApp)) showDetail(null);
    renderDetail(state);
  },
};

function mode() {
  return root.querySelector('input[name="app-mode"]:checked').value;
}

function setMode(value) {
  for (const fields of form.querySelectorAll('[data-mode]')) {
    const on = fields.dataset.mode === value;
    fields.hidden = !on;
    // Hidden fields must not block submitting the other mode.
    for (const input of fields.querySelectorAll('input, textarea')) input.disabled = !on;
  }
  setText(form.querySelector('.form-error'), '');
}

/** The app the form describes, or throws a message naming the field at fault. */
function readForm() {
  if (mode() === 'json') {
    try {
      return JSON.parse(form.elements.json.value);
    } catch (e) {
      throw new Error(`JSON: ${e.message}`);
    }
  }
  const f = form.elements;
  const number = (name) => {
    const value = Number(f[name].value);
    if (f[name].value.trim() === '' || !Number.isFinite(value) || value < 0) throw new Error(`${name}: must be a non-negative number`);
    return value;
  };
  const instances = number('instances');
  if (!Number.isInteger(instances)) throw new Error('instances: must be a whole number');
  const id = f.id.value.trim();
  return { id: id.startsWith('/') ? id : `/${id}`, cmd: f.cmd.value.trim(), cpus: number('cpus'), mem: number('mem'), instances };
}

async function addApp() {
  const error = form.querySelector('.form-error');
  let app;
  try {
    app = readForm();
  } catch (e) {
    setText(error, e.message);
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  const outcome = await ctx.act(`add app ${app.id ?? ''}`.trim(), () => ctx.api.addApp(app), (created) => `App ${created?.id ?? app.id} added`);
  button.disabled = false;
  if (outcome.ok) {
    setText(error, '');
    if (mode() === 'form') {
      form.elements.id.value = '';
      form.elements.cmd.value = '';
    }
  } else {
    setText(error, outcome.error.detail ?? outcome.error.message);
  }
}

function createRow(app) {
  const input = h('input', {
    type: 'number', min: '0', step: '1', class: 'scale-input', testid: 'app-scale-input', 'aria-label': `Instances of ${app.id}`,
    oninput: () => { input.dataset.dirty = '1'; },
    onkeydown: (event) => { if (event.key === 'Enter') scale(app.id, input); },
  });
  return h('tr', { testid: 'app-row', dataset: { appId: app.id } },
    h('td', { class: 'mono', testid: 'app-id' }),
    h('td', { class: 'mono cmd' }),
    h('td', { class: 'num', testid: 'app-instances' }),
    h('td', { testid: 'app-health' }),
    h('td', { testid: 'app-status' }),
    h('td', {}),
    h('td', { class: 'num' }),
    h('td', { class: 'scale' },
      input,
      h('button', { type: 'button', class: 'small', testid: 'app-scale-button', onclick: () => scale(app.id, input) }, 'Scale')),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'small', testid: 'app-detail-button', onclick: () => showDetail(app.id) }, 'Details'),
      h('button', { type: 'button', class: 'small', testid: 'app-tasks', onclick: () => ctx.showTab('tasks', { filter: app.id }) }, 'Tasks'),
      h('button', { type: 'button', class: 'small', testid: 'app-restart', onclick: () => restart(app.id) }, 'Restart'),
      h('button', { type: 'button', class: 'small danger', testid: 'app-remove', onclick: (event) => remove(app.id, Number(event.target.closest('tr').dataset.running)) }, 'Remove')));
}

function updateRow(row, app, pending) {
  const c = row.cells;
  row.classList.toggle('selected', app.id === detailApp);
  row.dataset.running = app.tasksRunning;
  row.dataset.wanted = app.instances;
  setText(c[0], app.id);
  const command = app.cmd ?? (app.args ?? []).join(' ');
  setText(c[1], command);
  c[1].title = command;
  setText(c[2], `${app.tasksRunning}/${app.instances}`);
  c[2].title = app.tasksStaged ? `${app.tasksStaged} staging` : '';

  const checks = app.healthChecks?.length ?? 0;
  setContent(c[3], [checks, app.tasksHealthy, app.instances], () => checks === 0
    ? h('span', { class: 'muted' }, 'no checks')
    : badge(`${app.tasksHealthy}/${app.instances} healthy`, app.tasksHealthy >= app.instances ? 'good' : app.tasksHealthy > 0 ? 'warn' : 'bad'));

  const [status, kind] = pending ? ['waiting', 'warn']
    : app.tasksUnreachable > 0 ? ['unreachable', 'bad']
    : app.deploying ? ['deploying', 'warn']
      : app.instances === 0 ? ['suspended', 'neutral']
        : app.tasksRunning < app.instances ? ['starting', 'warn']
          : app.tasksRunning > app.instances ? ['scaling down', 'warn']
            : ['running', 'good'];
  // Under-replicated or with unreachable instances: the reason, from the framework, beside the status.
  setContent(c[4], [status, kind, pending?.summary, app.message], () => [
    badge(status, kind),
    pending ? h('button', { type: 'button', class: 'link small', title: pending.summary ?? '', onclick: () => ctx.showTab('debug') }, 'why?') : null,
    app.message ? h('div', { class: 'muted small', testid: 'app-message' }, app.message) : null,
  ]);
  setText(c[5], `${fmtNumber(app.cpus)} cpu · ${fmtMem(app.mem)}${app.gpus ? ` · ${fmtNumber(app.gpus)} gpu` : ''}`);
  setText(c[6], app.version);

  const input = c[7].querySelector('input');
  if (document.activeElement !== input && !input.dataset.dirty) input.value = app.instances;
}

async function scale(id, input) {
  const instances = Number(input.value);
  if (input.value.trim() === '' || !Number.isInteger(instances) || instances < 0) {
    ctx.act(`scale app ${id}`, () => Promise.reject(new Error('instances must be a whole number, 0 or more')));
    return;
  }
  const outcome = await ctx.act(`scale app ${id}`, () => ctx.api.scaleApp(id, instances), `App ${id} scaled to ${instances}`);
  if (outcome.ok) delete input.dataset.dirty;
}

async function restart(id) {
  await ctx.act(`restart app ${id}`, () => ctx.api.restartApp(id), `App ${id} is restarting (rolling)`);
}

async function remove(id, running) {
  if (!await ctx.confirm(`Remove app ${id}? Its ${running} running task(s) will be killed.`, 'Remove')) return;
  if (detailApp === id) {
    // Its versions are not to be polled once it is gone: close the detail and let a poll in flight finish first.
    showDetail(null);
    await ctx.refresh();
  }
  await ctx.act(`remove app ${id}`, () => ctx.api.removeApp(id), `App ${id} removed`);
}

// ---- the detail of one app ----

function showDetail(appId) {
  detailApp = appId;
  versions = [];
  usage = new Map();
  loadedVersion = null;
  detail.hidden = !appId;
  setText(detail.querySelector('[data-field="detail-app"]'), appId ?? '');
  setText(detail.querySelector('[data-testid="app-edit-error"]'), '');
  for (const row of root.querySelectorAll('[data-testid="app-row"]')) row.classList.toggle('selected', row.dataset.appId === appId);
  if (appId) ctx.refresh();
}

function renderDetail(state) {
  if (!detailApp) return;
  const app = state.apps.find((a) => a.id === detailApp);
  if (!app) return;
  setContent(detail.querySelector('[data-field="detail-status"]'), [app.deploying, app.tasksRunning, app.instances, app.version],
    () => badge(app.deploying ? 'deploying' : `${app.tasksRunning}/${app.instances} running`, app.deploying ? 'warn' : 'good'));
  setText(detail.querySelector('[data-field="detail-message"]'), app.message ?? '');

  // Deployment: what changes, and how far it got (instances of the new version ready, old ones left).
  const d = app.deployment;
  const box = detail.querySelector('[data-testid="app-deployment"]');
  box.hidden = !d;
  if (d) {
    const p = d.progress;
    setText(box.querySelector('[data-field="deployment-text"]'),
      `${d.currentActions[0].action}${d.rollback ? ' (rollback)' : ''}: version ${d.fromVersion} → ${d.version}; ${p.instancesReady}/${p.instancesWanted} ready, ${p.oldInstances} old left`);
    const bar = box.querySelector('[data-field="deployment-progress"]');
    bar.value = p.instancesWanted === 0 ? (p.oldInstances === 0 ? 1 : 0) : p.instancesReady / p.instancesWanted;
    box.dataset.deploymentId = d.id;
  }

  // Usage measured by the agents beside what the instances were given.
  const measured = app.tasks.map((t) => usage.get(t.id)).filter(Boolean);
  const cpus = measured.reduce((n, u) => n + (u.cpus ?? 0), 0);
  const mem = measured.reduce((n, u) => n + u.memMb, 0);
  setText(detail.querySelector('[data-field="detail-usage"]'), measured.length === 0
    ? 'no usage reported yet'
    : `${fmtNumber(cpus, 3)} of ${fmtNumber(app.cpus * app.tasks.length)} cpus · ${fmtMem(mem)} of ${fmtMem(app.mem * app.tasks.length)} used by ${measured.length} instance(s)`);

  syncRows(detail.querySelector('[data-list="detail-tasks"]'), app.tasks, (t) => t.id,
    () => h('tr', { testid: 'app-detail-task' },
      h('td', { class: 'mono' }), h('td', {}), h('td', {}), h('td', {}), h('td', { class: 'num' }),
      h('td', { class: 'num', testid: 'task-cpu-used' }), h('td', { class: 'num', testid: 'task-mem-used' }), h('td', { class: 'mono' })),
    (row, t) => {
      const c = row.cells;
      const u = usage.get(t.id);
      setText(c[0], t.id);
      setContent(c[1], [t.state], () => badge(t.state));
      setText(c[2], t.host);
      setText(c[3], t.healthy === null || t.healthy === undefined ? (app.healthChecks?.length ? 'pending' : '–') : t.healthy ? 'healthy' : 'unhealthy');
      setText(c[4], t.version);
      setText(c[5], u?.cpus === null || u?.cpus === undefined ? '–' : fmtNumber(u.cpus, 3));
      setText(c[6], u ? fmtMem(u.memMb) : '–');
      setText(c[7], (t.ports ?? []).join(', '));
    });
  toggleEmpty(detail, 'detail-tasks', app.tasks.length === 0);

  syncRows(detail.querySelector('[data-list="versions"]'), versions, (v) => v.version,
    () => h('tr', { testid: 'app-version-row' }, h('td', { class: 'num' }), h('td', {}), h('td', { class: 'actions' })),
    (row, v) => {
      setText(row.cells[0], v.version === app.version ? `${v.version} (current)` : v.version);
      setText(row.cells[1], fmtTime(v.createdAt));
      setContent(row.cells[2], [v.version], () => h('button', { type: 'button', class: 'small', testid: 'app-version-load', onclick: () => loadVersion(v.version) }, 'Edit from this'));
    });

  // The editor holds the current definition until the operator loads another version or types in it.
  const editor = detail.querySelector('textarea');
  if (loadedVersion === null && !editor.dataset.dirty && document.activeElement !== editor) loadVersion(app.version);
}

async function loadVersion(version) {
  const app = detailApp;
  loadedVersion = version;
  try {
    const v = await ctx.api.appVersion(app, version);
    if (app !== detailApp) return;
    const editor = detail.querySelector('textarea');
    editor.value = JSON.stringify(v.definition, null, 2);
    delete editor.dataset.dirty;
    editor.oninput = () => { editor.dataset.dirty = '1'; };
  } catch (e) {
    loadedVersion = null;
    setText(detail.querySelector('[data-testid="app-edit-error"]'), e.detail ?? e.message);
  }
}

async function saveDefinition() {
  const error = detail.querySelector('[data-testid="app-edit-error"]');
  const editor = detail.querySelector('textarea');
  let definition;
  try {
    definition = JSON.parse(editor.value);
  } catch (e) {
    setText(error, `JSON: ${e.message}`);
    return;
  }
  const force = detail.querySelector('input[name="force"]').checked;
  const id = detailApp;
  const outcome = await ctx.act(`update app ${id}`, () => ctx.api.updateApp(id, definition, force), (a) => `App ${id}: version ${a?.version} deploying`);
  if (outcome.ok) {
    setText(error, '');
    loadedVersion = null;
    delete editor.dataset.dirty;
  } else {
    setText(error, outcome.error.detail ?? outcome.error.message);
  }
}

async function cancelDeployment() {
  const id = detail.querySelector('[data-testid="app-deployment"]').dataset.deploymentId;
  if (!id || !await ctx.confirm(`Cancel the deployment of ${detailApp}? The app goes back to its previous version (a new app is removed).`, 'Roll back')) return;
  loadedVersion = null;
  await ctx.act(`cancel deployment ${id}`, () => ctx.api.cancelDeployment(id), 'Deployment cancelled: rolling back');
}
