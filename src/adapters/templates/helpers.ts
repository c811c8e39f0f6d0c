// The helpers every jwkr template can use (dates, durations, plurals, comparisons, code, links and
// explicit escapes), and the wrapper that makes `{{value}}` escape for the document's format: each
// string of the model becomes a Fact whose `toHTML()` (what Handlebars calls to escape) escapes for
// md, html, txt or mrkdwn. Helpers and block helpers refuse a missing (undefined) argument, so a
// misspelt fact is an error even where Handlebars' strict mode does not look (helper arguments).
import Handlebars from 'handlebars'

import {formatDuration} from '../../core/duration.js'
import {escapeFor} from '../../core/escape-untrusted.js'
import {cssString, markdownCode, mermaidText, safeUrl, type OutputFormat} from './escape.js'

type Env = typeof Handlebars

/** A string of the model, printed escaped for the format of the template that prints it. */
export class Fact {
  constructor(
    readonly value: string,
    readonly format: OutputFormat,
  ) {}

  toString(): string {
    return this.value
  }

  /** What Handlebars prints for `{{fact}}` (and skips for `{{{fact}}}`). */
  toHTML(): string {
    return escapeFor(this.format, this.value)
  }

  toJSON(): string {
    return this.value
  }
}

/** The model with every non-empty string wrapped as a Fact (empty strings stay falsy for `{{#if}}`). */
export function wrapFacts(value: unknown, format: OutputFormat): unknown {
  if (typeof value === 'string') return value === '' ? value : new Fact(value, format)
  if (Array.isArray(value)) return value.map((item) => wrapFacts(item, format))
  if (value !== null && typeof value === 'object' && !(value instanceof Fact) && !(value instanceof Handlebars.SafeString)) {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, wrapFacts(item, format)]))
  }
  return value
}

/** A helper argument as its plain value. */
export function raw(value: unknown): unknown {
  return value instanceof Fact ? value.value : value
}

/** A helper's or strict lookup's complaint, with where in the template it happened. */
export class TemplateFactError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
  ) {
    super(message)
  }
}

interface Options extends Handlebars.HelperOptions {
  name: string
  loc?: {start: {line: number; column: number}}
}

