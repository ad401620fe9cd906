import type { TopLevelSpec } from 'vega-lite';
import { checkReportArguments, must } from './report-arguments';

export type ReportSection =
  | { type: 'image'; title: string; path: string; caption?: string; width?: number }
  | { type: 'images'; title: string; items: { path: string; caption?: string }[]; width?: number }
  | { type: 'table'; title: string; columns: string[]; rows: (string | number | boolean | null)[][]; caption?: string }
  | { type: 'text'; title: string; text: string; preformatted?: boolean }
  | { type: 'plot'; title: string; spec: TopLevelSpec };

/** What a plugin adds to report.html beyond the config, summary and metric plots. */
export class ReportBuilder {
  readonly sections: ReportSection[] = [];

  /** @param plugin named in the error when a call's arguments are wrong */
  constructor(private readonly plugin = 'unknown') {}

  addImage(title: string, path: string, caption?: string, width?: number): void {
    checkReportArguments(this.plugin, 'addImage(title, path, caption?, width?)', [title, path, caption, width], [must.string, must.string, must.optionalString, must.optionalWidth]);
    this.sections.push({ type: 'image', title, path, caption, width });
  }

  addImages(title: string, items: { path: string; caption?: string }[], width?: number): void {
    checkReportArguments(this.plugin, 'addImages(title, items, width?)', [title, items, width], [must.string, must.imageItems, must.optionalWidth]);
    this.sections.push({ type: 'images', title, items, width });
  }

  addTable(title: string, columns: string[], rows: (string | number | boolean | null)[][], caption?: string): void {
    checkReportArguments(this.plugin, 'addTable(title, columns, rows, caption?)', [title, columns, rows, caption], [must.string, must.stringArray, must.rows, must.optionalString]);
    this.sections.push({ type: 'table', title, columns, rows, caption });
  }

  addText(title: string, text: string, preformatted = false): void {
    checkReportArguments(this.plugin, 'addText(title, text, preformatted?)', [title, text, preformatted], [must.string, must.string, must.optionalBoolean]);
    this.sections.push({ type: 'text', title, text, preformatted });
  }

  /** A vega-lite chart, rendered to inline SVG when the report is written. */
  addPlot(title: string, spec: TopLevelSpec): void {
    checkReportArguments(this.plugin, 'addPlot(title, spec)', [title, spec], [must.string, must.object]);
    this.sections.push({ type: 'plot', title, spec });
  }
}
