// Overview: agents up/unreachable/draining, resources allocated vs total, tasks by state, cost per hour, frameworks.

import { badge, fmtMem, fmtMoney, fmtNumber, h, setText, stateName, syncRows, toggleEmpty, tone, usageBar, setContent } from '../dom.js';

const RESOURCES = [
  { name: 'cpus', label: 'CPUs', format: fmtNumber },
  { name: 'mem', label: 'Memory', format: fmtMem },
  { name: 'disk', label: 'Disk', format: fmtMem },
  { name: 'gpus', label: 'GPUs', format: fmtNumber },
];

// Order of the tasks-by-state table: live states first.
const STATE_ORDER = ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_UNREACHABLE', 'TASK_UNKNOWN',
  'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE', 'TASK_GONE_BY_OPERATOR'];

let root;
const stat = (name) => root.querySelector(`[data-stat="${name}"]`);
// What consolidation would save: a plan is a solve per machine tried, so it is asked for every 10 s, not every poll.
const CONSOLIDATION_MS = 10_000;
let consolidation = null;
let consolidationAt = 0;
const list = (name) => root.querySelector(`[data-list="${name}"]`);

export default {
  /** The consolidation plan (a dry run), every 10 s while this tab shows. */
  poll(api) {
    if (Date.now() - consolidationAt < CONSOLIDATION_MS) return null;
    consolidationAt = Date.now();
    return api.consolidation().then((plan) => { consolidation = plan; });
  },

  init(element) {
    root = element;
  },

  render(state) {
    const agents = state.agents;
    const count = (...statuses) => agents.filter((a) => statuses.includes(a.status)).length;
    const show = (name, n) => {
      setText(stat(name), n);
      stat(name).parentElement.classList.toggle('zero', n === 0);
    };
    show('up', count('Active'));
    show('unreachable', count('Unreachable'));
    show('draining', count('Draining', 'Drained'));
    const recovering = count('Recovering');
    const drained = count('Drained');
    setText(stat('agents-note'), [
      `${agents.length} registered`,
      recovering ? `${recovering} recovering` : '',
      drained ? `${drained} drained` : '',
    ].filter(Boolean).join(' · '));

    // Capacity counts the agents that can hold tasks; used counts what tasks hold anywhere.
    const capacity = agents.filter((a) => a.status !== 'Unreachable' && a.status !== 'Drained');
    syncRows(list('resources'), RESOURCES, (r) => r.name,
      (r) => h('div', { class: 'resource', testid: `resource-${r.name}` },
        h('span', { class: 'resource-name' }, r.label), h('div', { class: 'resource-bar' })),
      (row, r) => {
        const used = agents.reduce((n, a) => n + (a.used?.[r.name] ?? 0), 0);
        const total = capacity.reduce((n, a) => n + (a.total?.[r.name] ?? 0), 0);
        setContent(row.querySelector('.resource-bar'), [used, total], () => usageBar(used, total, r.format));
      });

    const byState = new Map();
    for (const t of state.tasks) byState.set(t.state, (byState.get(t.state) ?? 0) + 1);
    const states = [...byState.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    syncRows(list('task-states'), states, (s) => s,
      (s) => h('tr', { testid: 'task-state-row', dataset: { state: s } },
        h('td', {}, badge(stateName(s), tone(s))), h('td', { class: 'num' })),
      (row, s) => setText(row.cells[1], byState.get(s)));
    toggleEmpty(root, 'task-states', states.length === 0);

    const cost = state.cost;
    setText(stat('cost'), cost ? `${fmtMoney(cost.totalPerHour)} / hour` : '–');
    setText(stat('cost-note'), cost ? `≈ ${fmtMoney(cost.totalPerHour * 24, 2)} a day at the current load` : '');
    setText(stat('cost-idle'), cost?.idleMachines > 0 ? `${fmtMoney(cost.idlePerHour)}/h of it on ${cost.idleMachines} machine(s) running nothing` : '');
    setText(stat('cost-firstfit'), cost?.savingsVsFirstFitPerHour != null
      ? `first-fit would pay ${fmtMoney(cost.firstFitPerHour)}/h for the same tasks: this placement saves ${fmtMoney(cost.savingsVsFirstFitPerHour)}/h`
      : '');
    const c = consolidation;
    setText(stat('cost-consolidation'), !c ? ''
      : c.moves.length === 0 ? `consolidation: no move of up to ${c.maxMoves} instances lowers the bill`
      : `consolidation: moving ${c.moves.length} instance(s) would switch off ${c.machinesSwitchedOff.length} machine(s) and save ${fmtMoney(c.savingsPerHour)}/h (dcos cluster consolidate)`);
    syncRows(list('cost-by-app'), cost?.byApp ?? [], (a) => a.appId,
      () => h('tr', {}, h('td', {}), h('td', { class: 'num' }), h('td', { class: 'num' })),
      (row, a) => {
        setText(row.cells[0], a.appId);
        setText(row.cells[1], `×${a.instances}`);
        setText(row.cells[2], `${fmtMoney(a.perHour)}/h`);
      });

    syncRows(list('frameworks'), state.frameworks, (f) => f.id,
      () => h('tr', {}, h('td', {}), h('td', {}), h('td', { class: 'num' })),
      (row, f) => {
        setText(row.cells[0], f.name);
        setContent(row.cells[1], [f.connected], () => badge(f.connected ? 'connected' : 'disconnected', f.connected ? 'good' : 'bad'));
        setText(row.cells[2], `${f.activeTasks} tasks`);
      });
    toggleEmpty(root, 'frameworks', state.frameworks.length === 0);
  },
};

function rank(taskState) {
  const i = STATE_ORDER.indexOf(taskState);
  return i < 0 ? STATE_ORDER.length : i;
}
