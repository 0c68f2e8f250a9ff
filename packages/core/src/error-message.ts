/**
 * The one line ritual prints for something that was thrown: its message, not
 * its stack (a stack is for -d). Anything can be thrown in JavaScript, so a
 * string, a plain object or `undefined` must still give a readable line.
 */

// Causes nest (fetch failed <- connect ECONNREFUSED <- ...); a few levels say
// why, and the limit also ends a cause chain that loops back on itself.
const MAX_CAUSES = 3;

/**
 * `error.message` for an Error, `String(value)` for anything else. A cause
 * whose message the error's own message does not already quote is added as
 * `(cause: ...)`: Node's `fetch failed` or a driver's wrapper error says
 * nothing without it, while ritual's own errors already name their cause.
 */
export function errorMessage(error: unknown): string {
  let text = ownMessage(error);
  let cause = causeOf(error);
  for (let depth = 0; cause !== undefined && depth < MAX_CAUSES; depth++) {
    const reason = ownMessage(cause);
    if (reason && !text.includes(reason)) text += ` (cause: ${reason})`;
    cause = causeOf(cause);
  }
  return text;
}

function ownMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  // A thrown plain object with a message (some libraries reject with one) reads better than [object Object].
  if (error !== null && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return String(error);
}

function causeOf(error: unknown): unknown {
  return error !== null && typeof error === 'object' && 'cause' in error
    ? (error as { cause?: unknown }).cause
    : undefined;
}
