/**
 * While a command runs, `process.argv` holds only what the experiment's
 * command line did not consume: `[node, script, ...commandArgs]` (for main,
 * just `[node, script]`). The experiment's flags are its own: libraries that
 * parse `process.argv` when they load must not read them as theirs. Measured
 * case: tfjs-node finds its addon through node-pre-gyp, which parses
 * `process.argv` and took the experiment's `-C fd` as its own `-C/--directory`,
 * so `import('@tensorflow/tfjs-node')` inside main failed with ENOENT
 * `fd/.../package.json`. The full argv is restored when the command ends.
 *
 * Only when the command line being run is the process's own (automain,
 * `ex.runCommandline()` without arguments): a caller passing its own words
 * keeps its process.argv untouched.
 *
 * A library imported at the top of the script, before the command line is
 * parsed, still sees the full argv; import such libraries inside main.
 */
export async function withUnconsumedArgv<T>(
  consumed: readonly string[],
  left: readonly string[],
  fn: () => Promise<T>,
) {
  const own = process.argv.slice(2);
  if (own.length !== consumed.length || own.some((word, i) => word !== consumed[i])) return fn();
  // In place, so a reference to process.argv taken earlier sees the same words.
  const removed = process.argv.splice(2, process.argv.length - 2, ...left);
  try {
    return await fn();
  } finally {
    process.argv.splice(2, process.argv.length - 2, ...removed);
  }
}
