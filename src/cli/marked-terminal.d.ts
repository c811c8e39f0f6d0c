// marked-terminal ships no types (and @types/marked-terminal pins marked below 12): the part jwkr uses.
declare module 'marked-terminal' {
  import type {MarkedExtension} from 'marked'

  type Paint = (text: string) => string
  export interface TerminalRendererOptions {
    code?: Paint
    blockquote?: Paint
    html?: Paint
    heading?: Paint
    firstHeading?: Paint
    hr?: Paint
    listitem?: Paint
    table?: Paint
    paragraph?: Paint
    strong?: Paint
    em?: Paint
    codespan?: Paint
    del?: Paint
    link?: Paint
    href?: Paint
    text?: Paint
    width?: number
    reflowText?: boolean
    showSectionPrefix?: boolean
    unescape?: boolean
    emoji?: boolean
    tab?: number
    tableOptions?: Record<string, unknown>
  }
  export function markedTerminal(options?: TerminalRendererOptions, highlightOptions?: Record<string, unknown>): MarkedExtension
}
