import { randomBytes } from 'node:crypto';
import { BackendError, type JsonObject, type QueueClaim, type RunId, type RunStatus } from '@ritual/core';
import type { ClaimedRun, ClaimRequest, ReapedRun, ReapRequest, RunQueue } from '@ritual/core/observer-kit';
import { errorMessage } from '@ritual/core/observer-kit';
import { connectMongo, type MongoHandles } from './connection.js';
import { parseMongoSpec, type MongoTarget } from './target.js';

export interface MongoRunQueueOptions {
  /** How long connecting waits for an unreachable server before the worker gives up (default 5000 ms). */
  serverSelectionTimeoutMS?: number;
  /** Create the claim index (default true; the benchmark turns it off to show what it buys). */
  index?: boolean;
}

/** The claim's sort: highest `meta.priority` first (runs queued without -P last), then the oldest. */
const CLAIM_ORDER = { 'meta.priority': -1, 'meta.queue_time': 1 } as const;
/** Equality fields first, then the sort: the claim reads one index entry however long the queue is. */
export const CLAIM_INDEX = { status: 1, 'experiment.name': 1, ...CLAIM_ORDER } as const;
const CLAIM_INDEX_NAME = 'ritual_queue_claim';

/** Fields of a started run that a new attempt of a run queued again starts without. */
const ATTEMPT_FIELDS = ['start_time', 'heartbeat', 'stop_time', 'meta.run_key', 'format', 'result', 'fail_trace'];
const CLAIM_FIELDS = ['meta.queue.claim', 'meta.queue.worker', 'meta.queue.claimed_at'];

/**
 * The MongoDB queue the `worker` command drains: QUEUED documents of the runs collection (Sacred's
 * own queue: `-q` stores them, Omniboard lists them). Every state change is one atomic update
 * guarded by the current state, so racing workers on any number of machines each win a run at most once.
 */
export class MongoRunQueue implements RunQueue {
  readonly name: string;

  private constructor(
    private readonly handles: MongoHandles,
    target: MongoTarget,
  ) {
    this.name = `${target.redactedUrl} (${target.dbName}.${target.runsCollection})`;
  }

  /** From the value of `-m`; connects now, so an unreachable server is one clear error before any claim. */
  static async open(spec: string, options: MongoRunQueueOptions = {}): Promise<MongoRunQueue> {
    const target = parseMongoSpec(spec);
    let handles: MongoHandles;
    try {
      handles = await connectMongo(target, { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000 });
      if (options.index !== false) await handles.runs.createIndex(CLAIM_INDEX, { name: CLAIM_INDEX_NAME });
    } catch (error) {
      throw new BackendError(
        `Cannot reach the MongoDB queue at ${target.redactedUrl}: ${errorMessage(error)}. Start the server or fix -m.`,
        { cause: error },
      );
    }
    return new MongoRunQueue(handles, target);
  }

  async claim(request: ClaimRequest): Promise<ClaimedRun | null> {
    const now = new Date();
    const claim = randomBytes(8).toString('hex');
    const document = await this.handles.runs.findOneAndUpdate(
      { status: 'QUEUED', 'experiment.name': request.experiment },
      {
        $set: {
          status: 'RUNNING',
          heartbeat: now,
          'meta.queue.worker': request.worker,
          'meta.queue.claimed_at': now,
          'meta.queue.claim': claim,
        },
        $inc: { 'meta.queue.attempts': 1 },
      } as never,
      { sort: CLAIM_ORDER, returnDocument: 'after' },
    );
    if (!document) return null;
    const meta = (document.meta ?? {}) as Record<string, unknown>;
    const queue = (meta.queue ?? {}) as { sources?: Array<[string, string]>; attempts?: number };
    return {
      id: document._id as unknown as RunId,
      claim,
      command: String(meta.command ?? document.command ?? 'main'),
      config: (document.config ?? {}) as JsonObject,
      namedConfigs: Array.isArray(meta.named_configs) ? (meta.named_configs as string[]) : [],
      options: (meta.options ?? {}) as Record<string, unknown>,
      sources: Array.isArray(queue.sources) ? queue.sources : [],
      attempts: queue.attempts ?? 1,
    };
  }

