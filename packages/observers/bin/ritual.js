#!/usr/bin/env node
// Installed entry of the `ritual` command; the code lives in src/cli (built to dist/cli).
import('../dist/cli/ritual.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/ritual.js')) {
    console.error('ritual: the package is not built. Run `npm run build` in the ritual workspace, or use `npm run ritual --` from it.');
    process.exit(2);
  }
  throw error;
});
