import {Errors, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {positiveDurationFlag} from '../../cli/duration-flag.js'
import {createEngineUi} from '../../cli/engine-ui.js'
import {listenForInterrupt} from '../../cli/interrupt.js'
import {renderDrill, renderDrillInterrupted} from '../../cli/render-drill.js'
import {homeFlag} from '../../cli/run-flags.js'
import {ExitCode} from '../../core/errors.js'
import {resolveHome} from '../../incident/workspace.js'
import {runDrill, type DrillResult} from '../../drill/run-drill.js'
import {prose} from '../../core/prose.js'

export default class Drill extends JwkrCommand {
  static override summary = 'Rehearse a key leak against a live world on loopback, and score the response.'
  static override description = prose`
    Builds a small organisation on 127.0.0.1 (an issuer, relying-party services, Slack and GitHub), leaks the
    issuer’s signing key, runs the standard playbook against it — guided on a terminal, unattended with --yes — and
    prints a scorecard. The drill is an incident like any other, marked as a drill: jwkr drill report ID renders it,
    jwkr incident list --drills lists it. It exits 0 when the drill passed (every expectation checked and met), 1 when
    containment was proven but an expectation was missed or not checked, 4 when containment was not proven; --json's
    exitCode is that code, and scorecard.outcome.runExitCode the code jwkr respond would have ended the run with.`
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
    keep: Flags.boolean({
      description: 'Leave the world running after the drill, to explore it: prints its env.sh and inventory; Ctrl-C stops it.',
    }),
    deadline: Flags.string({
      default: '60s',
      description:
        'How long the proof may go on past the time every cache should have dropped the key, before containment counts as not proven.',
    }),
  }

  async run(): Promise<DrillResult> {
    const {flags} = await this.parse(Drill)
    // Before the world is built: a bad deadline would otherwise end the proof unexplained.
    positiveDurationFlag(flags.deadline, '--deadline')
    const json = this.jsonEnabled()
    const interactive = !flags.yes && !json && process.stdin.isTTY === true && process.stderr.isTTY === true
    const interruption = listenForInterrupt()
    try {
      const result = await runDrill({
        home: resolveHome({flag: flags.home}),
        scenario: flags.scenario,
        services: flags.services,
        yes: flags.yes || !interactive,
        keep: flags.keep,
        deadline: flags.deadline,
        ui: createEngineUi({secrets: this.secrets, interactive, quiet: json, interruption}),
        secrets: this.secrets,
        env: process.env,
        signal: interruption.signal,
        onWorld: (world) => {
          if (!json) this.logToStderr(`World ${world.id} is up: ${world.services.length} services, issuer ${world.urls.issuer}`)
        },
        // --keep: the scorecard, then the world until the first Ctrl-C.
        whileKept: async (kept) => {
          if (!json) this.log(renderDrill(kept, this.style))
          await new Promise<void>((resolve) => {
            if (interruption.signal.aborted) resolve()
            interruption.signal.addEventListener('abort', () => resolve(), {once: true})
          })
          if (!json) this.logToStderr(`Stopped the world of drill ${kept.drill}.`)
        },
      })
      if (result.interrupted) {
        if (json) this.logJson(result)
        else this.logToStderr(renderDrillInterrupted(result))
        throw new Errors.ExitError(ExitCode.interrupted)
      }
      if (!json && !flags.keep) this.log(renderDrill(result, this.style))
      // The JSON's exitCode is this one (the scorecard's drillExitCode), so the two always agree.
      if (result.exitCode !== ExitCode.ok) {
        if (json) this.logJson(result)
        throw new Errors.ExitError(result.exitCode)
      }
      return result
    } catch (error) {
      // Ctrl-C while the world was being built: nothing ran.
      if (interruption.signal.aborted && !(error instanceof Errors.ExitError)) {
        if (!json) this.logToStderr('Interrupted before the drill began: nothing ran.')
        throw new Errors.ExitError(ExitCode.interrupted)
      }
      throw error
    } finally {
      interruption.dispose()
    }
  }
}
