// Terminal colours, on only when the stream is a terminal and NO_COLOR is unset (DESIGN.md, Output).
import pc from 'picocolors'

export type Style = ReturnType<typeof pc.createColors>

export function colorEnabled(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true
}

export function createStyle(stream: {isTTY?: boolean}): Style {
  return pc.createColors(colorEnabled(stream))
}
