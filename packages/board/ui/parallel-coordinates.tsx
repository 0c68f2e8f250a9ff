import { formatValue } from './format.js';

interface RunPoint {
  id: string;
  values: Map<string, unknown>;
  result: unknown;
}

const WIDTH = 900;
const HEIGHT = 260;
/** Room above each axis for its name and its max, below for its min, and at the sides for the labels' width. */
const PAD = 48;

/**
 * One vertical axis per config value that differs, the result last; one line
 * per run, coloured by its result (blue low, red high). Numbers are placed on
 * a linear axis, anything else by its rank among the values seen. Drawn as
 * SVG through Preact, so every label is text.
 */
export function ParallelCoordinates({ runs, paths }: { runs: RunPoint[]; paths: string[] }) {
  if (paths.length === 0) return <p class="muted">The runs' configs do not differ.</p>;
  const axes = [...paths, 'result'];
  const value = (run: RunPoint, axis: string) => (axis === 'result' ? run.result : run.values.get(axis));
  const positions = axes.map((axis) => axisScale(runs.map((run) => value(run, axis))));
  const x = (i: number) => PAD + (i * (WIDTH - 2 * PAD)) / Math.max(1, axes.length - 1);
  const y = (t: number | null) => (t === null ? null : HEIGHT - PAD - t * (HEIGHT - 2 * PAD));
  const resultScale = positions[positions.length - 1];
  return (
    <svg class="parallel" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="parallel coordinates">
      {axes.map((axis, i) => (
        <g key={axis}>
          <line x1={x(i)} x2={x(i)} y1={PAD} y2={HEIGHT - PAD} stroke="#999" />
          <text x={x(i)} y={PAD - 24} text-anchor="middle" font-size="12" font-weight="bold">
            {axis}
          </text>
          {/* each axis's own range, at its own two ends, capped, so they read as the axis's and not as x ticks */}
          <line x1={x(i) - 5} x2={x(i) + 5} y1={PAD} y2={PAD} stroke="#999" />
          <line x1={x(i) - 5} x2={x(i) + 5} y1={HEIGHT - PAD} y2={HEIGHT - PAD} stroke="#999" />
          <text x={x(i)} y={PAD - 8} text-anchor="middle" font-size="10" fill="#444">
            max {positions[i]?.high}
          </text>
          <text x={x(i)} y={HEIGHT - PAD + 16} text-anchor="middle" font-size="10" fill="#444">
            min {positions[i]?.low}
          </text>
        </g>
      ))}
      {runs.map((run) => {
        const points = axes
          .map((axis, i) => {
            const py = y(positions[i]?.place(value(run, axis)) ?? null);
            return py === null ? null : `${x(i)},${py}`;
          })
          .filter((p): p is string => p !== null);
        const t = resultScale?.place(run.result) ?? 0.5;
        return (
          <polyline
            key={run.id}
            points={points.join(' ')}
            fill="none"
            stroke={`hsl(${240 - 240 * (t ?? 0.5)}, 70%, 45%)`}
            stroke-width="2"
          >
            <title>run {run.id}</title>
          </polyline>
        );
      })}
    </svg>
  );
}

function axisScale(values: unknown[]) {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === values.filter((v) => v !== undefined && v !== null).length && numbers.length > 0) {
    const low = Math.min(...numbers);
    const high = Math.max(...numbers);
    return {
      low: formatValue(low),
      high: formatValue(high),
      place: (v: unknown) => (typeof v === 'number' ? (high === low ? 0.5 : (v - low) / (high - low)) : null),
    };
  }
  const seen = [...new Set(values.map((v) => formatValue(v)))].sort();
  return {
    low: seen[0] ?? '',
    high: seen[seen.length - 1] ?? '',
    place: (v: unknown) => (seen.length < 2 ? 0.5 : seen.indexOf(formatValue(v)) / (seen.length - 1)),
  };
}
