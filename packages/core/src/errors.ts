import { errorMessage } from './error-message.js';

/**
 * Every error ritual throws on purpose is a RitualError with a stable `code`.
 * The three branches say whose move it is:
 * - UsageError: the caller (command line, config, API call) asked for something invalid;
 * - BackendError: a store or observer backend refused or could not be reached;
 * - InternalError: a bug in ritual itself.
 * Messages say what to do, not only what went wrong.
 */
export class RitualError extends Error {
  override readonly name: string = 'RitualError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The caller asked for something invalid; the message says how to fix it. */
export class UsageError extends RitualError {
  override readonly name: string = 'UsageError';
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'RITUAL_USAGE', message, options);
  }
}

/** A config key or value cannot be stored (bad key, function, cycle, NaN...). */
export class ConfigError extends UsageError {
  override readonly name: string = 'ConfigError';
  /** Dotted path of the offending entry, e.g. `model.layers.0`. */
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'RITUAL_CONFIG' });
    this.path = path;
  }
}

/** The command line could not be understood (unknown command, malformed update...). */
export class CommandLineError extends UsageError {
  override readonly name: string = 'CommandLineError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'RITUAL_COMMAND_LINE' });
  }
}

/** An optional dependency (mongodb, a tfjs backend...) is not installed. */
export class MissingDependencyError extends UsageError {
  override readonly name: string = 'MissingDependencyError';
  /** The missing packages, space-separated as `npm install` takes them. */
  readonly packageName: string;
  /** Several optional packages of one feature are named in one message, so one install fixes it. */
  constructor(packageName: string | readonly string[], purpose: string, options?: { cause?: unknown }) {
    super(missingDependencyMessage(typeof packageName === 'string' ? [packageName] : packageName, purpose), {
      ...options,
      code: 'RITUAL_MISSING_DEPENDENCY',
    });
    this.packageName = typeof packageName === 'string' ? packageName : packageName.join(' ');
  }
}

function missingDependencyMessage(names: readonly string[], purpose: string): string {
  const quoted = names.map((name) => `\`${name}\``).join(', ');
  if (names.length === 1)
    return `Optional module ${quoted} not found; it is needed ${purpose}. Install it: npm install ${names[0]}`;
  return `Optional modules ${quoted} not found; they are needed ${purpose}. Install them: npm install ${names.join(' ')}`;
}

/** A storage backend (folder, database) refused an operation or could not be reached. */
export class BackendError extends RitualError {
  override readonly name: string = 'BackendError';
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'RITUAL_BACKEND', message, options);
  }
}

/** An observer failed while starting a run; the run is refused before main runs. */
export class ObserverStartError extends BackendError {
  override readonly name: string = 'ObserverStartError';
  constructor(observerName: string, options?: { cause?: unknown }) {
    const reason = errorMessage(options?.cause);
    super(
      `Observer ${observerName} failed to start the run: ${reason}. Fix the observer's target or run with -u (unobserved).`,
      {
        ...options,
        code: 'RITUAL_OBSERVER_START',
      },
    );
  }
}

/** A run id asked for does not exist in a store. */
export class RunNotFoundError extends UsageError {
  override readonly name: string = 'RunNotFoundError';
  constructor(id: string | number, location: string) {
    super(`No run with id ${JSON.stringify(id)} in ${location}. List the runs there with: ritual ls ${location}`, {
      code: 'RITUAL_RUN_NOT_FOUND',
    });
  }
}

/** A bug in ritual: please report it. */
export class InternalError extends RitualError {
  override readonly name: string = 'InternalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('RITUAL_INTERNAL', `${message} (this is a bug in ritual; please report it)`, options);
  }
}
