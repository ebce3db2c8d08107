// Chart.js with only the parts the pages use (keeps the first page's JavaScript small).
import {
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import type { StatsSchemas } from "../api/client";

Chart.register(CategoryScale, LinearScale, PointElement, LineElement, BarElement, Filler, Legend, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.font.family = "system-ui, 'Noto Sans JP', sans-serif";

export const PALETTE = ["#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#475569"];

// Chart.js `options.scales` for a format=chartjs answer: one axis per unit (its unit as the
// title, the grid drawn once), and a linear year axis when the answer gives {x, y} points.
export function scalesOf(chart: StatsSchemas["ChartData"], format: (value: number) => string): Record<string, object> {
  const scales: Record<string, object> = {};
  if (!chart.labels) scales.x = { type: "linear", ticks: { precision: 0, callback: (v: string | number) => String(v) } };
  chart.axes
    .filter((axis) => axis.id !== "x")
    .forEach((axis, i) => {
      scales[axis.id] = {
        type: "linear",
        position: axis.position,
        title: { display: true, text: axis.unit },
        grid: { drawOnChartArea: i === 0 },
        ticks: { callback: (v: string | number) => format(Number(v)) },
      };
    });
  return scales;
}
