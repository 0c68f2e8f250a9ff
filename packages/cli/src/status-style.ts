import type { CliContext } from './context.js';

/** Status colours: green done, red failed, yellow stopped or probably dead, cyan alive, dim queued. */
export function paintStatus(ctx: CliContext, status: string): string {
  const c = ctx.colors;
  switch (status) {
    case 'COMPLETED':
      return c.green(status);
    case 'FAILED':
      return c.red(status);
    case 'RUNNING':
      return c.cyan(status);
    case 'QUEUED':
      return c.dim(status);
    default:
      return c.yellow(status);
  }
}
