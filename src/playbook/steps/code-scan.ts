// code.scan: where the leaked key's material sits in code and configuration on disk (clones,
// config folders, build output). The files it finds hold copies to clean up, and those with private
// material extend the leak.
import {loadKeySource} from '../../services/identify.js'
import {formatSize, parseSize} from '../../core/size.js'
import {scanForKey} from '../../services/scan.js'
import {leakedKeyOf} from '../../core/inventory/leaked-key.js'
import {defineStep} from '../define-step.js'
import {Type, type Static} from '../step-schema.js'
import {leakedKeyInput, pathsInput, pathsOf} from './leaked-key-input.js'
import {writeArtifact} from '../write-artifact.js'
import {prose} from '../../core/prose.js'

const CodeScanInput = Type.Object(
  {
    ...leakedKeyInput,
    paths: pathsInput('Files and folders to search'),
    hidden: Type.Optional(Type.Boolean({description: 'Search hidden files and folders too.'})),
    noIgnore: Type.Optional(Type.Boolean({description: 'Search what .gitignore excludes too.'})),
    maxFileSize: Type.Optional(
      Type.String({
        pattern: '^\\s*\\d+\\s*[KMGkmg]?\\s*$',
        title: 'size like 10M',
        description: 'Skip larger files (default 10M).',
      }),
    ),
  },
  {additionalProperties: false},
)
const Count = Type.Integer({minimum: 0})
const CodeScanOutput = Type.Object(
  {
    hits: Count,
    /** Hits of private material (the file extends the leak). */
    privateHits: Count,
    /** Files with at least one hit. */
    files: Type.Array(Type.String()),
    filesScanned: Count,
    bytesScanned: Count,
    /** The hits (path:line:column, kind, redacted excerpt) as JSON. */
    artifact: Type.String(),
  },
  {additionalProperties: false},
)
export type CodeScanInput = Static<typeof CodeScanInput>
export type CodeScanOutput = Static<typeof CodeScanOutput>

export const CODE_SCAN_ARTIFACT = 'code-scan.json'
const DEFAULT_MAX_FILE_SIZE = '10M'

export const codeScan = defineStep({
  id: 'code.scan',
  title: 'Search files on disk for the key',
  description: prose`
    Searches the given folders for the key in every form it is written in (kid, thumbprints, windows of its
    material, PEM lines). Each hit is a copy to clean up; a hit of private material is a further place the key
    leaked. Reads only.`,
  inputSchema: CodeScanInput,
  outputSchema: CodeScanOutput,
  sideEffects: false,
  plan: (input) =>
    pathsOf(input).map((path) => ({
      kind: 'none',
      target: path,
      description:
        `Read the files under ${path} and search them for the key's material ` +
        `(${input.hidden ? 'hidden files too' : 'not hidden files'}, ${input.noIgnore ? 'ignoring no file' : 'honouring .gitignore'}, ` +
        `files up to ${formatSize(parseSize(input.maxFileSize ?? DEFAULT_MAX_FILE_SIZE))}); reads only.`,
    })),
  async run(input, context) {
    const key = leakedKeyOf(
      await loadKeySource(input.key, {secrets: context.secrets, kid: input.kid, thumbprint: input.thumbprint}),
    )
    const result = await scanForKey(key, pathsOf(input), {
      secrets: context.secrets,
      hidden: input.hidden ?? false,
      gitignore: !(input.noIgnore ?? false),
      maxFileSize: parseSize(input.maxFileSize ?? DEFAULT_MAX_FILE_SIZE),
      onProgress: ({filesScanned, hits}) => context.progress({message: `${filesScanned} files searched, ${hits} hits`}),
    })
    const artifact = await writeArtifact(context, CODE_SCAN_ARTIFACT, result)
    return {
      hits: result.hits.length,
      privateHits: result.hits.filter((hit) => !hit.public).length,
      files: [...new Set(result.hits.map((hit) => hit.path))],
      filesScanned: result.filesScanned,
      bytesScanned: result.bytesScanned,
      artifact,
    }
  },
})
