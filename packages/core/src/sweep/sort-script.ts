import { inlineScriptSource } from '../report/script-hash';

/*
 * The sweep report's one script: click a column header of a `table.sortable` to sort its rows
 * by that column (again to reverse). Cells sort by `data-sort` when they carry one (the
 * unrounded number), else by their text; numbers as numbers, text in natural order ("job 10"
 * after "job 9"); empty cells last either way. Inline and self-contained: the page is opened
 * from disk or behind a cluster's firewall, so nothing is fetched.
 */
export const SORT_SCRIPT = `(() => {
  const key = (row, i) => {
    const cell = row.cells[i];
    const text = cell ? (cell.dataset.sort ?? cell.textContent ?? '') : '';
    const number = text.trim() === '' ? NaN : Number(text);
    return Number.isNaN(number) ? text.trim() : number;
  };
  const compare = (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return a.localeCompare(b, undefined, { numeric: true });
  };
  for (const table of document.querySelectorAll('table.sortable')) {
    const headers = [...table.tHead.rows[0].cells];
    headers.forEach((th, i) => {
      const button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', () => {
        const ascending = th.getAttribute('aria-sort') !== 'ascending';
        for (const other of headers) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = [...body.rows].map((row) => [key(row, i), row]);
        rows.sort(([a], [b]) => {
          const blank = (a === '') - (b === '');
          return blank || (ascending ? compare(a, b) : compare(b, a));
        });
        body.append(...rows.map(([, row]) => row));
      });
    });
  }
})();`;

/** The CSP source that allows exactly this script and no other (the page's only script). */
export const SORT_SCRIPT_CSP_SOURCE = inlineScriptSource(SORT_SCRIPT);
