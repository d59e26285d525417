// Tasks: state, agent, app or job, start time; a filter; and the tail of a task's stdout or stderr.

import { badge, fmtMem, fmtNumber, h, isTerminal, setContent, setText, stateName, syncRows, timeCell, toggleEmpty, tone } from '../dom.js';

const LOG_BYTES = 65536;

let root;
let ctx;
let filterInput;
let activeOnly;
let logPanel;
let logTask = null; // the task whose log is shown
let log = null; // { data, offset, fileSize } or { error }

export default {
  init(element, context) {
    root = element;
    ctx = context;
    filterInput = root.querySelector('[data-testid="task-filter"]');
    activeOnly = root.querySelector('[data-testid="task-active-only"]');
    const rerender = () => this.render(ctx.state);
    filterInput.addEventListener('input', rerender);
    activeOnly.addEventListener('change', rerender);
    logPanel = root.querySelector('[data-testid="task-log"]');
    logPanel.querySelector('[data-action="close-log"]').addEventListener('click', () => showLog(null));
    logPanel.querySelector('select[name="log-file"]').addEventListener('change', () => {
      log = null;
      renderLog();
      ctx.refresh();
    });
  },

  /** Opens the tab filtered to one app or job ({ filter }), or with a task's log open ({ log }). */
  show(options) {
    if (options.filter !== undefined) filterInput.value = options.filter;
    if (options.log) showLog(options.log);
  },

  /** The open log is fetched with every poll while this tab shows and "Follow" is on. */
  poll(api) {
    if (!logTask || (log && !logPanel.querySelector('input[name="log-follow"]').checked)) return null;
    const task = logTask;
    const file = logPanel.querySelector('select[name="log-file"]').value;
    // A log that cannot be read (task gone, agent unreachable) is told in the panel, not as a master failure.
    return api.taskLog(task, file, LOG_BYTES).then(
      (answer) => { if (task === logTask) log = answer ?? { data: '', offset: 0, fileSize: 0 }; },
      (error) => { if (task === logTask) log = { error }; if (error.unreachable) throw error; });
  },

  render(state) {
    const words = filterInput.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const tasks = state.tasks
      .filter((t) => !activeOnly.checked || !isTerminal(t.state))
      .filter((t) => {
        const text = [t.id, t.appId, t.jobId, t.agentId, t.hostname, t.state, stateName(t.state)].filter(Boolean).join(' ').toLowerCase();
        return words.every((w) => text.includes(w));
      })
      .sort((a, b) => Number(isTerminal(a.state)) - Number(isTerminal(b.state))
        || (a.appId ?? a.jobId ?? '').localeCompare(b.appId ?? b.jobId ?? '')
        || a.id.localeCompare(b.id));
    syncRows(root.querySelector('[data-list="tasks"]'), tasks, (t) => t.id, createRow, updateRow);
    toggleEmpty(root, 'tasks', tasks.length === 0);
    renderLog();
  },
};

function createRow(task) {
  return h('tr', { testid: 'task-row', dataset: { taskId: task.id } },
    h('td', { class: 'mono', testid: 'task-id' }),
    h('td', { testid: 'task-state' }),
    h('td', { class: 'mono' }),
    h('td', {}),
    h('td', {}),
    h('td', {}),
    h('td', {}),
    h('td', { class: 'mono' }),
    h('td', {}),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'small', testid: 'task-logs', onclick: () => showLog(task.id) }, 'Log')));
}

function updateRow(row, t) {
  const c = row.cells;
  row.dataset.state = t.state;
  row.dataset.appId = t.appId ?? '';
  row.classList.toggle('selected', t.id === logTask);
  row.classList.toggle('finished', isTerminal(t.state));
  setText(c[0], t.id);
  setContent(c[1], [t.state], () => badge(stateName(t.state), tone(t.state)));
  c[1].title = t.message ?? '';
  setText(c[2], t.appId ? `app ${t.appId}` : t.jobId ? `job ${t.jobId}` : '–');
  setText(c[3], t.hostname ?? t.agentId);
  c[3].title = t.agentId ?? '';
  timeCell(c[4], t.startedAt);
  timeCell(c[5], t.updatedAt);
  setText(c[6], `${fmtNumber(t.cpus)} cpu · ${fmtMem(t.mem)}`);
  setText(c[7], (t.ports ?? []).join(', ') || '–');
  setContent(c[8], [t.healthy], () => t.healthy === null || t.healthy === undefined
    ? h('span', { class: 'muted' }, '–')
    : badge(t.healthy ? 'healthy' : 'unhealthy', t.healthy ? 'good' : 'bad'));
}

function showLog(taskId) {
  logTask = taskId;
  log = null;
  logPanel.hidden = !taskId;
  setText(logPanel.querySelector('[data-field="log-task"]'), taskId ?? '');
  renderLog();
  if (taskId) {
    ctx.refresh();
    logPanel.scrollIntoView({ block: 'nearest' });
  }
}

function renderLog() {
  if (!logTask) return;
  for (const row of root.querySelectorAll('[data-testid="task-row"]')) row.classList.toggle('selected', row.dataset.taskId === logTask);
  const pre = logPanel.querySelector('pre');
  const size = logPanel.querySelector('[data-field="log-size"]');
  pre.classList.toggle('error', Boolean(log?.error));
  if (!log) {
    setText(pre, 'Loading…');
    setText(size, '');
    return;
  }
  if (log.error) {
    setText(pre, `Could not read the log: ${log.error.detail ?? log.error.message}`);
    setText(size, '');
    return;
  }
  const follow = logPanel.querySelector('input[name="log-follow"]').checked;
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  setText(pre, log.data || '(empty)');
  const shown = (log.data ?? '').length;
  setText(size, log.fileSize > shown ? `last ${fmtBytes(shown)} of ${fmtBytes(log.fileSize)}` : fmtBytes(log.fileSize ?? shown));
  if (follow && atBottom) pre.scrollTop = pre.scrollHeight;
}

function fmtBytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
