// Jobs: the jobs with their last run; add (JSON), run now, remove, and the history of one job.

import { badge, fmtMoney, h, setContent, setText, syncRows, timeCell, toggleEmpty } from '../dom.js';

const JSON_TEMPLATE = `{
  "id": "hello",
  "run": {
    "cmd": "echo hello at $(date -u +%T) && sleep 5",
    "cpus": 0.1,
    "mem": 32,
    "maxRetries": 1,
    "estimatedDurationSeconds": 10,
    "deadlineSeconds": 600
  }
}`;

let root;
let ctx;
let form;
let historyPanel;
let historyJob = null; // the job whose history is shown
let history = [];

export default {
  init(element, context) {
    root = element;
    ctx = context;
    form = root.querySelector('#job-form');
    form.elements.json.value = JSON_TEMPLATE;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      addJob();
    });
    historyPanel = root.querySelector('[data-testid="job-history"]');
    historyPanel.querySelector('[data-action="close-history"]').addEventListener('click', () => showHistory(null));
  },

  /** The history of the selected job is fetched with every poll while this tab shows. */
  poll(api) {
    if (!historyJob) return null;
    const job = historyJob;
    return api.jobHistory(job).then((runs) => {
      if (job === historyJob) history = runs ?? [];
    });
  },

  render(state) {
    syncRows(root.querySelector('[data-list="jobs"]'), state.jobs, (j) => j.id, createRow, updateRow);
    toggleEmpty(root, 'jobs', state.jobs.length === 0);
    if (historyJob && !state.jobs.some((j) => j.id === historyJob)) showHistory(null);
    renderHistory();
  },
};

async function addJob() {
  const error = form.querySelector('.form-error');
  let job;
  try {
    job = JSON.parse(form.elements.json.value);
  } catch (e) {
    setText(error, `JSON: ${e.message}`);
    return;
  }
  const outcome = await ctx.act(`add job ${job?.id ?? ''}`.trim(), () => ctx.api.addJob(job), (created) => `Job ${created?.id ?? job.id} added`);
  setText(error, outcome.ok ? '' : outcome.error.detail ?? outcome.error.message);
}

function createRow(job) {
  return h('tr', { testid: 'job-row', dataset: { jobId: job.id } },
    h('td', { class: 'mono', testid: 'job-id' }),
    h('td', { class: 'mono cmd' }),
    h('td', { class: 'mono' }),
    h('td', { testid: 'job-last-run' }),
    h('td', {}),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'small primary', testid: 'job-run', onclick: () => runNow(job.id) }, 'Run now'),
      h('button', { type: 'button', class: 'small', testid: 'job-history-button', onclick: () => showHistory(job.id) }, 'History'),
      h('button', { type: 'button', class: 'small danger', testid: 'job-remove', onclick: () => remove(job.id) }, 'Remove')));
}

function updateRow(row, job) {
  const c = row.cells;
  row.classList.toggle('selected', job.id === historyJob);
  setText(c[0], job.id);
  setText(c[1], job.run?.cmd);
  c[1].title = job.run?.cmd ?? '';
  setText(c[2], job.schedule ?? 'on demand');
  const last = job.lastRun;
  setContent(c[3], [last?.status, last?.runId], () => last ? badge(last.status) : h('span', { class: 'muted' }, 'never run'));
  timeCell(c[4], last?.finishedAt);
}

function showHistory(jobId) {
  historyJob = jobId;
  history = [];
  historyPanel.hidden = !jobId;
  setText(historyPanel.querySelector('[data-field="history-job"]'), jobId ?? '');
  for (const row of root.querySelectorAll('[data-testid="job-row"]')) row.classList.toggle('selected', row.dataset.jobId === jobId);
  if (jobId) ctx.refresh();
}

function renderHistory() {
  if (!historyJob) return;
  const body = historyPanel.querySelector('[data-list="history"]');
  syncRows(body, history, (r) => r.runId,
    () => h('tr', { testid: 'job-run-row' },
      h('td', { class: 'mono' }), h('td', {}), h('td', { class: 'num' }), h('td', { class: 'num' }), h('td', { class: 'mono' }),
      h('td', {}), h('td', {}), h('td', { class: 'num' }), h('td', { class: 'message' }), h('td', { class: 'actions' })),
    (row, r) => {
      const c = row.cells;
      setText(c[0], r.runId);
      setContent(c[1], [r.status], () => badge(r.status));
      setText(c[2], r.exitCode ?? '–');
      setText(c[3], r.attempts);
      setText(c[4], r.agentId ?? '–');
      timeCell(c[5], r.startedAt);
      timeCell(c[6], r.finishedAt);
      setText(c[7], r.costEstimate === null || r.costEstimate === undefined ? '–' : fmtMoney(r.costEstimate));
      setText(c[8], r.message ?? '');
      setContent(c[9], [r.taskId], () => r.taskId
        ? h('button', { type: 'button', class: 'small', onclick: () => ctx.showTab('tasks', { log: r.taskId }) }, 'Log')
        : null);
    });
  toggleEmpty(historyPanel, 'history', history.length === 0);
}

async function runNow(id) {
  await ctx.act(`run job ${id}`, () => ctx.api.runJob(id), (r) => `Job ${id} started: run ${r?.runId ?? ''}`);
  if (historyJob !== id) showHistory(id);
}

async function remove(id) {
  if (!await ctx.confirm(`Remove job ${id}? It leaves the list and its schedule stops.`, 'Remove')) return;
  await ctx.act(`remove job ${id}`, () => ctx.api.removeJob(id), `Job ${id} removed`);
}
