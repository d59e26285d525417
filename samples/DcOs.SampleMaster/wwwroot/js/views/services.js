// Services: the apps with instances running/wanted and health; add (form or JSON), scale, restart, remove.

import { badge, fmtMem, fmtNumber, h, setContent, setText, syncRows, toggleEmpty } from '../dom.js';

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
  },

  render(state) {
    const waiting = new Map(state.pending.filter((p) => p.appId).map((p) => [p.appId, p]));
    syncRows(root.querySelector('[data-list="apps"]'), state.apps, (a) => a.id, createRow, (row, app) => updateRow(row, app, waiting.get(app.id)));
    toggleEmpty(root, 'apps', state.apps.length === 0);
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
      h('button', { type: 'button', class: 'small', testid: 'app-tasks', onclick: () => ctx.showTab('tasks', { filter: app.id }) }, 'Tasks'),
      h('button', { type: 'button', class: 'small', testid: 'app-restart', onclick: () => restart(app.id) }, 'Restart'),
      h('button', { type: 'button', class: 'small danger', testid: 'app-remove', onclick: (event) => remove(app.id, Number(event.target.closest('tr').dataset.running)) }, 'Remove')));
}

function updateRow(row, app, pending) {
  const c = row.cells;
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
  await ctx.act(`remove app ${id}`, () => ctx.api.removeApp(id), `App ${id} removed`);
}
