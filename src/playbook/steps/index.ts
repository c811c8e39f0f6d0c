// The built-in steps. Later capabilities (services.locate, key.rotate, tokens.*, notify.*, report.*)
// add their definitions here; see CONTRIBUTING.md, "Adding a step".
import type {StepDefinition} from '../types.js'
import {codeScan} from './code-scan.js'
import {codeSearch} from './code-search.js'
import {coreApprove} from './core-approve.js'
import {coreNote} from './core-note.js'
import {coreWait} from './core-wait.js'
import {keyInspect} from './key-inspect.js'
import {servicesLocate} from './services-locate.js'

export function builtinSteps(): StepDefinition[] {
  return [keyInspect, coreNote, coreWait, coreApprove, servicesLocate, codeScan, codeSearch]
}
