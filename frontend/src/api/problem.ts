// The platform's one error format (RFC 9457 problem+json), as the UI shows it.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; code?: string } | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

// openapi-fetch answers {data} or {error}; pages want the data or a thrown ApiError.
export async function unwrap<T>(call: Promise<Answer>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error as ApiError["problem"]);
  return data as T;
}
