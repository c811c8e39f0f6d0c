// What a Markdown renderer (CommonMark / GitHub) would act on in a text: raw HTML and autolinks,
// links and images, mentions and entities, outside code spans, fenced blocks and backslash escapes
// (CommonMark §2.4, §6.1). The injection tests use it to prove that untrusted values stay text.

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/

/** The text a renderer reads as markup: code spans, fenced blocks and escaped characters removed. */
export function markupText(markdown: string): string {
  let live = ''
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced
      live += '\n'
      continue
    }
    live += fenced ? '\n' : `${stripInline(line)}\n`
  }
  return live
}

function stripInline(line: string): string {
  let out = ''
  for (let i = 0; i < line.length;) {
    const char = line[i] as string
    if (char === '\\' && ASCII_PUNCTUATION.test(line[i + 1] ?? '')) {
      out += '·'
      i += 2
      continue
    }
    if (char === '`') {
      const run = /^`+/.exec(line.slice(i))?.[0] ?? '`'
      const close = findClosingRun(line, i + run.length, run.length)
      if (close >= 0) {
        out += '·'
        i = close + run.length
        continue
      }
      out += run
      i += run.length
      continue
    }
    out += char
    i += 1
  }
  return out
}

function findClosingRun(line: string, from: number, length: number): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] !== '`') continue
    const run = /^`+/.exec(line.slice(i))?.[0] ?? ''
    if (run.length === length) return i
    i += run.length - 1
  }
  return -1
}

const LIVE = [
  {name: 'HTML or autolink', pattern: /<[A-Za-z!/?]/},
  {name: 'link or image', pattern: /\]\(|\]\[/},
  {name: 'mention', pattern: /(^|[^\w])@[A-Za-z0-9]/},
  {name: 'entity', pattern: /&(#\d+|#x[0-9a-f]+|[A-Za-z]+);/i},
  {name: 'emphasis', pattern: /(^|\s)(\*\*?|__?)\S/},
]

/** Every piece of live markup found, with what surrounds it (empty: the text renders as the text it is). */
export function liveMarkdown(markdown: string): string[] {
  const text = markupText(markdown)
  return LIVE.flatMap(({name, pattern}) => {
    const match = pattern.exec(text)
    return match ? [`${name} at «${text.slice(Math.max(0, match.index - 30), match.index + 30)}»`] : []
  })
}

/** Table rows whose cell count differs from their table's header (an unescaped `|` in a value). */
export function brokenTableRows(markdown: string): string[] {
  const broken: string[] = []
  let cells: number | undefined
  for (const line of markupText(markdown).split('\n')) {
    if (!line.startsWith('|')) {
      cells = undefined
      continue
    }
    const count = line.split('|').length
    cells ??= count
    if (count !== cells) broken.push(line)
  }
  return broken
}

/** A document as a reader sees its characters: Markdown backslash escapes and HTML entities undone (for secrecy needles). */
export function unescaped(text: string): string {
  return text
    .replace(/\\([!-/:-@[-`{-~])/g, '$1')
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(
      /&(lt|gt|quot|apos|amp);/g,
      (_, name: string) => ({lt: '<', gt: '>', quot: '"', apos: "'", amp: '&'})[name] as string,
    )
}
