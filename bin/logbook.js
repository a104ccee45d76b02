#!/usr/bin/env node
// The `logbook` command: the compiled CLI (npm's `prepare` builds dist/ on install).
import '../dist/cli/main.js';
