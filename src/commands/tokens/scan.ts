import {Args, Flags, type Interfaces} from '@oclif/core'
import {JwkrCommand} from '../../cli/base-command.js'
import {keySelectionFlags} from '../../cli/key-flags.js'
import {redrawsInPlace} from '../../cli/style.js'
import {loadKeySource} from '../../services/identify.js'
import {formatSize} from '../../core/size.js'
import {scanTokens, startTriageWorkers, type TokenScanResult} from '../../services/triage.js'
import {ExitCode, JwkrError} from '../../core/errors.js'
import {leakedKeyOf} from '../../core/inventory/leaked-key.js'
import type {KeySet, LoadedKey} from '../../core/key/types.js'
import {assertWindow, parseTimeBound} from '../../core/tokens/time-bound.js'
import {prose} from '../../core/prose.js'

export default class TokensScan extends JwkrCommand {
  static override summary = 'Find the tokens in logs that were signed with the leaked key.'
  static override description = prose`
    Reads log files, folders (recursively), gzip files (told by their magic bytes), any other file as bytes (a NUL
    byte does not make a log skipped), stdin ("-") or a named pipe (mkfifo, or <(zcat …)), gzip or not, finds
    every compact JWT (log lines, JSON, Authorization headers, query strings, payloads of any size up to 16 MiB)
    and decodes its header: a token is checked when its header names the key (its kid or one it is published under, --kid; embedded jwk; x5t), has no kid, or has
    another kid with an alg that fits the key (a verifier given the key itself accepts those). Their signatures are
    verified with the key's public half, ignoring exp and nbf: signed-with-leaked-key when valid,
    kid-match-bad-signature when the header names the key but the signature is not its, and suspected-forgery when
    valid but missing from --issued-log. Prints counts per class, when and to whom the valid tokens were issued, how
    long the last of them lives, and examples with the signature removed; a whole token is never printed. Tokens
    labelled as jwkr's canaries (jti jwkr-canary-…, sub jwkr-canary) are counted apart as "canaries seen", in no
    class, subject or example; told by that label alone here, which anyone holding the key can write: the
    tokens.scan step of an incident counts only the canaries its probes sent. Uses one worker thread per core;
    memory stays flat whatever the input size.`
  static override examples = [
    '<%= config.bin %> <%= command.id %> --key leaked.json /var/log/gateway',
    '<%= config.bin %> <%= command.id %> --key leaked.pem --kid 2024-05-signing --kid legacy-rs /var/log/gateway',
    '<%= config.bin %> <%= command.id %> --key leaked.json access.log.gz --issued-log issued-jtis.txt --subjects-out subjects.csv',
    'zcat access.log.*.gz | <%= config.bin %> <%= command.id %> --key leaked.json - --since 7d',
    '<%= config.bin %> <%= command.id %> --key leaked.json logs/ --since 2024-05-01 --until 2024-05-08 --json',
  ]
  static override strict = false
  static override args = {
    path: Args.string({description: 'Log files, folders and named pipes to scan, or "-" for stdin (several may be given).'}),
  }
  static override flags = {
    key: Flags.string({
      required: true,
      description: 'The key: a file path, or the JWK/JWKS JSON or PEM itself (its public half is enough).',
    }),
    ...keySelectionFlags,
    kid: Flags.string({
      multiple: true,
      description: prose`
        A kid the key is published under (repeatable; its own kid counts too): a header naming one of them names the
        key, and a bad signature there is kid-match-bad-signature. From a JWKS, also picks the key with one of these
        kids.`,
    }),
    'issued-log': Flags.string({
      description: prose`
        The jtis the issuer really issued (one a line, or JSON lines with a "jti"): valid tokens missing from it are
        suspected forgeries.`,
    }),
    since: Flags.string({
      description: 'Only tokens issued (iat) at or after this time: ISO 8601, epoch seconds, or a duration back (24h, 7d).',
    }),
    until: Flags.string({description: 'Only tokens issued (iat) at or before this time; tokens without iat are kept.'}),
    'subjects-out': Flags.string({
      description: prose`
        Write the affected subjects as CSV (sub,count,firstSeen,lastSeen) to this file, mode 0600: it is personal
        data.`,
    }),
    'max-examples': Flags.integer({min: 0, max: 100, default: 5, description: 'Example tokens (signature removed) to show.'}),
    threads: Flags.integer({
      min: 0,
      max: 64,
      description: prose`
        Worker threads that read and verify (default: none for plain files under 128 MiB in all, else one per core; 0
        scans on the main thread).`,
    }),
  }

