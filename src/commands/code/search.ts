import {Flags} from '@oclif/core'

import {JwkrCommand} from '../../cli/base-command.js'
import {keySelectionFlags} from '../../cli/key-flags.js'
import {plural, renderCodeSearch} from '../../cli/render-search.js'
import {SEARCH_RESULT_CAP, searchClient, searchCode, searchTermsForKeys, type CodeSearchResult} from '../../services/search.js'
import {loadKeySource} from '../../services/identify.js'
import type {NeedleKind} from '../../core/key/needles.js'
import {prose} from '../../core/prose.js'

const PUBLIC_KINDS = [
  'kid',
  'thumbprint',
  'thumbprint-hex',
  'x5t',
  'x5t#S256',
  'modulus',
  'coordinate',
  'spki',
  'pkcs1',
] as const satisfies readonly NeedleKind[]

export default class CodeSearch extends JwkrCommand {
  static override summary = "Search the organisation's GitHub code for the key's public material."
  static override description = prose`
    Runs a GitHub code search (GET /search/code) within --org for the kid, the RFC 7638 thumbprint (base64url,
    base64 and hex), x5t, and distinctive windows of the public key material and of its PEM lines, one query per
    term, and lists every file that matched with the kinds found in it. Private values are never sent. GitHub
    returns at most 1,000 results per query and searches only default branches and files under 384 KB; rate limits
    are waited out. Needs GITHUB_TOKEN; GITHUB_API_URL points at GitHub Enterprise Server (https://HOST/api/v3).`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json --org example-org',
    '<%= config.bin %> <%= command.id %> --key jwks.json --kid 2024-signing --org example-org --kind kid --kind thumbprint',
    'GITHUB_API_URL=https://ghe.example.com/api/v3 <%= config.bin %> <%= command.id %> --key leaked.pem --org platform --json',
  ]
  static override flags = {
    key: Flags.string({
      required: true,
      description: 'The key: a file path, "-" for stdin, or the JWK/JWKS JSON, PEM or JWT itself.',
    }),
    org: Flags.string({required: true, description: 'GitHub organisation to search (its login, as in github.com/ORG).'}),
    'max-results': Flags.integer({
      min: 1,
      max: SEARCH_RESULT_CAP,
      default: SEARCH_RESULT_CAP,
      description: `Results to fetch per term at most (GitHub never returns more than ${SEARCH_RESULT_CAP}).`,
    }),
    kind: Flags.string({
      multiple: true,
      options: [...PUBLIC_KINDS],
      description: 'Search only these needle kinds (repeatable), to spend less of the search rate limit.',
    }),
    ...keySelectionFlags,
  }

  async run(): Promise<CodeSearchResult> {
    const {flags} = await this.parse(CodeSearch)
    // The key first: its private values are registered before anything else can fail or print.
    const set = await loadKeySource(flags.key, {secrets: this.secrets, kid: flags.kid, thumbprint: flags.thumbprint})
    const client = searchClient({secrets: this.secrets, log: {warn: (message) => this.logToStderr(message)}})
    const quiet = this.jsonEnabled()
    const result = await searchCode({
      client,
      org: flags.org,
      terms: searchTermsForKeys(set.keys, flags.kind),
      secrets: this.secrets,
      maxResults: flags['max-results'],
      onProgress: ({term, query, queries, page, fetched, results}) => {
        if (quiet) return
        const more = fetched < results ? ` (page ${page}, ${fetched} fetched)` : ''
        this.logToStderr(`[${query}/${queries}] ${term.kind}: ${plural(results, 'file')}${more}`)
      },
    })
    if (!quiet) this.log(renderCodeSearch(result, this.style))
    return result
  }
}
