// @ritual/core/observer-kit: what an observer or store author needs beyond the
// user-facing API of @ritual/core. @ritual/observers is built on it; a user
// training a model never imports it. Sacred's formats live here (its time
// strings, its run folder's file names), with the parts of core a backend must
// agree with (artifact names, journal lines, seeds).

// Sacred's timestamps: naive UTC ISO strings without a zone, as Python writes them.
export { toSacredTime, fromSacredTime } from './sacred/time.js';

// Durations as every reader prints them (compact, or Sacred's h:mm:ss clock).
export { formatDuration, type DurationStyle } from './duration.js';

// Sacred's JSON as Python's json.dump spells it (ensure_ascii, repr floats, bare NaN, keys by code point).
export {
  formatSacredJson,
  sacredJsonNumber,
  sacredJsonString,
  spelledAsInJavaScript,
  compareSacredKeys,
} from './sacred/sacred-json.js';

// Artifact names as every backend must store them, and the run files they may not shadow.
export { normaliseArtifactName, RUN_FILE_NAMES } from './sacred/artifact-name.js';

// Lines of the journal an observer could not take, read back by `ritual replay`.
export { parseJournalLine, type JournalLine } from './observer/undelivered-journal.js';

// Files replaced or appended whole (every byte counted, never a half-written file; durable where asked).
export {
  AtomicFile,
  appendFileWhole,
  appendFileWholeSync,
  replaceFileAtomic,
  syncFolder,
  writeFileAtomic,
  writeFileAtomicSync,
  writeFully,
  writeFullySync,
  type AtomicWriteOptions,
} from './atomic-file.js';

// Background work that waits for the event loop to turn (a background rewrite): a training loop that rarely
// yields (tfjs-node's fit) yields at every batch until it is done.
export { needTurnsUntil } from './event-loop-demand.js';

// The root seed and the generators derived from it, for backends that replay or check seeding.
export { newRootSeed, Seeding } from './seeding.js';

// A bug in ritual (or in the observer) rather than in the caller's input or the backend.
export { InternalError } from './errors.js';

// The one line printed for anything thrown: its message, with a cause the message does not already name.
export { errorMessage } from './error-message.js';

// The queue the `worker` command drains: core's contract, implemented by a backend (MongoRunQueue).
export type { RunQueue, ClaimedRun, ClaimRequest, ReapRequest, ReapedRun } from './queue/run-queue.js';
