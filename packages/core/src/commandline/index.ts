// The command-line module's public surface: parsing `prog [COMMAND] [with
// UPDATE...] [options]`, help and print_config rendering, colour and
// entry-point detection.
export { parseCommandLine, type ParsedCommandLine } from './parse.js';
export { defaultRunOptions, OPTION_SPECS, type RunOptions, type OptionSpec } from './options.js';
export { parseUpdateValue } from './update-value.js';
export { parseUpdates, type ParsedUpdates } from './updates.js';
export { renderHelp, type HelpInfo } from './help.js';
export { renderConfig, formatValue } from './print-config.js';
export { shouldUseColor } from './color.js';
export { isEntryPoint } from './entry-point.js';
