// Part of the fast build (scripts/bundle-cli.mjs): the order in which oclif's plugin loader sorts each
// plugin's commands. oclif compares the ids with localeCompare, and the first localeCompare of a
// process builds ICU's collator, ~6 ms of every start (issue 18). Under the collation of the C, POSIX
// and English locales, ids made of a–z, ':' and '-' sort as their code points do ('-' < ':' < 'a'), so
// those are compared directly; any other id, any other locale (Danish sorts "aa" after "z"), and
// Windows (whose locale is a system setting) still go through localeCompare: the order is oclif's.
'use strict'

const PLAIN_ID = /^[a-z:-]*$/

/**
 * Whether the default locale collates a–z, ':' and '-' in code-point order: on Linux and macOS ICU
 * takes it from LC_ALL, else LC_MESSAGES, else LANG (a variable set to "" counts as set), and unset, C
 * and POSIX mean en-US. On Windows it is the user's locale in the system settings, not known here.
 */
function plainLocale(env, platform = process.platform) {
  if (platform === 'win32') return false
  const locale = env.LC_ALL ?? env.LC_MESSAGES ?? env.LANG
  return locale === undefined || /^(?:C|POSIX|en)(?:[._@-]|$)/.test(locale)
}

let plain

/** The comparator of `commands.sort(…)`: oclif's `a.id.localeCompare(b.id)`, without ICU where that gives the same. */
function compareCommandIds(a, b) {
  plain ??= plainLocale(process.env)
  if (plain && PLAIN_ID.test(a.id) && PLAIN_ID.test(b.id)) return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  return a.id.localeCompare(b.id)
}

module.exports = compareCommandIds
module.exports.plainLocale = plainLocale
