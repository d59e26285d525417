// Debug: why instances are pending, per app or job (the offer rejection reasons), and each framework's rejections.

import { badge, fmtNumber, h, setContent, setText, syncRows, toggleEmpty } from '../dom.js';

// What each rejection reason means for the operator (names from DcOs.Core's OfferRejectionReason).
const HINTS = {
  InsufficientCpus: 'the offer had too few free CPUs',
  InsufficientMem: 'the offer had too little free memory',
  InsufficientDisk: 'the offer had too little free disk',
  InsufficientGpus: 'the offer had too few free GPUs',
  InsufficientPorts: 'the ports asked for were not free, or too few',
  InsufficientOther: 'some other resource was short',
  Constraint: 'a placement constraint ruled the agent out',
  Role: 'reserved for another role, or the role\'s quota is reached',
  Maintenance: 'the agent is draining or under maintenance',
  GpuCapability: 'the agent has GPUs and the framework did not declare the GPU capability',
};

let root;

export default {
  init(element) {
    root = element;
  },

  render(state) {
    const pending = state.pending;
    syncRows(root.querySelector('[data-list="pending"]'), pending, (p) => p.appId ? `app:${p.appId}` : `job:${p.jobId}`,
      (p) => h('article', { class: 'card pending', testid: 'pending-row', dataset: { appId: p.appId ?? '', jobId: p.jobId ?? '' } },
        h('div', { class: 'pending-head' },
          h('span', { class: 'kind muted' }, p.appId ? 'app' : 'job'),
          h('strong', { class: 'mono' }, p.appId ?? p.jobId),
          h('span', { class: 'waiting' })),
        h('p', { class: 'summary', testid: 'pending-summary' }),
        h('div', { class: 'reasons' })),
      (card, p) => {
        setContent(card.querySelector('.waiting'), [p.waiting], () => badge(`${p.waiting} waiting`, 'warn'));
        setText(card.querySelector('.summary'), p.summary);
        const reasons = Object.entries(p.reasons ?? {}).sort((a, b) => b[1] - a[1]);
        const max = reasons.length ? reasons[0][1] : 0;
        setContent(card.querySelector('.reasons'), reasons, () => reasons.length === 0
          ? h('p', { class: 'muted small' }, 'No offer has been declined yet: waiting for an agent with free resources.')
          : reasons.map(([reason, count]) => h('div', { class: 'reason', testid: 'pending-reason', dataset: { reason } },
            h('span', { class: 'reason-name', title: HINTS[reason] ?? '' }, reason),
            h('div', { class: 'bar' }, h('div', { class: 'fill warn', style: `width:${max ? (count / max * 100).toFixed(1) : 0}%` })),
            h('span', { class: 'num' }, String(count)),
            h('span', { class: 'muted small hint' }, HINTS[reason] ?? ''))));
      });
    toggleEmpty(root, 'pending', pending.length === 0);

    syncRows(root.querySelector('[data-list="framework-rejections"]'), state.frameworks, (f) => f.id,
      () => h('tr', {}, h('td', {}), h('td', {}), h('td', { class: 'num' }), h('td', { class: 'num' }), h('td', {}),
        h('td', { class: 'num' }), h('td', { class: 'chips' })),
      (row, f) => {
        const c = row.cells;
        setText(c[0], f.name);
        c[0].title = f.id;
        setContent(c[1], [f.connected], () => badge(f.connected ? 'yes' : 'no', f.connected ? 'good' : 'bad'));
        setText(c[2], f.activeTasks);
        setText(c[3], f.outstandingOffers);
        setText(c[4], f.suppressed ? 'yes' : 'no');
        setText(c[5], `${fmtNumber((f.dominantShare ?? 0) * 100, 1)} %`);
        const rejections = Object.entries(f.rejections ?? {}).sort((a, b) => b[1] - a[1]);
        setContent(c[6], rejections, () => rejections.length === 0
          ? h('span', { class: 'muted' }, 'none')
          : rejections.map(([reason, count]) => h('span', { class: 'chip', title: HINTS[reason] ?? '' }, `${reason} ${count}`)));
      });
  },
};
