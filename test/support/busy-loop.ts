/** Holds the main thread for `ms`, as a training step does between the event-loop turns it gives (tfjs-node's fit). */
export function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a training step holding the main thread
  }
}
