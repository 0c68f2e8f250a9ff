/**
 * Whether to colour output for a stream. NO_COLOR (https://no-color.org)
 * wins over FORCE_COLOR, as in picocolors: a user who asked for no colour
 * gets none. FORCE_COLOR=0/false turns colour off; any other value turns it
 * on for pipes too. Otherwise colour only on a terminal that is not `dumb`.
 */
export function shouldUseColor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}
