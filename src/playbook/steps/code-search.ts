// code.search: the organisation's GitHub code searched for the leaked key's public material. Each
// result is a repository that embeds the key (a pinned JWKS, a kid in config) and must change with
// the rotation. Needs GITHUB_TOKEN; never sends a private value.
import {SEARCH_RESULT_CAP, searchClient, searchCode, searchTarget, searchTermsForKeys} from '../../services/search.js'
import {loadKeySource} from '../../services/identify.js'
import {leakedKeyOf} from '../../core/inventory/leaked-key.js'
import {defineStep} from '../define-step.js'
import {Type, type Static} from '../step-schema.js'
import {leakedKeyInput} from './leaked-key-input.js'
import {writeArtifact} from '../write-artifact.js'
import {prose} from '../../core/prose.js'

const CodeSearchInput = Type.Object(
  {
    ...leakedKeyInput,
    org: Type.String({minLength: 1, description: 'The GitHub organisation login.'}),
    /** Only these needle kinds (kid, thumbprint, modulus, …), to spend less of the search rate limit. */
    kinds: Type.Optional(Type.Array(Type.String(), {description: 'Only these needle kinds (kid, thumbprint, modulus, …).'})),
    maxResults: Type.Optional(Type.Integer({minimum: 1, maximum: SEARCH_RESULT_CAP, description: 'Results per term at most.'})),
  },
  {additionalProperties: false},
)
const CodeSearchOutput = Type.Object(
  {
    /** Files that matched. */
    results: Type.Integer({minimum: 0}),
    /** owner/name of every repository with a match. */
    repos: Type.Array(Type.String()),
    /** True when some term matched more files than GitHub listed (its 1,000-result cap or a timeout). */
    incomplete: Type.Boolean(),
    /** The terms searched and the results, as JSON. */
    artifact: Type.String(),
  },
  {additionalProperties: false},
)
export type CodeSearchInput = Static<typeof CodeSearchInput>
export type CodeSearchOutput = Static<typeof CodeSearchOutput>

export const CODE_SEARCH_ARTIFACT = 'code-search.json'

export const codeSearch = defineStep({
  id: 'code.search',
  title: "Search the organisation's GitHub code for the key",
  description: prose`
    Searches GitHub code within the organisation for the key's kid, thumbprints and distinctive windows of its
    public material. Repositories that embed the key (a pinned JWKS, a kid in configuration) must change with the
    rotation. Reads only; needs GITHUB_TOKEN; private values are never sent.`,
  inputSchema: CodeSearchInput,
  outputSchema: CodeSearchOutput,
  sideEffects: false,
  plan: (input, context) => [
    {
      kind: 'http',
      target: searchTarget(context.env),
      description:
        `Search ${input.org}'s code for the key's public material${input.kinds?.length ? ` (${input.kinds.join(', ')})` : ''}, ` +
        'one query per term, with GITHUB_TOKEN; private values are never sent.',
    },
  ],
  async run(input, context) {
    // The key first: its private values are registered before anything else can fail.
    const key = leakedKeyOf(
      await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
    )
    const client = searchClient({env: context.env, secrets: context.secrets})
    const result = await searchCode({
      client,
      org: input.org,
      terms: searchTermsForKeys([key], input.kinds),
      secrets: context.secrets,
      maxResults: input.maxResults,
      onProgress: ({query, queries, term}) =>
        context.progress({message: `query ${query}/${queries}: ${term.kind}`, fraction: (query - 1) / queries}),
    })
    const artifact = await writeArtifact(context, CODE_SEARCH_ARTIFACT, result)
    return {
      results: result.results.length,
      repos: [...new Set(result.results.map((hit) => hit.repo))],
      incomplete: result.incomplete,
      artifact,
    }
  },
})
