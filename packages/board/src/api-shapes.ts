/**
 * The JSON the runs API answers, one definition for the server that writes
 * it and the UI that reads it. It imports nothing: the UI compiles it with
 * the DOM's types, the server with Node's.
 */

export interface RunRow {
  id: number | string;
  name: string;
  status: string;
  /** RUNNING without a heartbeat for two minutes: its process probably died. */
  probablyDead: boolean;
  start_time: string | null;
  heartbeat: string | null;
  duration_ms: number | null;
  result: unknown;
  sweep: { id: string; index: number } | null;
  columns: Record<string, unknown>;
  metrics: Record<string, number | null>;
}

export interface RunsPage {
  total: number;
  page: number;
  size: number;
  rows: RunRow[];
  /** Run folders or documents the store could not read, one line each, shown as such. */
  malformed: string[];
}