  async reap(request: ReapRequest): Promise<ReapedRun[]> {
    const now = new Date();
    const dead = {
      status: 'RUNNING',
      'experiment.name': request.experiment,
      'meta.queue.claim': { $exists: true },
      heartbeat: { $lt: new Date(now.getTime() - request.deadAfterMs) },
    };
    const reaped: ReapedRun[] = [];
    for (;;) {
      const candidate = await this.handles.runs.findOne(dead, { projection: { _id: 1, 'meta.queue': 1 } });
      if (!candidate) break;
      const queue = (
        candidate.meta as { queue: { claim: string; worker?: string; claimed_at?: Date; attempts?: number } }
      ).queue;
      const attempts = queue.attempts ?? 1;
      const again = attempts <= request.retries;
      const trace =
        `ritual worker ${request.worker}: no heartbeat for more than ${request.deadAfterMs / 1000} s from worker ` +
        `${queue.worker ?? '?'} (claimed ${queue.claimed_at?.toISOString() ?? '?'}): it or its machine died ` +
        `(SIGKILL, power loss). Attempt ${attempts}, --retries ${request.retries}.`;
      // Guarded by the claim: of the workers that find the same dead run, one changes it.
      const guard = { ...dead, _id: candidate._id, 'meta.queue.claim': queue.claim };
      const update = again
        ? {
            $set: { status: 'QUEUED', captured_out: '', info: {}, resources: [], artifacts: [] },
            $unset: Object.fromEntries([...ATTEMPT_FIELDS, ...CLAIM_FIELDS].map((field) => [field, ''])),
            $push: { 'meta.queue.dead': trace },
          }
        : { $set: { status: 'FAILED', stop_time: now, fail_trace: [trace] } };
      const changed = await this.handles.runs.updateOne(guard as never, update as never);
      if (changed.modifiedCount === 0) continue;
      // The dead attempt's points would mix with the next attempt's under the same run id.
      if (again) await this.handles.metrics.deleteMany({ run_id: candidate._id });
      reaped.push({ id: candidate._id as unknown as RunId, status: again ? 'QUEUED' : 'FAILED', attempts });
    }
    return reaped;
  }

  async beat(claim: QueueClaim): Promise<boolean> {
    const updated = await this.handles.runs.updateOne(
      { _id: claim.id, status: 'RUNNING', 'meta.queue.claim': claim.claim } as never,
      { $set: { heartbeat: new Date() } },
    );
    if (updated.matchedCount > 0) return true;
    // Not RUNNING any more but still this claim's: the run has just ended, which is no loss.
    const still = await this.handles.runs.findOne({ _id: claim.id, 'meta.queue.claim': claim.claim } as never, {
      projection: { _id: 1 },
    });
    return still !== null;
  }

  async release(claim: QueueClaim): Promise<void> {
    await this.handles.runs.updateOne(
      { _id: claim.id, status: 'RUNNING', 'meta.queue.claim': claim.claim } as never,
      {
        $set: { status: 'QUEUED' },
        $unset: Object.fromEntries(['heartbeat', ...CLAIM_FIELDS].map((field) => [field, ''])),
        $inc: { 'meta.queue.attempts': -1 },
      } as never,
    );
  }

  async settle(claim: QueueClaim, failTrace: string[]): Promise<{ status: RunStatus | 'LOST'; abandoned: boolean }> {
    const updated = await this.handles.runs.updateOne(
      { _id: claim.id, status: 'RUNNING', 'meta.queue.claim': claim.claim } as never,
      { $set: { status: 'FAILED', stop_time: new Date(), fail_trace: failTrace } },
    );
    if (updated.modifiedCount > 0) return { status: 'FAILED', abandoned: true };
    const stored = await this.handles.runs.findOne({ _id: claim.id, 'meta.queue.claim': claim.claim } as never, {
      projection: { status: 1 },
    });
    return { status: stored ? (stored.status as RunStatus) : 'LOST', abandoned: false };
  }

  async close(): Promise<void> {
    await this.handles.client.close();
  }
}

/** `worker -m SPEC` (loaded by core's queueFromOptions). */
export function openRunQueue(spec: string, options?: MongoRunQueueOptions): Promise<RunQueue> {
  return MongoRunQueue.open(spec, options);
}
