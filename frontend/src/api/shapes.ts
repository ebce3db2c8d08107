// The answers' bodies the pages read. The generated stats and analytics documents type every
// request (paths, parameters) but declare these bodies without a schema yet; once the services
// publish response models, these become aliases of the generated components.
export interface Named {
  code: string;
  name_ja: string;
  name_en: string | null;
}
export interface Region extends Named {
  level: string;
  name_kana?: string;
  prefecture_code?: string | null;
}
export interface Indicator extends Named {
  category: string;
  unit: string;
  unit_en: string | null;
  higher_is_better: boolean | null;
}
export interface Point {
  year: number;
  period: string;
  value: number | null;
}
export interface Kpi {
  indicator: Indicator;
  latest: Point | null;
  change: { absolute: number; percent: number | null; from: string; to: string } | null;
  rank: { rank: number; of: number; year: number } | null;
  sparkline: ChartData;
}
export interface KpiAnswer {
  region: Region;
  kpis: Kpi[];
  attribution: string[];
}
// format=chartjs: Chart.js's data object. Without `labels` the data are {x: year, y} points
// for a linear axis (irregular years); each dataset's unit has its axis in `axes`.
export interface ChartPoint {
  x: number;
  y: number | null;
}
export interface ChartAxis {
  id: string;
  unit: string;
  position: "left" | "right" | "bottom";
}
export interface ChartDataset {
  label: string;
  data: (number | null)[] | ChartPoint[];
  unit: string;
  yAxisID: string;
}
export interface ChartData {
  labels?: string[];
  datasets: ChartDataset[];
  axes: ChartAxis[];
}
export interface Paged<T> {
  items: T[];
}
export interface LivabilityComponent extends Indicator {
  weight: number;
  default_weight?: number;
  direction: string;
  value?: number | null;
  score?: number | null;
  contribution?: number | null;
}
export interface LivabilityComponents {
  max_weight: number;
  components: LivabilityComponent[];
}
export interface LivabilityRegion extends Region {
  score: number | null;
  rank: number | null;
  coverage: number;
}
export interface LivabilityIndex {
  year: number;
  regions: LivabilityRegion[];
  excluded: { code: string; reason: string }[];
  attribution: string[];
}
export interface LivabilityOne {
  region: Region;
  year: number;
  score: number | null;
  rank: number | null;
  ranked_regions: number;
  components: LivabilityComponent[];
  attribution: string[];
}
export interface Interval {
  lower: number;
  upper: number;
}
export interface Forecast {
  indicator: Indicator;
  region: Named;
  history: { period: number; value: number }[];
  forecasts: { period: number; value: number; intervals: Record<"80" | "95", Interval> }[];
  model: { name: string; reason: string };
  attribution: string[];
}
export interface PyramidAnswer {
  years: number[];
  attribution: string[];
}
export interface ComparisonAnswer {
  years: number[];
  regions: Region[];
  national: Region | null;
  indicators: Indicator[];
  series: { indicator: string; region: string; national: boolean; points: Point[] }[];
  attribution: string[];
}
export interface Estimate {
  value: number;
  lower: number;
  upper: number;
}
export interface PolicyEffect {
  start_period: number;
  attribution: string[];
  indicators: {
    indicator: Indicator;
    status: string;
    reason: string | null;
    pre_period: [number, number];
    post_period: [number, number];
    interrupted_time_series: { level_change: Estimate } | null;
    difference_in_differences: {
      estimate: Estimate;
      comparison_regions: Named[];
    } | null;
  }[];
}
export interface MapCollection {
  type: "FeatureCollection";
  features: { id: number; properties: Record<string, unknown> }[];
  metadata: { year: number; indicators: Indicator[] };
  attribution: string[];
}
