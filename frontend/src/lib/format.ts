// Numbers as ja-JP writes them (14,047,594; 22.8), whatever the interface language.
const integer = new Intl.NumberFormat("ja-JP", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("ja-JP", { maximumFractionDigits: 2 });
const signed = new Intl.NumberFormat("ja-JP", { maximumFractionDigits: 2, signDisplay: "exceptZero" });

export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? integer.format(value) : decimal.format(value);
}

export function formatChange(percent: number | null | undefined): string {
  if (percent === null || percent === undefined) return "—";
  return `${signed.format(percent)}%`;
}
