// `node --import ./test/support/hide-modules.mjs`: the packages named in RITUAL_TEST_HIDE_MODULES
// (comma-separated) resolve as if they were not installed, with the error Node itself throws,
// so a test can see what a user without an optional peer sees.
import { register } from 'node:module';

if (process.env.RITUAL_TEST_HIDE_MODULES) {
  register('./hide-modules-hooks.mjs', import.meta.url, { data: process.env.RITUAL_TEST_HIDE_MODULES.split(',') });
}
