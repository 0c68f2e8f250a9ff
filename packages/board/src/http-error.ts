/**
 * A request the board refuses, with the HTTP status to answer and a message
 * the UI shows as is. `position` points into a `where` expression (0-based)
 * so the filter box can mark the character.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}
