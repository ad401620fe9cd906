import type { TopLevelSpec } from 'vega-lite';
import { checkReportArguments, must } from './report-arguments';
import { checkHeadline } from './headline-check';

import type { PlotSpec, ReportSections, TableCell } from '../plugin/api';
import type { Headline } from '../plugin/headline';

export type { TableCell };

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


function checkPath(method: string, title: string, path: unknown): void {
  if (typeof path !== 'string' || path.length === 0) fail(method, title, `image path must be a non-empty string (got ${JSON.stringify(path)})`);
  if (path.startsWith('/') || /^[a-z]:[\\/]/i.test(path) || path.split(/[\\/]/).includes('..')) {
    fail(method, title, `image path "${path}" must be relative to the run directory (use what ctx.artifacts.writePng returns)`);
  }
}



/** What a plugin adds to report.html beyond the config, summary and metric plots. */
export class ReportBuilder implements ReportSections {
  readonly sections: ReportSection[] = [];
  /** The latest headline the plugin set, if any. */
  headline: Headline | undefined;

  /** @param plugin named in the error when a call's arguments are wrong */
  constructor(private readonly plugin = 'unknown') {}

  setHeadline(headline: Headline): void {
    checkHeadline(this.plugin, headline);
    // A copy: what was checked is what is rendered, even if the plugin reuses its objects.
    this.headline = structuredClone(headline);
  }

  addImage(title: string, path: string, caption?: string, width?: number): void {
    checkReportArguments(this.plugin, 'addImage(title, path, caption?, width?)', [title, path, caption, width], [must.string, must.string, must.optionalString, must.optionalWidth]);
    checkPath('addImage', title, path);
    this.sections.push({ type: 'image', title, path, caption, width });
  }

  addImages(title: string, items: { path: string; caption?: string }[], width?: number): void {
    checkReportArguments(this.plugin, 'addImages(title, items, width?)', [title, items, width], [must.string, must.imageItems, must.optionalWidth]);
    for (const item of items) checkPath('addImages', title, item.path);
    this.sections.push({ type: 'images', title, items, width });
  }

  addTable(title: string, columns: string[], rows: TableCell[][], caption?: string): void {
    checkReportArguments(this.plugin, 'addTable(title, columns, rows, caption?)', [title, columns, rows, caption], [must.string, must.stringArray, must.rows, must.optionalString]);
    rows.forEach((row, i) => {
      if (row.length !== columns.length) fail('addTable', title, `row ${i} has ${row.length} cells for ${columns.length} columns`);
    });
    this.sections.push({ type: 'table', title, columns, rows, caption });
  }

  addText(title: string, text: string, preformatted = false): void {
    checkReportArguments(this.plugin, 'addText(title, text, preformatted?)', [title, text, preformatted], [must.string, must.string, must.optionalBoolean]);
    this.sections.push({ type: 'text', title, text, preformatted });
  }

  /** A vega-lite chart, rendered to inline SVG when the report is written. */
  addPlot(title: string, spec: PlotSpec): void {
    checkReportArguments(this.plugin, 'addPlot(title, spec)', [title, spec], [must.string, must.inlinePlot]);
    // vega-lite checks the spec when the report renders it; the plugin API stays free of its types.
    this.sections.push({ type: 'plot', title, spec: spec as unknown as TopLevelSpec });
  }
}
