import type { TopLevelSpec } from 'vega-lite';

export type ReportSection =
  | { type: 'image'; title: string; path: string; caption?: string; width?: number }
  | { type: 'images'; title: string; items: { path: string; caption?: string }[]; width?: number }
  | { type: 'table'; title: string; columns: string[]; rows: (string | number | boolean | null)[][]; caption?: string }
  | { type: 'text'; title: string; text: string; preformatted?: boolean }
  | { type: 'plot'; title: string; spec: TopLevelSpec };

/** What a plugin adds to report.html beyond the config, summary and metric plots. */
export class ReportBuilder {
  readonly sections: ReportSection[] = [];

  addImage(title: string, path: string, caption?: string, width?: number): void {
    this.sections.push({ type: 'image', title, path, caption, width });
  }

  addImages(title: string, items: { path: string; caption?: string }[], width?: number): void {
    this.sections.push({ type: 'images', title, items, width });
  }

  addTable(title: string, columns: string[], rows: (string | number | boolean | null)[][], caption?: string): void {
    this.sections.push({ type: 'table', title, columns, rows, caption });
  }

  addText(title: string, text: string, preformatted = false): void {
    this.sections.push({ type: 'text', title, text, preformatted });
  }

  /** A vega-lite chart, rendered to inline SVG when the report is written. */
  addPlot(title: string, spec: TopLevelSpec): void {
    this.sections.push({ type: 'plot', title, spec });
  }
}