  async run(): Promise<TokenScanResult> {
    const {argv, flags} = await this.parse(TokensScan)
    // The workers load their modules while this thread reads the key (bench/tokens.mjs).
    const paths = argv.map(String)
    const workers = await startTriageWorkers(flags.threads, paths)
    try {
      return await this.scan(paths, flags, workers)
    } finally {
      await workers?.close()
    }
  }

  private async scan(
    paths: string[],
    flags: ScanFlags,
    workers: Awaited<ReturnType<typeof startTriageWorkers>>,
  ): Promise<TokenScanResult> {
    const now = new Date()
    const since = flags.since === undefined ? null : parseTimeBound(flags.since, now, '--since')
    const until = flags.until === undefined ? null : parseTimeBound(flags.until, now, '--until')
    assertWindow(since, until)
    if (flags.key === '-' && paths.includes('-')) {
      throw new JwkrError('ERR_USAGE', 'stdin cannot hold both the key and the logs.', {
        hint: 'Pass the key as a file (--key leaked.json) when the logs come on stdin.',
        exitCode: ExitCode.usage,
      })
    }
    const kids = flags.kid ?? []
    const key = keyWithKid(await loadKeySource(flags.key, {secrets: this.secrets, thumbprint: flags.thumbprint}), kids)
    // ora and the table printer load only when a person will see them: --json runs start faster (bench/).
    const spinner =
      !this.jsonEnabled() && redrawsInPlace(process.stderr)
        ? // ora's stdin discarder would make process.stdin, and the logs on it would be read through a slower stream.
          (await import('ora')).default({stream: process.stderr, text: 'Scanning…', discardStdin: !paths.includes('-')}).start()
        : null
    try {
      const result = await scanTokens(key, paths, {
        secrets: this.secrets,
        issuedLog: flags['issued-log'],
        publishedKids: kids,
        since,
        until,
        maxExamples: flags['max-examples'],
        subjectsOut: flags['subjects-out'],
        // No workers were started when the scan is to run on this thread.
        ...(workers === undefined ? {threads: 0} : {workers}),
        now: () => now,
        onProgress: spinner
          ? ({bytesRead, tokens}) =>
              (spinner.text = `Scanning… ${formatSize(bytesRead)} read, ${tokens.toLocaleString('en')} tokens`)
          : undefined,
      })
      spinner?.stop()
      if (!this.jsonEnabled()) this.log((await import('../../cli/render-tokens.js')).renderTokens(result, this.style))
      return result
    } finally {
      spinner?.stop()
    }
  }
}

type ScanFlags = Interfaces.InferredFlags<(typeof TokensScan)['flags']>

/**
 * The leaked key of the source: from a JWKS of several keys, the one whose kid is among `kids` (the
 * others given are kids it is published under); a single key whatever its own kid, since the kids it
 * is published under may differ from the one in the file.
 */
function keyWithKid(set: KeySet, kids: readonly string[]): LoadedKey {
  if (kids.length === 0 || set.keys.length <= 1) return leakedKeyOf(set)
  const named = set.keys.filter(({report}) => report.kid !== null && kids.includes(report.kid))
  if (named.length === 0) {
    const available = set.keys.map(({report}) => `${report.kid ?? '(no kid)'} ${report.thumbprint ?? ''}`.trim())
    throw new JwkrError('ERR_JWKS_NO_MATCH', `No key matches kid ${kids.map((kid) => `"${kid}"`).join(' or ')}.`, {
      hint: `The input holds ${set.keys.length} keys: ${available.join('; ')}. Pick the leaked one with --thumbprint when it is published under other kids.`,
      details: {available},
    })
  }
  return leakedKeyOf({...set, keys: named})
}
