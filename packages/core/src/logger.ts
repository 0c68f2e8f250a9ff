import { UsageError } from './errors.js';

/** Levels as in Sacred's `-l/--loglevel` (Python logging names), lowest first. */
const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** The `log` handed to main and commands: one line per message on stderr, prefixed like Sacred's. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export function parseLogLevel(text: string | undefined): LogLevel {
  if (text === undefined) return 'INFO';
  const upper = text.toUpperCase();
  const named = upper === 'WARN' ? 'WARNING' : upper;
  if ((LEVELS as readonly string[]).includes(named)) return named as LogLevel;
  const numeric = Number(text);
  // Python's numeric levels: 10 DEBUG, 20 INFO, 30 WARNING, 40 ERROR, 50 CRITICAL.
  if (Number.isInteger(numeric) && numeric >= 0) return LEVELS[Math.min(4, Math.max(0, Math.floor(numeric / 10) - 1))]!;
  throw new UsageError(`Unknown log level ${JSON.stringify(text)}: use one of ${LEVELS.join(', ')} (or 10..50).`);
}

export function createLogger(name: string, level: LogLevel = 'INFO'): Logger {
  const threshold = LEVELS.indexOf(level);
  const emit = (at: LogLevel, message: string) => {
    if (LEVELS.indexOf(at) < threshold) return;
    // Written through process.stderr so that output capture records it too.
    process.stderr.write(`${at} - ${name} - ${message}\n`);
  };
  return {
    debug: (m) => emit('DEBUG', m),
    info: (m) => emit('INFO', m),
    warning: (m) => emit('WARNING', m),
    error: (m) => emit('ERROR', m),
  };
}
