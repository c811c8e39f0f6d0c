#!/usr/bin/env node
// Production entry: runs the compiled commands in dist/ through the oclif manifest.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
