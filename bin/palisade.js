#!/usr/bin/env node
// Runs the built CLI (npm run build); the exit code is the command's (docs/cli.md, "Exit codes").
import '../dist/cli/bin.js';
