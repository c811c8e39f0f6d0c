import {Errors, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {createEngineUi} from '../../cli/engine-ui.js'
import {renderDrill} from '../../cli/render-drill.js'
import {homeFlag} from '../../cli/run-flags.js'
import {ExitCode, JwkrError} from '../../core/errors.js'
import {resolveHome} from '../../incident/workspace.js'
import {runDrill, type DrillResult} from '../../drill/run-drill.js'

export default class Drill extends JwkrCommand {
  static override summary = 'Rehearse a key leak against a live world on loopback, and score the response.'
  static override description =
    'Builds a small organisation on 127.0.0.1 (an issuer, relying-party services, Slack and GitHub), leaks the ' +
    'issuer’s signing key, runs the standard playbook against it — guided on a terminal, unattended with --yes — ' +
    'and prints a scorecard. The drill is an incident like any other, marked as a drill: jwkr drill report ID ' +
    'renders it, jwkr incident list --drills lists it.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --yes',
    '<%= config.bin %> <%= command.id %> --scenario stubborn-cache --services 8',
    '<%= config.bin %> <%= command.id %> --scenario flaky-slack --yes --json',
    '<%= config.bin %> <%= command.id %> --keep',
  ]
  static override flags = {
    ...homeFlag,
    scenario: Flags.string({char: 's', default: 'basic', description: 'A scenario (jwkr drill list) or a scenario file.'}),
    services: Flags.integer({description: 'How many relying-party services (default: the scenario’s).', min: 1, max: 50}),
    yes: Flags.boolean({char: 'y', description: 'Run unattended: approve every step.'}),
    keep: Flags.boolean({description: 'Leave the world running after the drill, to explore it (Ctrl-C stops it).'}),
    deadline: Flags.string({default: '60s', description: 'How long the proof may take before containment counts as not proven.'}),
  }

  async run(): Promise<DrillResult> {
    const {flags} = await this.parse(Drill)
    const interactive = !flags.yes && !this.jsonEnabled() && process.stdin.isTTY === true && process.stderr.isTTY === true
    const controller = new AbortController()
    const onSigint = (): void => controller.abort(new JwkrError('ERR_ABORTED', 'Interrupted.'))
    process.once('SIGINT', onSigint)
    try {
      const result = await runDrill({
        home: resolveHome({flag: flags.home}),
        scenario: flags.scenario,
        services: flags.services,
        yes: flags.yes || !interactive,
        keep: flags.keep,
        deadline: flags.deadline,
        ui: createEngineUi({secrets: this.secrets, interactive, quiet: this.jsonEnabled()}),
        secrets: this.secrets,
        env: process.env,
        signal: controller.signal,
        onWorld: (world) => {
          if (!this.jsonEnabled())
            this.logToStderr(`World ${world.id} is up: ${world.services.length} services, issuer ${world.urls.issuer}`)
        },
      })
      if (!this.jsonEnabled()) this.log(renderDrill(result, this.style))
      if (flags.keep && !this.jsonEnabled()) await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
      const code = result.passed ? ExitCode.ok : result.contained ? ExitCode.failure : ExitCode.notContained
      if (code !== ExitCode.ok) {
        if (this.jsonEnabled()) this.logJson(result)
        throw new Errors.ExitError(code)
      }
      return result
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
  }
}
