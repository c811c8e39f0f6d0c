import {Args, Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import type {InventoryChange} from '../../core/discover/merge-inventory.js'
import {formatProblems, type Problem} from '../../core/yaml/load-yaml-document.js'
import {discoverInventory, writeDraft, type DiscoverInventoryResult} from '../../services/discover/discover-inventory.js'
import {createDiscoveryReaders} from '../../services/discover/discovery-readers.js'

export interface InventoryDiscoverResult extends Omit<DiscoverInventoryResult, 'yaml'> {
  /** The file written, or null when the draft went to stdout. */
  written: string | null
  /** With --merge: what changed in the file (and what it keeps that differs from what was found). */
  changes: InventoryChange[] | null
  /** What `jwkr inventory validate` would say about the result. */
  problems: Problem[]
}

export default class InventoryDiscover extends JwkrCommand {
  static override summary = 'Draft the inventory from the configuration the organisation already has.'
  static override description =
    'Reads who trusts which issuer from Kubernetes manifests (Istio RequestAuthentication, Envoy jwt_authn, NGINX ' +
    'Ingress Policy, Traefik and Kong plugins, container env), nginx auth_jwt_key_request, Spring Boot application.yml ' +
    'and .properties, ASP.NET appsettings.json, .env files and Helm values (JWKS_URI, ISSUER, AUTH0_DOMAIN), Node code ' +
    '(jose createRemoteJWKSet, jwks-rsa, expressjwt) and a Backstage catalog (owners, contacts, repositories, and the ' +
    'jwkr.dev/* annotations: issuer, key-source, probe, cache-bust). Local folders are walked like `jwkr code scan` ' +
    '(.gitignore honoured, hidden files skipped except .env, node_modules and build output left out). Prints the draft ' +
    '(or writes --out) with the file:line or catalog entity of every entry as a YAML comment; values only the running ' +
    'system knows (Helm templates, ${ENV} references) are listed to resolve, never guessed. --merge folds the draft ' +
    'into an existing inventory, keeping every hand-written field and comment, and prints what changed.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> ~/src/platform ~/src/services --backstage ~/src/catalog/catalog-info.yaml',
    '<%= config.bin %> <%= command.id %> . --out jwkr.inventory.yaml',
    '<%= config.bin %> <%= command.id %> --github-org acme --backstage https://backstage.acme.example --out jwkr.inventory.yaml',
    '<%= config.bin %> <%= command.id %> ~/src --merge jwkr.inventory.yaml',
    '<%= config.bin %> <%= command.id %> . --json',
  ]
  static override strict = false
  static override args = {
    path: Args.string({description: 'Folders and files to read (several may be given).'}),
  }
  static override flags = {
    backstage: Flags.string({
      description: 'A Backstage catalog file, or the base URL of Backstage (its catalog API; BACKSTAGE_TOKEN if it needs one).',
    }),
    'github-org': Flags.string({
      description: 'A GitHub organisation to read through code search and contents (GITHUB_TOKEN; GITHUB_API_URL).',
    }),
    merge: Flags.string({description: 'An existing inventory to update (written back in place unless --out is given).'}),
    out: Flags.string({char: 'o', description: 'Write the inventory here (atomically) instead of printing it.'}),
    'no-ignore': Flags.boolean({description: 'Read files that .gitignore excludes too.'}),
  }

  async run(): Promise<InventoryDiscoverResult> {
    const {argv, flags} = await this.parse(InventoryDiscover)
    const paths = argv.map(String)
    const readers = createDiscoveryReaders({secrets: this.secrets, env: process.env})
    const discovered = await discoverInventory({
      paths,
      gitignore: !flags['no-ignore'],
      backstage: flags.backstage,
      githubOrg: flags['github-org'],
      secrets: this.secrets,
      ...readers,
      onProgress: this.jsonEnabled() ? undefined : (message) => this.logToStderr(message),
    })
    const {yaml: _yaml, ...rest} = discovered
    const {text, written, changes, problems} = await writeDraft(discovered, {
      merge: flags.merge,
      out: flags.out,
      secrets: this.secrets,
    })
    const result: InventoryDiscoverResult = {...rest, written, changes, problems}
    if (this.jsonEnabled()) return result
    if (written === null) this.log(text.trimEnd())
    this.logToStderr(this.summary(result))
    return result
  }

  private summary(result: InventoryDiscoverResult): string {
    const lines: string[] = []
    for (const source of result.sources) {
      lines.push(`${source.kind} ${source.target}: ${source.read} read, ${source.findings} findings`)
    }
    lines.push(
      `${this.style.bold('Discovered')} ${result.issuers.length} issuer(s) and ${result.services.length} service(s)` +
        (result.unresolved.length > 0
          ? `; ${result.unresolved.length} value(s) to resolve (listed at the end of the file)`
          : '') +
        (result.written ? `; written to ${result.written}` : ''),
    )
    for (const change of result.changes ?? []) {
      const current = change.action === 'kept' ? ` (the file says ${JSON.stringify(change.current)})` : ''
      lines.push(
        `  ${change.action.padEnd(7)} ${change.path}: ${JSON.stringify(change.value)}${current}  ← ${change.from.join(', ')}`,
      )
    }
    if (result.changes?.length === 0) lines.push('  nothing new: the inventory already says all of it')
    if (result.problems.length > 0) {
      lines.push(
        this.style.red(`The result has ${result.problems.length} problem(s) to fix before use:`),
        formatProblems(result.problems),
      )
    }
    return lines.join('\n')
  }
}
