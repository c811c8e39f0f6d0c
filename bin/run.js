#!/usr/bin/env node
// Production entry: runs the compiled commands in dist/ through the oclif manifest; errors no
// command caught are printed as jwkr prints its own (src/cli/run-cli.ts).
import {runCli} from '../dist/cli/run-cli.js'

await runCli({dir: import.meta.url})
