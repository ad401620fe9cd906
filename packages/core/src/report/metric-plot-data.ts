/** One plotted point; `x` is a string for categorical axes. */
export interface MetricPoint {
  x: number | string;
  value: number;
  group?: string;
}

/** What the report needs to draw the metrics logged in a run. */
export interface MetricPlotData {
  series: Map<string, MetricPoint[]>;
  x: { title: string; categorical: boolean };
  groupTitle?: string;
}
