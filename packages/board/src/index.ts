// The public API of @ritual/board: the server behind `ritual board`.
export { startBoard, type Board, type BoardOptions } from './board-server.js';
// The pieces a script or a benchmark may use on their own.
export { downsample, type SeriesArrays, type DownsampleRequest, type DownsampledSeries } from './series-downsample.js';
export { countRuns, runsPage, type RunsPage, type RunsPageQuery, type RunRow } from './runs-page.js';
