import type { Headline, HeadlineToken } from '../plugin/headline';
import { escapeHtml } from './escape-html';

/*
 * The headline at the top of report.html. Everything in it comes from the plugin's data and
 * is escaped. It wraps at any width (tokens, texts and facts flow onto new lines, images
 * shrink to the page), so the answer never needs a horizontal scroll.
 */

export const HEADLINE_STYLE = `.headline{border:1px solid #ccd;border-radius:6px;padding:.6em 1em;margin:1em 0;background:#fafbff}
.headline .answer{font-size:1.25em;font-weight:600;margin:.2em 0 .5em}.headline .answer.good{color:#17622a}.headline .answer.bad{color:#9b1c1c}
.token-row,.text-row{display:flex;gap:.6em;align-items:baseline;margin:.3em 0}.row-label{flex:0 0 7em;color:#555;font-size:.9em;overflow-wrap:anywhere}
.tokens{display:flex;flex-wrap:wrap;gap:3px;min-width:0}.tok{display:inline-flex;flex-direction:column;align-items:center;font-family:ui-monospace,monospace;padding:1px 4px;border:1px solid #ccc;border-radius:3px;background:#fff;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
.tok.right{background:#d9f2dd;border-color:#5aa469}.tok.wrong{background:#fadada;border-color:#c0504d;border-bottom-style:dashed}.tok.changed{background:#fdf0c8;border-color:#c9a227}
.tok small{font-family:system-ui,sans-serif;font-size:.72em;color:#555}.text-row .text{white-space:pre-wrap;overflow-wrap:anywhere;min-width:0;font-family:ui-monospace,monospace}
.facts{display:flex;flex-wrap:wrap;gap:.4em 1.6em;margin:.6em 0 .2em}.facts div{min-width:0}.facts dt{font-size:.85em;color:#555}.facts dd{margin:0;font-size:1.1em;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.headline figure{max-width:100%}.headline .caption{font-size:.85em;color:#555;margin:.4em 0 0}`;

/** Numbers read at a glance: 4 significant digits, no padding zeros. */
export function headlineValue(v: string | number | boolean | null): string {
  if (v === null) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e6 ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

const MARK_WORDS = { right: 'right', wrong: 'wrong', changed: 'changed' } as const;

function tokenHtml(t: HeadlineToken): string {
  const hover = [t.id !== undefined ? `id ${t.id}` : undefined, t.hint ?? (t.mark ? MARK_WORDS[t.mark] : undefined), t.note].filter(Boolean).join(' · ');
  const cls = t.mark ? `tok ${t.mark}` : 'tok';
  return `<span class="${cls}"${hover ? ` title="${escapeHtml(hover)}"` : ''}>${escapeHtml(t.text)}${t.note ? `<small>${escapeHtml(t.note)}</small>` : ''}</span>`;
}

function row(cls: string, label: string, body: string): string {
  return `<div class="${cls}"><span class="row-label">${escapeHtml(label)}</span>${body}</div>`;
}

/** The headline section; empty when the plugin declared none. */
export function headlineHtml(h: Headline | undefined): string {
  if (!h) return '';
  const parts = [`<p class="answer${h.verdict ? ` ${h.verdict}` : ''}">${escapeHtml(h.answer)}</p>`];
  for (const r of h.tokens ?? []) parts.push(row('token-row', r.label, `<span class="tokens">${r.tokens.map(tokenHtml).join('')}</span>`));
  for (const t of h.texts ?? []) parts.push(row('text-row', t.label, `<span class="text">${escapeHtml(t.text)}</span>`));
  if (h.images?.length) {
    const width = h.imageWidth ? ` width="${h.imageWidth}"` : '';
    parts.push(`<div class="images">${h.images.map((i) => `<figure><img src="${escapeHtml(i.path)}"${width} alt="${escapeHtml(i.caption ?? i.path)}">${i.caption ? `<figcaption>${escapeHtml(i.caption)}</figcaption>` : ''}</figure>`).join('')}</div>`);
  }
  if (h.facts?.length) {
    parts.push(`<dl class="facts">${h.facts.map((f) => `<div${f.hint ? ` title="${escapeHtml(f.hint)}"` : ''}><dt>${escapeHtml(f.label)}</dt><dd>${escapeHtml(headlineValue(f.value))}</dd></div>`).join('')}</dl>`);
  }
  if (h.caption) parts.push(`<p class="caption">${escapeHtml(h.caption)}</p>`);
  return `<section class="headline">\n${parts.join('\n')}\n</section>`;
}
