// Nodes: one row per agent with its id, hostname, status, attributes, used/total resources; drain and reactivate.

import { badge, fmtMem, fmtMoney, fmtNumber, h, setContent, setText, syncRows, toggleEmpty, usageBar } from '../dom.js';

let root;
let ctx;

export default {
  init(element, context) {
    root = element;
    ctx = context;
  },

  render(state) {
    const agents = [...state.agents].sort((a, b) => (a.hostname ?? '').localeCompare(b.hostname ?? '') || a.id.localeCompare(b.id));
    syncRows(root.querySelector('[data-list="agents"]'), agents, (a) => a.id, createRow, updateRow);
    toggleEmpty(root, 'agents', agents.length === 0);
  },
};

function createRow(agent) {
  const drain = h('button', { type: 'button', class: 'small', testid: 'agent-drain', onclick: () => drainAgent(agent.id, agent.hostname) }, 'Drain');
  const reactivate = h('button', { type: 'button', class: 'small', testid: 'agent-reactivate', onclick: () => reactivateAgent(agent.id, agent.hostname) }, 'Reactivate');
  return h('tr', { testid: 'agent-row', dataset: { agentId: agent.id } },
    h('td', { class: 'mono', testid: 'agent-id' }),
    h('td', { class: 'nowrap', testid: 'agent-hostname' }),
    h('td', { testid: 'agent-status' }),
    h('td', { class: 'chips' }),
    h('td', {}), h('td', {}), h('td', {}), h('td', {}),
    h('td', { class: 'num' }),
    h('td', { class: 'num' }),
    h('td', { class: 'actions' }, drain, reactivate));
}

function updateRow(row, a) {
  const c = row.cells;
  setText(c[0], a.id);
  setText(c[1], a.hostname);
  row.dataset.status = a.status;
  setContent(c[2], [a.status, a.isolationWarning], () => [
    badge(a.status),
    a.isolationWarning ? h('span', { class: 'warn-icon', title: String(a.isolationWarning) }, ' ⚠') : null,
  ]);
  const attributes = Object.entries(a.attributes ?? {});
  if (a.zone) attributes.push(['zone', a.zone]);
  if (a.region) attributes.push(['region', a.region]);
  const unique = [...new Map(attributes).entries()];
  setContent(c[3], unique, () => unique.map(([k, v]) => h('span', { class: 'chip' }, `${k}:${v}`)));
  const bar = (cell, name, format) => {
    const used = a.used?.[name] ?? 0;
    const total = a.total?.[name] ?? 0;
    setContent(cell, [used, total], () => usageBar(used, total, format));
  };
  bar(c[4], 'cpus', fmtNumber);
  bar(c[5], 'mem', fmtMem);
  bar(c[6], 'disk', fmtMem);
  bar(c[7], 'gpus', fmtNumber);
  setText(c[8], a.activeTasks);
  setText(c[9], fmtMoney(a.cost?.machinePerHour, 2));
  c[9].title = a.cost ? `speed ×${a.cost.speedFactor}${a.cost.preemptible ? ', preemptible' : ''}` : '';
  const draining = a.status === 'Draining' || a.status === 'Drained';
  c[10].querySelector('[data-testid="agent-drain"]').hidden = draining || a.status === 'Unreachable';
  c[10].querySelector('[data-testid="agent-reactivate"]').hidden = !draining;
}

async function drainAgent(id, hostname) {
  if (!await ctx.confirm(`Drain agent ${hostname} (${id})? Its tasks are killed after their grace period and it gets no new work until reactivated.`, 'Drain')) return;
  await ctx.act(`drain agent ${hostname}`, () => ctx.api.drainAgent(id), `Agent ${hostname} is draining`);
}

async function reactivateAgent(id, hostname) {
  await ctx.act(`reactivate agent ${hostname}`, () => ctx.api.reactivateAgent(id), `Agent ${hostname} is active again`);
}
