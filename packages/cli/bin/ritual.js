#!/usr/bin/env node
// Installed entry of the `ritual` command; the code lives in src (built to dist).
import('../dist/ritual.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/ritual.js')) {
    console.error(
      'ritual: the package is not built. Run `npm run build` in the ritual workspace, or use `npm run ritual --` from it.',
    );
    process.exit(2);
  }
  throw error;
});
