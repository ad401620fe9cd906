import type { TopLevelSpec } from 'vega-lite';

export type TableCell = string | number | boolean | null;

export type ReportSection =
  | { type: 'image'; title: string; path: string; caption?: string; width?: number }
  | { type: 'images'; title: string; items: { path: string; caption?: string }[]; width?: number }
  | { type: 'table'; title: string; columns: string[]; rows: TableCell[][]; caption?: string }
  | { type: 'text'; title: string; text: string; preformatted?: boolean }
  | { type: 'plot'; title: string; spec: TopLevelSpec };

/** A wrong call is a bug in the plugin: it fails the run (and the conformance kit) at the call, not when the report is written. */
function fail(method: string, title: unknown, problem: string): never {
  throw new TypeError(`report.${method}(${JSON.stringify(title)}): ${problem}`);
}

function checkTitle(method: string, title: unknown): void {
  if (typeof title !== 'string' || title.length === 0) fail(method, title, 'the title must be a non-empty string');
}

function checkPath(method: string, title: string, path: unknown): void {
  if (typeof path !== 'string' || path.length === 0) fail(method, title, `image path must be a non-empty string (got ${JSON.stringify(path)})`);
  if (path.startsWith('/') || /^[a-z]:[\\/]/i.test(path) || path.split(/[\\/]/).includes('..')) {
    fail(method, title, `image path "${path}" must be relative to the run directory (use what ctx.artifacts.writePng returns)`);
  }
}

function checkWidth(method: string, title: string, width: unknown): void {
  if (width !== undefined && (typeof width !== 'number' || !(width > 0))) fail(method, title, `width must be a positive number of pixels (got ${JSON.stringify(width)})`);
}

function isCell(v: unknown): v is TableCell {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** What a plugin adds to report.html beyond the config, summary and metric plots. */
export class ReportBuilder {
  readonly sections: ReportSection[] = [];

  addImage(title: string, path: string, caption?: string, width?: number): void {
    checkTitle('addImage', title);
    checkPath('addImage', title, path);
    checkWidth('addImage', title, width);
    this.sections.push({ type: 'image', title, path, caption, width });
  }

  addImages(title: string, items: { path: string; caption?: string }[], width?: number): void {
    checkTitle('addImages', title);
    if (!Array.isArray(items)) fail('addImages', title, 'items must be an array of { path, caption? }');
    for (const item of items) checkPath('addImages', title, (item as { path?: unknown } | null)?.path);
    checkWidth('addImages', title, width);
    this.sections.push({ type: 'images', title, items, width });
  }

  addTable(title: string, columns: string[], rows: TableCell[][], caption?: string): void {
    checkTitle('addTable', title);
    if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) fail('addTable', title, 'columns must be an array of strings');
    if (!Array.isArray(rows)) fail('addTable', title, 'rows must be an array of arrays');
    rows.forEach((row, i) => {
      if (!Array.isArray(row)) fail('addTable', title, `row ${i} is not an array`);
      if (row.length !== columns.length) fail('addTable', title, `row ${i} has ${row.length} cells for ${columns.length} columns`);
      const bad = row.findIndex((c) => !isCell(c));
      if (bad >= 0) fail('addTable', title, `row ${i}, column "${columns[bad]}": cells must be strings, numbers, booleans or null (got ${typeof row[bad]})`);
    });
    this.sections.push({ type: 'table', title, columns, rows, caption });
  }

  addText(title: string, text: string, preformatted = false): void {
    checkTitle('addText', title);
    if (typeof text !== 'string') fail('addText', title, `text must be a string (got ${typeof text})`);
    this.sections.push({ type: 'text', title, text, preformatted });
  }

  /** A vega-lite chart, rendered to inline SVG when the report is written. */
  addPlot(title: string, spec: TopLevelSpec): void {
    checkTitle('addPlot', title);
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) fail('addPlot', title, 'spec must be a vega-lite specification object');
    this.sections.push({ type: 'plot', title, spec });
  }
}
