#!/usr/bin/env node
// Runs the built CLI (npm run build); exit code as the command decided.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error('palisade: internal error:', error);
    process.exitCode = 3;
  },
);
