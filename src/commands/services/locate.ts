import {Flags} from '@oclif/core'
import ora from 'ora'

import {JwkrCommand} from '../../cli/base-command.js'
import {keySelectionFlags} from '../../cli/key-flags.js'
import {renderLocate} from '../../cli/render-locate.js'
import {resolveInventoryPath} from '../../cli/run-playbook-command.js'
import {redrawsInPlace} from '../../cli/style.js'
import {DEFAULT_CONCURRENCY, locateKey, type LocateProgress} from '../../services/locate.js'
import {loadKeySource} from '../../services/identify.js'
import {positiveDurationFlag} from '../../cli/duration-flag.js'
import {ExitCode, JwkrError} from '../../core/errors.js'
import {leakedKeyOf, leakedKeyRef} from '../../core/inventory/leaked-key.js'
import {inventoryNotFound} from '../../core/inventory/load-inventory.js'
import {loadInventory} from '../../services/inventory.js'
import type {LocateEndpoint, LocateResult} from '../../core/inventory/locate.js'
import {renderLocateMermaid} from '../../core/inventory/locate-mermaid.js'
import {discoveredInventory} from '../../services/discover/discover-inventory.js'
import {prose} from '../../core/prose.js'

export default class ServicesLocate extends JwkrCommand {
  static override summary = 'Find which issuers publish the leaked key and which services depend on it.'
  static override description = prose`
    Fetches every issuer's discovery document and JWKS and every service's own JWKS named in the inventory, all at
    once (--concurrency), each with a timeout, a 1 MiB cap and retries on 5xx, 429 and timeouts. An issuer publishes
    the key when it serves a key with the same RFC 7638 thumbprint, whatever its kid; a different key under the same
    kid is reported as a kid collision. Dependents are the services that trust a publishing issuer or serve the key
    themselves, with their owners. A JWKS that serves private members is a critical finding. An endpoint that cannot
    be reached is listed with its error and does not fail the command, unless --strict is given.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json',
    '<%= config.bin %> <%= command.id %> --key jwks.json --kid 2024-signing --inventory ops/jwkr.inventory.yaml',
    '<%= config.bin %> <%= command.id %> --key leaked.json --format mermaid > locate.mmd',
    '<%= config.bin %> <%= command.id %> --key leaked.json --strict --timeout 2s --json',
  ]
  static override flags = {
    key: Flags.string({
      char: 'k',
      required: true,
      description: 'The leaked key: a file path, "-" for stdin, or the JWK/JWKS JSON or PEM itself.',
    }),
    ...keySelectionFlags,
    inventory: Flags.string({description: 'The inventory file (default: JWKR_INVENTORY, else ./jwkr.inventory.yaml).'}),
    discover: Flags.string({
      description: 'Without an inventory: discover one from this folder first (repeatable; see jwkr inventory discover).',
      multiple: true,
    }),
    backstage: Flags.string({description: 'Without an inventory: a Backstage catalog file or URL to discover from too.'}),
    concurrency: Flags.integer({min: 1, max: 1024, default: DEFAULT_CONCURRENCY, description: 'Requests in flight at once.'}),
    timeout: Flags.string({default: '5s', description: 'Per request, e.g. 500ms, 5s, 1m.'}),
    strict: Flags.boolean({description: 'Exit 1 when any endpoint could not be read.'}),
    format: Flags.string({
      options: ['table', 'mermaid'],
      default: 'table',
      description: 'table: the report; mermaid: a graph of issuers, services and the key (for the incident report).',
    }),
  }

  async run(): Promise<LocateResult> {
    const {flags} = await this.parse(ServicesLocate)
    const timeoutMs = positiveDurationFlag(flags.timeout, '--timeout')
    // The key first: its private values are registered before anything else can fail or print.
    const key = leakedKeyOf(await loadKeySource(flags.key, {secrets: this.secrets, kid: flags.kid, thumbprint: flags.thumbprint}))
    const leaked = leakedKeyRef(key)
    const path = flags.inventory ?? resolveInventoryPath(undefined)
    const discovering = path === null && (flags.discover !== undefined || flags.backstage !== undefined)
    if (path === null && !discovering) throw inventoryNotFound(null)
    const inventory =
      path === null
        ? await discoveredInventory({
            paths: flags.discover ?? [],
            backstage: flags.backstage,
            secrets: this.secrets,
            env: process.env,
          })
        : await loadInventory(path, {secrets: this.secrets})
    if (discovering && !this.jsonEnabled()) {
      this.logToStderr(
        `Discovered ${inventory.issuers.length} issuer(s) and ${inventory.services.length} service(s) (jwkr inventory discover shows where each came from).`,
      )
    }

    const json = this.jsonEnabled()
    const spinner =
      !json && redrawsInPlace(process.stderr) ? ora({stream: process.stderr, text: 'Fetching JWKS endpoints…'}).start() : null
    if (!json && !spinner) {
      const services = inventory.services.filter((service) => service.jwksUri !== undefined).length
      this.logToStderr(`Checking ${inventory.issuers.length} issuers and ${services} service JWKS (timeout ${flags.timeout})…`)
    }
    let result: LocateResult
    try {
      result = await locateKey(inventory, leaked, {
        secrets: this.secrets,
        concurrency: flags.concurrency,
        timeoutMs,
        onProgress: spinner ? (progress) => (spinner.text = this.secrets.redact(describeProgress(progress))) : undefined,
      })
    } finally {
      spinner?.stop()
    }

    const failed = result.endpoints.filter((endpoint) => !endpoint.ok)
    if (json) {
      if (!flags.strict || failed.length === 0) return result
      // One document on stdout: the result, whose endpoints say which failed; the exit code says it failed.
      this.logJson(result)
      return this.exit(ExitCode.failure)
    }
    this.log(flags.format === 'mermaid' ? renderLocateMermaid(result).trimEnd() : renderLocate(result, this.style))
    if (flags.strict && failed.length > 0) {
      throw new JwkrError('ERR_LOCATE_INCOMPLETE', failedMessage(failed), {
        hint: 'Check those endpoints (or their inventory entries) and run again; without --strict they are reported and the command exits 0.',
        details: {failed: failed.map((endpoint) => ({url: endpoint.url, error: endpoint.error}))},
      })
    }
    return result
  }
}

function describeProgress({done, total, url, ok}: LocateProgress): string {
  return `Fetching JWKS endpoints… ${done}/${total} ${ok ? '' : '✗ '}${url}`
}

function failedMessage(failed: LocateEndpoint[]): string {
  const list = failed.map((endpoint) => `${endpoint.url} (${endpoint.error?.message ?? 'failed'})`).join('; ')
  return `${failed.length} endpoint${failed.length === 1 ? '' : 's'} could not be read (--strict): ${list}`
}
