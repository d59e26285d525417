// Small DOM and formatting helpers shared by the views.

/**
 * Creates an element: h('button', { class: 'link', testid: 'x', onclick: fn }, 'text', child...).
 * `testid` sets data-testid, `dataset` sets data-* attributes, on* keys add listeners, false/null attributes are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') el.className = value;
    else if (name === 'testid') el.dataset.testid = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name in el && typeof value !== 'string') el[name] = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Sets an element's text only when it changed (keeps selections and avoids needless layout). */
export function setText(el, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (el.textContent !== value) el.textContent = value;
}

/** Rebuilds an element's children with build() only when `signature` changed since the last call. */
export function setContent(el, signature, build) {
  const sig = typeof signature === 'string' ? signature : JSON.stringify(signature);
  if (el.dataset.sig === sig) return;
  el.dataset.sig = sig;
  el.replaceChildren(...[build()].flat().filter((c) => c !== null && c !== undefined));
}

/**
 * Keeps a container's rows in step with `items`, keyed by keyOf(item): new rows come from create(item), every row is
 * refreshed by update(row, item), rows whose item went away are removed, and the order follows `items`. Rows that stay
 * are the same DOM nodes, so an input someone is typing into keeps its value and focus across refreshes.
 */
export function syncRows(container, items, keyOf, create, update) {
  const existing = new Map();
  for (const row of [...container.children]) existing.set(row.dataset.key, row);
  let previous = null;
  for (const item of items) {
    const key = String(keyOf(item));
    let row = existing.get(key);
    if (row) existing.delete(key);
    else {
      row = create(item);
      row.dataset.key = key;
    }
    update(row, item);
    const expected = previous ? previous.nextElementSibling : container.firstElementChild;
    if (row !== expected) container.insertBefore(row, expected);
    previous = row;
  }
  for (const row of existing.values()) row.remove();
}

/** Shows the "empty" note of a list when it has no items. */
export function toggleEmpty(root, name, isEmpty) {
  const note = root.querySelector(`[data-empty="${name}"]`);
  if (note) note.hidden = !isEmpty;
}

// ---- formatting ----

const trim = (n, digits) => Number(n.toFixed(digits)).toString();

export function fmtNumber(n, digits = 2) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return trim(Number(n), digits);
}

/** Megabytes as MiB / GiB / TiB. */
export function fmtMem(mb) {
  if (mb === null || mb === undefined) return '–';
  if (Math.abs(mb) >= 1024 * 1024) return `${trim(mb / 1024 / 1024, 1)} TiB`;
  if (Math.abs(mb) >= 1024) return `${trim(mb / 1024, 1)} GiB`;
  return `${trim(mb, 0)} MiB`;
}

export function fmtMoney(perHour, digits = 4) {
  if (perHour === null || perHour === undefined) return '–';
  return `$${Number(perHour).toFixed(digits)}`;
}

/** A time as the operator's local time, with the date when it is not today. */
export function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const today = new Date();
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return d.toDateString() === today.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

/** "3 s", "4 min", "2 h 5 min" since (or until, when negative) a time. */
export function fmtAge(iso, now = Date.now()) {
  if (!iso) return '';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  const s = Math.abs(seconds);
  let text;
  if (s < 60) text = `${s} s`;
  else if (s < 3600) text = `${Math.floor(s / 60)} min`;
  else if (s < 86400) text = `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  else text = `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** A time cell: local time, full ISO time on hover. */
export function timeCell(cell, iso) {
  setText(cell, fmtTime(iso));
  if (iso) cell.title = `${iso} (${fmtAge(iso)})`;
  else cell.removeAttribute('title');
}

const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST', 'TASK_ERROR', 'TASK_DROPPED',
  'TASK_GONE', 'TASK_GONE_BY_OPERATOR']);

/** Whether a task state is final (the task no longer runs). */
export const isTerminal = (taskState) => TERMINAL.has(taskState);

/** "TASK_RUNNING" as "running". */
export const stateName = (state) => String(state ?? '').replace(/^TASK_/, '').toLowerCase().replaceAll('_', ' ');

/** The badge colour of a task state, agent status or run status. */
export function tone(status) {
  switch (String(status ?? '').replace(/^TASK_/, '').toUpperCase()) {
    case 'RUNNING': case 'ACTIVE': case 'SUCCESS': case 'FINISHED': case 'HEALTHY': return 'good';
    case 'STAGING': case 'STARTING': case 'PENDING': case 'RECOVERING': case 'DRAINING': case 'KILLING': case 'DEPLOYING': case 'WAITING': return 'warn';
    case 'FAILED': case 'LOST': case 'ERROR': case 'UNREACHABLE': case 'GONE': case 'DROPPED': case 'UNHEALTHY': return 'bad';
    default: return 'neutral';
  }
}

export const badge = (text, kind = tone(text), testid) => h('span', { class: `badge ${kind}`, testid }, text);

/** A used/total bar with its numbers. */
export function usageBar(used, total, format = fmtNumber) {
  const fraction = total > 0 ? Math.min(1, used / total) : 0;
  const level = fraction >= 0.9 ? 'bad' : fraction >= 0.7 ? 'warn' : 'good';
  return h('div', { class: 'usage', title: total > 0 ? `${Math.round(fraction * 100)} %` : 'none' },
    h('div', { class: 'bar' }, h('div', { class: `fill ${level}`, style: `width:${(fraction * 100).toFixed(1)}%` })),
    h('span', { class: 'usage-text' }, `${format(used)} / ${format(total)}`));
}
