/**
 * Work in flight that only progresses when the event loop turns: a
 * heartbeat's observer I/O, a background rewrite of metrics.json. Each file
 * system or network round trip it waits for needs one turn.
 *
 * tfjs-node runs `model.fit` synchronously between the turns it is given,
 * and createTfjsCallback gives one a second (more cost the training on a
 * loaded machine, see callback.ts). A beat of a few round trips then reached
 * disk seconds after it began, and the end of a run waited for whatever beat
 * was still on its way (issue 14: up to 17 ms of a run's end). So the work
 * says that it waits (`needTurnsUntil`) and the training loop asks
 * (`turnsNeeded`) at each batch, yielding while any such work is in flight:
 * a few turns per beat, none between beats.
 *
 * Counted for the whole process, not per run: a training loop yields for
 * whatever is waiting, as the event loop itself serves every run at once.
 */
let inFlight = 0;

/** Marks `work` as waiting for turns until it settles; returns it unchanged. */
export function needTurnsUntil<T>(work: Promise<T>): Promise<T> {
  inFlight++;
  const settled = () => {
    inFlight--;
  };
  work.then(settled, settled);
  return work;
}

/** Whether some work waits for the event loop to turn: a loop that rarely yields should yield now. */
export function turnsNeeded(): boolean {
  return inFlight > 0;
}
