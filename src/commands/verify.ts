import {Flags} from '@oclif/core'

import {JwkrCommand} from '../cli/base-command.js'
import {keySelectionFlags} from '../cli/key-flags.js'
import {listenForInterrupt} from '../cli/interrupt.js'
import {containmentStatusLine, renderVerify} from '../cli/render-verify.js'
import {resolveInventoryPath} from '../cli/run-playbook-command.js'
import {loadKeySource} from '../services/identify.js'
import {checkControlKey, notContainedMessage, verifyContainment, type VerifyResult} from '../services/verify.js'
import {selectIssuers} from '../core/containment/plan-containment.js'
import {parseRemovalTime} from '../core/containment/clock.js'
import {parseDuration} from '../core/duration.js'
import {positiveDurationFlag} from '../cli/duration-flag.js'
import {ExitCode, JwkrError} from '../core/errors.js'
import {leakedKeyOf} from '../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../core/inventory/load-inventory.js'
import {loadInventory} from '../services/inventory.js'
import {prose} from '../core/prose.js'

export default class Verify extends JwkrCommand {
  static override summary = 'Prove the leaked key is contained: canary probes, JWKS re-checks and the containment clock.'
  static override description = prose`
    Fetches every JWKS of the inventory again (contained when the key’s thumbprint is gone) and, when the private
    key is known, sends each dependent service a canary token signed with the leaked key and shaped like an
    attacker’s (the kid the issuer publishes, the service’s probe.token aud/typ/scope; sub jwkr-canary, a canary
    jti, 5-minute exp), plus the same token with a broken signature, which must be refused. A service that answers
    2xx or 403 accepts the key (exposed). A 401 proves containment only from a service seen to accept a canary
    earlier in this run, or beside a control token signed with the replacement key (--control-key) that it accepts;
    otherwise the service is "undiscriminating": its refusal may have another cause. Run with --baseline before
    containment to see which probes discriminate. The services checked are those trusting an issuer that serves the
    key, was seen serving it (locate, the incident's journal) or is named with --published-by; with no such record, a
    service whose issuers no longer serve the key is named as not checked, never dropped. The containment clock says
    when each cached key set must have dropped the key; it infers, it never proves. With --until-contained it checks
    again every --interval until containment is proven or --deadline passes. Exits 0 only when containment is proven, 4 otherwise (not proven, or
    not attempted). Evidence (URL, time, status, SHA-256 of the body, canary jti) is in the output; the tokens
    themselves never are.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json',
    '<%= config.bin %> <%= command.id %> --key leaked.json --baseline',
    '<%= config.bin %> <%= command.id %> --key leaked.json --until-contained --interval 15s --deadline 30m',
    '<%= config.bin %> <%= command.id %> --key leaked.json --control-key jwkr-replacement-k2.private.jwk.json',
    '<%= config.bin %> <%= command.id %> --key leaked.json --published-by auth-main --control-key jwkr-replacement-k2.private.jwk.json',
    '<%= config.bin %> <%= command.id %> --key leaked.json --removed-at 2024-05-01T10:02:00Z --token-lifetime 15m',
    '<%= config.bin %> <%= command.id %> --key leaked.json --inventory ops/jwkr.inventory.yaml --json',
  ]
  static override flags = {
    key: Flags.string({
      char: 'k',
      required: true,
      description: 'The leaked key: a file path, "-" for stdin, or the JWK/JWKS JSON or PEM itself.',
    }),
    ...keySelectionFlags,
    inventory: Flags.string({description: 'The inventory file (default: JWKR_INVENTORY, else ./jwkr.inventory.yaml).'}),
    'until-contained': Flags.boolean({
      description: 'Check again every --interval until everything is contained or --deadline passes.',
      exclusive: ['baseline'],
    }),
    baseline: Flags.boolean({
      description: 'Before containment: expect every canary to be accepted, and name the services whose probes cannot tell.',
    }),
    'control-key': Flags.string({
      description: 'The replacement private key (a file): a control token signed with it must be accepted.',
    }),
    deadline: Flags.string({default: '30m', description: 'With --until-contained: give up after this long.'}),
    interval: Flags.string({
      default: '15s',
      description: 'With --until-contained: the longest time between checks (sooner when a cache is due to expire).',
    }),
    'removed-at': Flags.string({
      description: 'When the key left the issuers’ JWKS (ISO 8601); by default the first check that sees it gone.',
    }),
    'published-by': Flags.string({
      multiple: true,
      description:
        'An issuer (inventory id) that published the key, though it may not now (a rotation already done there): its services are checked too. Repeatable.',
    }),
    'token-lifetime': Flags.string({default: '1h', description: 'The longest lifetime of a token signed with the key.'}),
    timeout: Flags.string({default: '5s', description: 'Per request (JWKS fetch or probe).'}),
  }

  async run(): Promise<VerifyResult> {
    const {flags} = await this.parse(Verify)
    // The key first: its private values are registered before anything else can fail or print.
    const key = leakedKeyOf(await loadKeySource(flags.key, {secrets: this.secrets, kid: flags.kid, thumbprint: flags.thumbprint}))
    const controlKey =
      flags['control-key'] === undefined
        ? null
        : checkControlKey(leakedKeyOf(await loadKeySource(flags['control-key'], {secrets: this.secrets})), key)
    const intervalMs = positiveDurationFlag(flags.interval, '--interval')
    const options = {
      deadlineMs: positiveDurationFlag(flags.deadline, '--deadline'),
      intervalMs,
      tokenLifetimeSeconds: Math.ceil(parseDuration(flags['token-lifetime']) / 1000),
      timeoutMs: positiveDurationFlag(flags.timeout, '--timeout'),
      removedAt: flags['removed-at'] === undefined ? undefined : parseRemovalTime(flags['removed-at'], '--removed-at'),
    }
    const path = flags.inventory ?? resolveInventoryPath(undefined)
    if (path === null) throw inventoryNotFound(null)
    const inventory = await loadInventory(path, {secrets: this.secrets})
    const publishedBy =
      flags['published-by'] === undefined
        ? undefined
        : selectIssuers(inventory, {issuers: flags['published-by']}).targets.map((issuer) => issuer.id)

    const json = this.jsonEnabled()
    const interruption = listenForInterrupt()
    const status = flags['until-contained'] && !json ? containmentStatusLine(this.secrets) : undefined
    let result: VerifyResult
    try {
      result = await verifyContainment({
        inventory,
        key,
        secrets: this.secrets,
        untilContained: flags['until-contained'],
        baseline: flags.baseline,
        controlKey,
        publishedBy,
        ...options,
        signal: interruption.signal,
        onCheck: status ? (check) => status.checked(check, intervalMs) : undefined,
      })
    } catch (error) {
      if (!interruption.signal.aborted) throw error
      status?.clear()
      if (!json) this.logToStderr('Interrupted: nothing was changed anywhere. Run jwkr verify again to go on checking.')
      return this.exit(ExitCode.interrupted)
    } finally {
      status?.clear()
      interruption.dispose()
    }

    // A baseline expects acceptance: it succeeds when it could look, whatever it saw.
    if (flags.baseline) {
      if (!json) this.log(renderVerify(result, this.style))
      return result
    }
    if (json) {
      if (result.contained) return result
      // One document on stdout: the result says what is exposed; the exit code says it is not proven.
      this.logJson(result)
      return this.exit(ExitCode.notContained)
    }
    this.log(renderVerify(result, this.style))
    if (!result.contained) {
      throw new JwkrError('ERR_NOT_CONTAINED', notContainedMessage(result), {
        exitCode: ExitCode.notContained,
        hint: result.advice.join('\n  '),
        details: {
          outcome: result.outcome,
          exposed: result.exposed,
          unknown: result.unknown,
          undiscriminating: result.undiscriminating,
        },
      })
    }
    return result
  }
}
