import { errorBody } from '../contract/errors.ts';

/** An error answered as the `{error, detail}` envelope by the app's one error handler. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly detail: string | null,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? code);
    this.name = 'ApiError';
  }

  body() {
    return errorBody(this.code, this.detail, this.extra);
  }
}
