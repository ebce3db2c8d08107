// The platform's one error format (RFC 9457 problem+json), as the UI shows it.
import type { StatsSchemas } from "./client";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; code?: string } | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

type ChartData = StatsSchemas["ChartData"];

async function settled<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error as ApiError["problem"]);
  return data as T;
}

// openapi-fetch answers {data} or {error}; pages want the data or a thrown ApiError. The data's
// type is the route's published answer, so a changed API fails the type check of the page.
// Routes that also offer format=chartjs publish "their document or Chart.js data": a call
// without `format` gets the document, and one asking for the chart uses unwrapChart.
export function unwrap<T>(call: Promise<Answer<T>>): Promise<Exclude<T, ChartData>> {
  return settled(call) as Promise<Exclude<T, ChartData>>;
}

export function unwrapChart<T>(call: Promise<Answer<T>>): Promise<Extract<T, ChartData>> {
  return settled(call) as Promise<Extract<T, ChartData>>;
}
