// The templates of the package's `templates/` folder, overridden file by file by a folder of the
// user's (`--templates DIR` or the inventory's `templates:`), in one isolated Handlebars environment
// with strict compilation: a fact the model does not have is an error naming the template's file and
// line, never a blank in a report. Every template is also a partial, by its name (`{{> partials/drill.md}}`);
// a partial leaves its file's final line break behind, so that one included inside a table cell keeps the row whole.
import Handlebars from 'handlebars'
import {readdir, stat} from 'node:fs/promises'
import {join, sep} from 'node:path'
import {fileURLToPath} from 'node:url'

import {JwkrError} from '../../core/errors.js'
import {readBoundedText} from '../fs/read-bounded-file.js'
import type {SecretRegistry} from '../../core/secrets.js'
import {formatOfTemplate} from './escape.js'
import {registerHelpers, TemplateFactError, wrapFacts} from './helpers.js'

export interface TemplateSource {
  /** Path below the templates folder without `.hbs`, with `/`: `report/rca.md`. */
  name: string
  file: string
  builtin: boolean
}

export interface TemplateSet {
  /** Renders a template with the model; every string of the model is escaped for the template's format. */
  render(name: string, model: object): string
  has(name: string): boolean
  source(name: string): TemplateSource
  names(): string[]
}

export interface LoadTemplatesOptions {
  /** A folder whose `*.hbs` files replace the built-in ones of the same name. */
  overrides?: string | null
  /**
   * Redacts every value of a model before it is escaped, and the output after: escaping can change
   * how a secret is written (Markdown puts a backslash before each `_`), so the output alone is not enough.
   */
  secrets?: SecretRegistry
  /** The built-in templates (default: the package's `templates/`). */
  builtinDir?: string
}

const EXTENSION = '.hbs'

/** `<package root>/templates`: three levels up from src/adapters/templates/ and from dist/adapters/templates/. */
export function builtinTemplateDir(): string {
  return fileURLToPath(new URL('../../../templates/', import.meta.url))
}

/**
 * Loads the built-in templates and the overrides, and checks the syntax of every one of them.
 *
 * @throws JwkrError ERR_TEMPLATE_INVALID with `file:line` for a template that does not parse,
 *   ERR_TEMPLATE_NOT_FOUND when the overrides folder does not exist.
 * @example const templates = await loadTemplates({overrides: flags.templates})
 */
export async function loadTemplates(options: LoadTemplatesOptions = {}): Promise<TemplateSet> {
  const sources = new Map<string, TemplateSource & {text: string}>()
  for (const source of await readTemplates(options.builtinDir ?? builtinTemplateDir(), true)) sources.set(source.name, source)
  if (options.overrides) {
    const info = await stat(options.overrides).catch(() => undefined)
    if (!info?.isDirectory()) {
      throw new JwkrError('ERR_TEMPLATE_NOT_FOUND', `The templates folder ${options.overrides} does not exist.`, {
        hint: 'Pass a folder holding files named like the built-in ones (report/rca.md.hbs, notify/users.md.hbs, …), or leave --templates out.',
      })
    }
    for (const source of await readTemplates(options.overrides, false)) sources.set(source.name, source)
  }
  const hb = Handlebars.create()
  registerHelpers(hb)
  const compiled = new Map<string, Handlebars.TemplateDelegate>()
  for (const source of sources.values()) {
    checkSyntax(hb, source)
    compiled.set(source.name, guard(hb.compile(source.text, {strict: true}), source))
    // Included in a line (a table cell), a partial must not bring its file's final line break along.
    hb.registerPartial(source.name, guard(hb.compile(source.text.replace(/\r?\n$/, ''), {strict: true}), source))
  }
  const sourceOf = (name: string) => {
    const source = sources.get(name)
    if (!source) {
      throw new JwkrError('ERR_TEMPLATE_NOT_FOUND', `There is no template ${name}${EXTENSION}.`, {
        hint: `Known templates: ${[...sources.keys()].sort().join(', ')}.`,
      })
    }
    return source
  }
  return {
    render(name, model) {
      const source = sourceOf(name)
      const format = formatOfTemplate(name)
      const template = compiled.get(name) as Handlebars.TemplateDelegate
      const facts = options.secrets ? options.secrets.redactValue(model) : model
      try {
        const text = template(wrapFacts(facts, format), {data: {format}})
        return options.secrets ? options.secrets.redact(text) : text
      } catch (error) {
        throw renderError(error, source, sources)
      }
    },
    has: (name) => sources.has(name),
    source: (name) => {
      const {text: _text, ...source} = sourceOf(name)
      return source
    },
    names: () => [...sources.keys()].sort(),
  }
}

