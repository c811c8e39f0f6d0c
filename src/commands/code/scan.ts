import {Args, Flags} from '@oclif/core'
import ora from 'ora'

import {JwkrCommand} from '../../cli/base-command.js'
import {keySelectionFlags} from '../../cli/key-flags.js'
import {redrawsInPlace, type Style} from '../../cli/style.js'
import {loadKeySource} from '../../services/identify.js'
import {formatSize, parseSize} from '../../core/size.js'
import {scanForKey, singleKey, type CodeScanProgress, type CodeScanResult} from '../../services/scan.js'
import {prose} from '../../core/prose.js'

export default class CodeScan extends JwkrCommand {
  static override summary = "Find where the key's material sits in code and configuration on disk."
  static override description = prose`
    Searches files for the key in every form it is likely written in: its kid (8+ characters), RFC 7638 thumbprint
    (base64url, base64, hex), x5t, windows of n / x / y / d / k in base64url and base64 (also inside certificates
    and other base64 blobs), and the base64 lines of its SPKI, PKCS#8, PKCS#1 and SEC1 encodings. Prints
    path:line:column, the kind of material and an excerpt in which private material is never shown. Like ripgrep, it
    skips .git, hidden files, what .gitignore excludes, binary files and files over --max-filesize, and follows no
    symbolic links. Exits 0 whether or not the key was found.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json .',
    '<%= config.bin %> <%= command.id %> --key jwks.json --kid 2024-signing ~/src/billing ~/src/gateway',
    '<%= config.bin %> <%= command.id %> --key leaked.pem . --hidden --no-ignore --max-filesize 50M',
    '<%= config.bin %> <%= command.id %> --key leaked.json . --json',
  ]
  static override strict = false
  static override args = {
    path: Args.string({description: 'Files and directories to search (several may be given; default: the current directory).'}),
  }
  static override flags = {
    key: Flags.string({
      required: true,
      description: 'The key: a file path, "-" for stdin, or the JWK/JWKS JSON, PEM or JWT itself.',
    }),
    ...keySelectionFlags,
    hidden: Flags.boolean({description: 'Search hidden files and directories too (names starting with a dot).'}),
    'no-ignore': Flags.boolean({description: 'Search files that .gitignore excludes too.'}),
    'max-filesize': Flags.string({
      default: '10M',
      description: 'Skip files larger than this: bytes, or with a K, M or G suffix (e.g. 500K, 10M).',
    }),
    threads: Flags.integer({
      min: 0,
      max: 64,
      description: 'Worker threads that read and search files (default: one per core; 0 searches on the main thread).',
    }),
  }

  async run(): Promise<CodeScanResult> {
    const {argv, flags} = await this.parse(CodeScan)
    const set = await loadKeySource(flags.key, {secrets: this.secrets, kid: flags.kid, thumbprint: flags.thumbprint})
    const maxFileSize = parseSize(flags['max-filesize'])
    const paths = argv.length > 0 ? argv.map(String) : ['.']
    const spinner =
      redrawsInPlace(process.stderr) && !this.jsonEnabled() ? ora({stream: process.stderr, text: 'Scanning…'}).start() : null
    try {
      const result = await scanForKey(singleKey(set), paths, {
        secrets: this.secrets,
        hidden: flags.hidden,
        gitignore: !flags['no-ignore'],
        maxFileSize,
        threads: flags.threads,
        onProgress: spinner ? (progress) => (spinner.text = describeProgress(progress)) : undefined,
      })
      spinner?.stop()
      if (!this.jsonEnabled()) this.log(renderCodeScan(result, maxFileSize, this.style))
      return result
    } finally {
      spinner?.stop()
    }
  }
}

function describeProgress({filesScanned, bytesScanned, hits}: CodeScanProgress): string {
  return `Scanning… ${filesScanned.toLocaleString('en')} files, ${formatSize(bytesScanned)}, ${plural(hits, 'hit')}`
}

function renderCodeScan(result: CodeScanResult, maxFileSize: number, style: Style): string {
  const lines = result.hits.map((hit) => {
    const where = `${hit.path}:${hit.line}:${hit.column}`
    const kind = hit.public ? hit.kind : style.red(`${hit.kind} (private)`)
    const block = hit.lastLine > hit.firstLine ? style.dim(` (lines ${hit.firstLine}–${hit.lastLine})`) : ''
    return `${style.bold(where)}  ${kind}  ${hit.excerpt}${block}`
  })
  if (lines.length > 0) lines.push('')
  const files = new Set(result.hits.map((hit) => hit.path))
  const privateFiles = new Set(result.hits.filter((hit) => !hit.public).map((hit) => hit.path))
  if (result.hits.length === 0) {
    lines.push(style.green(`No trace of the key (${result.thumbprint ?? result.kid}) in the files searched.`))
  } else {
    lines.push(style.bold(`Found the key in ${plural(result.hits.length, 'place')} in ${plural(files.size, 'file')}.`))
  }
  if (privateFiles.size > 0) {
    lines.push(
      style.red(
        `Private key material sits in ${plural(privateFiles.size, 'file')}: treat them, their history and their copies as part of the leak.`,
      ),
    )
  }
  const {skipped} = result
  const left = [
    [skipped.binary, 'binary'],
    [skipped.tooLarge, `over ${formatSize(maxFileSize)}`],
    [skipped.ignored, 'ignored by .gitignore'],
    [skipped.hidden, 'hidden'],
    [skipped.symlinks, 'symbolic links'],
    [skipped.special, 'special (pipes, sockets, devices)'],
    [skipped.unreadable, 'unreadable'],
  ]
    .filter(([count]) => (count as number) > 0)
    .map(([count, what]) => `${(count as number).toLocaleString('en')} ${what}`)
  lines.push(
    style.dim(
      `Searched ${plural(result.filesScanned, 'file')} (${formatSize(result.bytesScanned)}) for ${plural(result.needles.total, 'needle')}` +
        (left.length > 0 ? `; skipped ${left.join(', ')}.` : '.'),
    ),
  )
  if (skipped.ignored > 0 || skipped.hidden > 0) {
    lines.push(
      style.dim('Keys often sit in ignored or hidden files (.env, .secrets/): add --no-ignore --hidden to search those too.'),
    )
  }
  return lines.join('\n')
}

function plural(count: number, one: string): string {
  return `${count.toLocaleString('en')} ${count === 1 ? one : `${one}s`}`
}
