// Quantile classes and colours of a choropleth (5 classes, a sequential blue scale).
export const COLOURS = ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];
export const NO_VALUE = "#d1d5db";

export function quantileBreaks(values: number[], classes = COLOURS.length): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return [];
  const breaks: number[] = [];
  for (let i = 1; i < classes; i++) breaks.push(sorted[Math.floor((i * sorted.length) / classes)]);
  return breaks;
}

// A MapLibre "step" expression over the feature's `value`, grey where it has none.
export function fillColour(breaks: number[]): unknown {
  const steps: unknown[] = ["step", ["get", "value"], COLOURS[0]];
  breaks.forEach((edge, i) => steps.push(edge, COLOURS[i + 1]));
  return ["case", ["==", ["typeof", ["get", "value"]], "number"], steps, NO_VALUE];
}