/** The largest template file read: the built-in ones are a few KB. */
const MAX_TEMPLATE_BYTES = 1024 * 1024

async function readTemplates(dir: string, builtin: boolean): Promise<Array<TemplateSource & {text: string}>> {
  const paths = (await readdir(dir, {recursive: true})).filter((path) => path.endsWith(EXTENSION)).sort()
  return Promise.all(
    paths.map(async (path) => ({
      name: path.split(sep).join('/').slice(0, -EXTENSION.length),
      file: join(dir, path),
      builtin,
      text: await readBoundedText(join(dir, path), {maxBytes: MAX_TEMPLATE_BYTES, what: 'a template'}),
    })),
  )
}

function checkSyntax(hb: typeof Handlebars, source: TemplateSource & {text: string}): void {
  try {
    hb.parse(source.text)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const line = Number(/line (\d+)/.exec(message)?.[1]) || (error as {lineNumber?: number}).lineNumber || 1
    const detail = message.split('\n').slice(1).join('\n') || message
    throw new JwkrError('ERR_TEMPLATE_INVALID', `${source.file}:${line}: the template does not parse.\n${detail}`, {
      hint: source.builtin
        ? 'This built-in template is broken: reinstall jwkr, or report it.'
        : `Fix the Handlebars syntax at line ${line} of ${source.file}, or remove the file to use the built-in template.`,
      details: {file: source.file, line, template: source.name},
    })
  }
}

/** Tags what a template throws with the template (the innermost, for a partial: the first tag stays). */
function guard(template: Handlebars.TemplateDelegate, source: TemplateSource): Handlebars.TemplateDelegate {
  return (context, runtime) => {
    try {
      return template(context, runtime)
    } catch (error) {
      throw tagged(error, source)
    }
  }
}

const TAG = Symbol('jwkr.template')

function tagged(error: unknown, source: TemplateSource): unknown {
  if (error !== null && typeof error === 'object' && !(TAG in error)) Object.assign(error, {[TAG]: source})
  return error
}

/** A render failure as `file:line:column: what` with the template's line quoted. */
function renderError(error: unknown, root: TemplateSource, sources: Map<string, TemplateSource & {text: string}>): JwkrError {
  if (error instanceof JwkrError) return error
  const where = ((error as {[TAG]?: TemplateSource})[TAG] ?? root) as TemplateSource
  const text = sources.get(where.name)?.text ?? ''
  const message = error instanceof Error ? error.message : String(error)
  let line = error instanceof TemplateFactError ? error.line : (error as {lineNumber?: number}).lineNumber
  let column = error instanceof TemplateFactError ? error.column : (error as {column?: number}).column
  let what = message.replace(/ - \d+:\d+$/, '')
  const missingFact = /^"(.+?)" not defined in /.exec(message)
  if (missingFact) what = `"${missingFact[1]}" is not a fact of the report model`
  const missingPartial = /^The partial (.+) could not be found/.exec(message)
  if (missingPartial) {
    what = `there is no template ${missingPartial[1]} to include`
    const index = text.split('\n').findIndex((candidate) => candidate.includes(`> ${missingPartial[1]}`))
    if (index >= 0) [line, column] = [index + 1, undefined]
  }
  const position = line === undefined ? '' : `:${line}${column === undefined ? '' : `:${column + 1}`}`
  const quoted = line === undefined ? '' : `\n  ${line} | ${text.split('\n')[line - 1]?.trim() ?? ''}`
  return new JwkrError('ERR_TEMPLATE_RENDER', `${where.file}${position}: ${what}.${quoted}`, {
    hint: where.builtin
      ? 'This is a bug in a built-in template: report it with the incident journal.'
      : `Fix ${where.file}: the facts a template can use are those of \`jwkr report rca --format json\`.`,
    details: {file: where.file, line: line ?? null, template: where.name},
    cause: error,
  })
}
