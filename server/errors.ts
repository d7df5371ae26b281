// The errors the lab throws on purpose. Expected failures are values (see jwt/tokens.ts);
// these are the ones that end a request with a status and a sentence.

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A store call failed (closed, locked, unreachable): the request fails closed with 503. */
export class StoreUnavailableError extends HttpError {
  override name = 'StoreUnavailableError';
  constructor(store: string, options?: { cause?: unknown }) {
    super(503, `The ${store} is unavailable right now, so nobody can be authenticated through it; try again shortly.`);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
