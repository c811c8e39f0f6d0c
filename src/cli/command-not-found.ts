// oclif's command_not_found hook: a mistyped command (`jwkr incidnet list`) fails as a usage error
// that names the nearest command, printed like every other jwkr error (run-cli.ts).
import type {Hook} from '@oclif/core'
import {closest} from 'fastest-levenshtein'

import {ExitCode, JwkrError} from '../core/errors.js'

const hook: Hook.CommandNotFound = async function (options) {
  const separator = options.config.topicSeparator
  const ids = options.config.commands.filter((command) => !command.hidden).map((command) => command.id)
  const typed = options.id.replaceAll(':', separator)
  const hint = `Run \`${options.config.bin} help\` for every command.`
  if (ids.length === 0) throw new JwkrError('ERR_USAGE', `\`${typed}\` is not a jwkr command.`, {hint, exitCode: ExitCode.usage})
  const suggestion = `${options.config.bin} ${closest(options.id, ids).replaceAll(':', separator)}`
  throw new JwkrError('ERR_USAGE', `\`${typed}\` is not a ${options.config.bin} command. Did you mean \`${suggestion}\`?`, {
    hint,
    exitCode: ExitCode.usage,
  })
}

export default hook
