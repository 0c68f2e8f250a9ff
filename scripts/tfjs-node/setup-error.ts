/**
 * The one error `npm run setup:tfjs-node` reports: a step that could not be
 * done, with what to do about it. The entry prints its message as one line
 * (the cause's stack only with -d) and exits non-zero.
 */
export class TfjsNodeSetupError extends Error {
  override readonly name = 'TfjsNodeSetupError';
  readonly code = 'ERR_TFJS_NODE_SETUP';
}
