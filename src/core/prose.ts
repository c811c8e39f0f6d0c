// A paragraph of help text written across source lines: `prose` joins the lines of a template literal
// into one string, so long descriptions wrap in the source the way they read, without a '…' + '…' chain.
/** Template tag: line breaks and the indentation after them become one space; ends are trimmed. */
export function prose(strings: TemplateStringsArray, ...values: ReadonlyArray<string | number>): string {
  const joined = strings.reduce((text, part, index) => text + part + (index < values.length ? String(values[index]) : ''), '')
  return joined.replace(/\s*\n\s*/g, ' ').trim()
}
