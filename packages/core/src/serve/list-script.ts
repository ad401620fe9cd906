import { inlineScriptSource } from '../report/script-hash';

/** How often the list page asks for fresh states, in ms. */
export const POLL_MS = 2000;

/*
 * The list page's one script: polls /api/runs, draws the runs and sweeps tables with
 * textContent only (nothing from a run folder becomes markup), filters by experiment, name
 * and status, and sends the ticked runs to /compare.
 */
export const LIST_SCRIPT = `(() => {
  const $ = (id) => document.getElementById(id);
  const selected = new Set();
  let data = { runs: [], sweeps: [] };
  const el = (tag, text, attrs) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  };
  const link = (href, text) => el('a', text, { href });
  const enc = (p) => p.split('/').map(encodeURIComponent).join('/');
  const fmt = (v) => typeof v === 'number' && !Number.isInteger(v) ? (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : v.toPrecision(4)) : String(v);
  const pairs = (o) => Object.entries(o || {}).map(([k, v]) => k + '=' + fmt(v)).join('  ');
  const matches = (r) => {
    const ex = $('f-experiment').value, st = $('f-status').value, nm = $('f-name').value.trim().toLowerCase();
    return (!ex || r.experiment === ex) && (!st || r.status === st) && (!nm || (r.name + ' ' + r.path).toLowerCase().includes(nm));
  };
  const options = (select, values) => {
    const keep = select.value;
    const want = ['', ...[...new Set(values)].sort()];
    if ([...select.options].map((o) => o.value).join('\\n') === want.join('\\n')) return;
    select.replaceChildren(...want.map((v) => el('option', v || 'all', { value: v })));
    select.value = want.includes(keep) ? keep : '';
  };
  const draw = () => {
    options($('f-experiment'), data.runs.map((r) => r.experiment));
    options($('f-status'), data.runs.map((r) => r.status));
    const rows = data.runs.filter(matches).map((r) => {
      const tr = el('tr', undefined, { 'data-path': r.path });
      const box = el('input', undefined, { type: 'checkbox', 'aria-label': 'compare ' + r.path });
      box.checked = selected.has(r.path);
      box.addEventListener('change', () => { box.checked ? selected.add(r.path) : selected.delete(r.path); $('compare').disabled = selected.size < 2; });
      const td = el('td'); td.append(box); tr.append(td);
      tr.append(el('td', r.experiment), el('td', r.name));
      const status = el('td'); status.append(el('span', r.status, { class: 'status ' + r.status.split(' ')[0] })); tr.append(status);
      const prog = el('td');
      if (r.step !== undefined) {
        if (r.steps) { const bar = el('progress', undefined, { max: String(r.steps), value: String(Math.min(r.step, r.steps)) }); prog.append(bar, ' '); }
        prog.append(r.steps ? r.step + ' / ' + r.steps : 'step ' + r.step);
      }
      tr.append(prog, el('td', r.problem ? r.problem : pairs(Object.keys(r.results).length ? r.results : r.latest)));
      const open = el('td'); if (r.report) open.append(link('/files/' + enc(r.path) + '/report.html', 'report')); tr.append(open);
      tr.append(el('td', r.sweep ? r.path.slice(r.sweep.length + 1) : r.path));
      return tr;
    });
    $('runs').replaceChildren(...rows);
    $('count').textContent = rows.length + ' of ' + data.runs.length + ' runs' + (data.truncated ? ' (stopped at the scan limit)' : '');
    $('sweeps').replaceChildren(...data.sweeps.map((s) => {
      const tr = el('tr', undefined, { 'data-path': s.path });
      const name = el('td'); name.append(link('/sweep/' + enc(s.path) + '/', s.path || '.')); tr.append(name);
      tr.append(el('td', s.config), el('td', s.jobs), el('td', s.problem ? s.problem : pairs(s.counts)));
      return tr;
    }));
    $('compare').disabled = selected.size < 2;
  };
  const poll = async () => {
    try {
      const res = await fetch('/api/runs', { cache: 'no-store' });
      if (res.ok) { data = await res.json(); draw(); $('error').textContent = ''; }
      else $('error').textContent = 'the server answered ' + res.status;
    } catch (e) { $('error').textContent = 'the server is not answering'; }
    setTimeout(poll, ${POLL_MS});
  };
  for (const id of ['f-experiment', 'f-status', 'f-name']) $(id).addEventListener('input', draw);
  $('compare').addEventListener('click', () => {
    location.href = '/compare?' + [...selected].map((p) => 'run=' + encodeURIComponent(p)).join('&');
  });
  poll();
})();`;

/** The CSP source that allows exactly this script. */
export const LIST_SCRIPT_CSP_SOURCE = inlineScriptSource(LIST_SCRIPT);