const DATE_FORMATS = {
  full: (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`,
  time: (iso: string) => iso.slice(11, 19),
  /** A table cell under a header that names the zone: `2026-03-14 09:10:05`. */
  cell: (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`,
  day: (iso: string) => iso.slice(0, 10),
  minute: (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`,
  /** What Mermaid's `dateFormat YYYY-MM-DD HH:mm:ss.SSS` reads. */
  mermaid: (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 23)}`,
} as const

const UNKNOWN = 'unknown'

/** Registers the helpers and strict versions of the built-in block helpers on an isolated environment. */
export function registerHelpers(hb: Env): void {
  const format = (options: Options): OutputFormat => (options.data?.format as OutputFormat | undefined) ?? 'txt'
  /** A helper's text result, escaped like any fact of the document. */
  const text = (value: string, options: Options) => new Fact(value, format(options))
  const helper = (name: string, fn: (args: unknown[], options: Options) => unknown) => {
    hb.registerHelper(name, function (this: unknown, ...all: unknown[]) {
      const options = all.pop() as Options
      const missing = all.findIndex((arg) => arg === undefined)
      if (missing >= 0) throw missingArgument(name, missing, options)
      const result = fn(all.map(raw), options)
      return typeof result === 'string' ? text(result, options) : result
    })
  }

  helper('date', ([value], options) => {
    const style = (options.hash.format as keyof typeof DATE_FORMATS | undefined) ?? 'full'
    const iso = typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : null
    if (!(style in DATE_FORMATS))
      throw new TemplateFactError(`{{date}} has no format "${style}" (${Object.keys(DATE_FORMATS).join(', ')})`, ...at(options))
    return text(iso ? DATE_FORMATS[style](iso) : UNKNOWN, options)
  })
  /** Milliseconds, or seconds with `unit="s"`. */
  helper('duration', ([value], options) => {
    const ms = typeof value === 'number' && Number.isFinite(value) ? value * (options.hash.unit === 's' ? 1000 : 1) : null
    return text(ms === null ? UNKNOWN : formatDuration(Math.max(0, ms)), options)
  })
  helper('plural', ([n, one, many], options) => {
    const count = typeof n === 'number' ? n : Array.isArray(n) ? n.length : Number(n)
    const noun = count === 1 ? String(one) : many === undefined || typeof many === 'object' ? `${String(one)}s` : String(many)
    return text(`${count} ${noun}`, options)
  })
  helper('number', ([n]) => (typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : UNKNOWN))
  /** The value, or a fallback ("unknown") when it is null or empty: `{{known key.kid}}`. */
  helper('known', ([value, fallback]) =>
    value === null || value === '' ? (typeof fallback === 'string' ? fallback : UNKNOWN) : value,
  )
  helper('inc', ([n]) => Number(n) + 1)
  helper('eq', ([a, b]) => a === b)
  helper('ne', ([a, b]) => a !== b)
  helper('gt', ([a, b]) => Number(a) > Number(b))
  helper('not', ([a]) => !a || (Array.isArray(a) && a.length === 0))
  helper('and', (args) => args.every((a) => Boolean(a) && !(Array.isArray(a) && a.length === 0)))
  /** The first argument that is set (`{{or kid "none"}}`), or false. */
  helper('or', (args) => args.find((a) => Boolean(a) && !(Array.isArray(a) && a.length === 0)) ?? false)
  helper('join', ([list, separator], options) =>
    text((Array.isArray(list) ? list.map(raw) : []).join(typeof separator === 'string' ? separator : ', '), options),
  )
  helper('upper', ([value], options) => text(String(value ?? '').toUpperCase(), options))
  helper('code', ([value], options) => code(String(value ?? ''), format(options)))
  helper('link', ([url, label], options) => link(String(url ?? ''), String(label ?? url ?? ''), format(options)))
  helper('mermaid', ([value]) => new Handlebars.SafeString(mermaidText(String(value ?? ''))))
  /** A CSS string literal, for `content:` inside a `<style>` element: `{{css incident.id}}`. */
  helper('css', ([value]) => new Handlebars.SafeString(cssString(String(value ?? ''))))
  for (const name of ['md', 'html', 'txt', 'mrkdwn'] as const) {
    helper(name, ([value]) => new Handlebars.SafeString(escapeFor(name, String(value ?? ''))))
  }

  // Handlebars does not look strictly at helper arguments: {{#if misspelt}} would be silently false.
  for (const name of ['if', 'unless', 'each', 'with']) {
    const builtin = hb.helpers[name] as (...args: unknown[]) => unknown
    hb.registerHelper(name, function (this: unknown, ...all: unknown[]) {
      const options = all[all.length - 1] as Options
      if (all.length > 1 && all[0] === undefined) throw missingArgument(`#${name}`, 0, options)
      return builtin.apply(this, all)
    })
  }
}

function code(value: string, format: OutputFormat): Handlebars.SafeString {
  if (format === 'md') return new Handlebars.SafeString(markdownCode(value))
  if (format === 'html') return new Handlebars.SafeString(`<code>${escapeFor('html', value)}</code>`)
  if (format === 'mrkdwn') return new Handlebars.SafeString(`\`${escapeFor('mrkdwn', value).replace(/`/g, "'")}\``)
  return new Handlebars.SafeString(escapeFor('txt', value))
}

/** A link only to http(s); anything else is shown as its (escaped) label. */
function link(url: string, label: string, format: OutputFormat): Handlebars.SafeString {
  const target = safeUrl(url)
  const shown = escapeFor(format, label)
  if (!target) return new Handlebars.SafeString(shown)
  if (format === 'md') return new Handlebars.SafeString(`[${shown}](${target})`)
  if (format === 'html') return new Handlebars.SafeString(`<a href="${escapeFor('html', target)}">${shown}</a>`)
  if (format === 'mrkdwn') return new Handlebars.SafeString(`<${target}|${shown.replace(/\|/g, '¦')}>`)
  return new Handlebars.SafeString(label === url ? target : `${shown} (${target})`)
}

function at(options: Options): [number | undefined, number | undefined] {
  return [options.loc?.start.line, options.loc?.start.column]
}

function missingArgument(name: string, index: number, options: Options): TemplateFactError {
  return new TemplateFactError(
    `{{${name}}} got a value that is not a fact of the report model (argument ${index + 1} is undefined)`,
    ...at(options),
  )
}
