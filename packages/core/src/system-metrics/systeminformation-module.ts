type Systeminformation = typeof import('systeminformation');

/**
 * The `systeminformation` package, loaded on a run's first system sample on
 * platforms without /proc (on Linux the sampler reads /proc and never loads
 * it), never with @ritual/core: loading it costs ~30 ms of CPU and ~60 ms of
 * wall time (measured), which start-up capture cannot afford (issue 7). By
 * then main is running and the cost is off the critical path.
 */
let loading: Promise<Systeminformation> | undefined;

export function systeminformation(): Promise<Systeminformation> {
  loading ??= import('systeminformation').then((module) => {
    // A CommonJS package: its exports are the default export of the ESM namespace.
    const withDefault = module as Systeminformation & { default?: Systeminformation };
    return withDefault.default ?? withDefault;
  });
  return loading;
}
