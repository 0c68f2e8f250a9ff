#!/usr/bin/env node
// The `ritual` program: runs main() on the real process and sets its exit code.
// Kept apart from main.ts so that importing main never runs the command.
import { main } from './main.js';

// `ritual ls | head` closes stdout early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// `npm run ritual -- ls` runs from the workspace root; folders named by the user are relative to where they typed it.
if (process.env.npm_lifecycle_event === 'ritual' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
