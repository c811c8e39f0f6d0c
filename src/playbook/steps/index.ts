// The built-in steps. Later capabilities (services.locate, key.rotate, tokens.*, notify.*, report.*)
// add their definitions here; see CONTRIBUTING.md, "Adding a step".
import type {StepDefinition} from '../types.js'
import {codeScan} from './code-scan.js'
import {codeSearch} from './code-search.js'
import {containmentVerify} from './containment-verify.js'
import {coreApprove} from './core-approve.js'
import {coreNote} from './core-note.js'
import {coreWait} from './core-wait.js'
import {keyInspect} from './key-inspect.js'
import {keyRevoke} from './key-revoke.js'
import {keyRotate} from './key-rotate.js'
import {notifyGithub} from './notify-github.js'
import {notifySlack} from './notify-slack.js'
import {reportNotification} from './report-notification.js'
import {reportRca} from './report-rca.js'
import {servicesBustCaches} from './services-bust-caches.js'
import {servicesLocate} from './services-locate.js'
import {tokensInvalidate} from './tokens-invalidate.js'
import {tokensScan} from './tokens-scan.js'

export function builtinSteps(): StepDefinition[] {
  return [
    keyInspect,
    coreNote,
    coreWait,
    coreApprove,
    servicesLocate,
    codeScan,
    codeSearch,
    containmentVerify,
    tokensScan,
    notifySlack,
    keyRotate,
    keyRevoke,
    tokensInvalidate,
    servicesBustCaches,
    notifyGithub,
    reportRca,
    reportNotification,
  ]
}
