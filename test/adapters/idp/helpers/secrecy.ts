// Asserts that no needle (a private key value, a token) shows in anything a key source produced:
// request bodies and headers a double recorded, results, and errors with their hints and details.
import {expect} from 'vitest'

import {JwkrError} from '../../../../src/core/errors.js'
import {leakedNeedles} from '../../../core/key/samples.js'
import type {RecordedRequest} from './mock-kit.js'

/** Every text an error carries to a user or a journal. */
export function errorTexts(error: unknown): string[] {
  if (!(error instanceof Error)) return [String(error)]
  const texts = [error.message, String(error.stack ?? '')]
  if (error instanceof JwkrError) texts.push(error.hint ?? '', JSON.stringify(error.details ?? {}))
  return texts
}

/** Request bodies and headers, except the named auth headers (where the token belongs). */
export function requestTexts(requests: RecordedRequest[], authHeaders: string[] = []): string[] {
  return requests.map((request) => {
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !authHeaders.includes(name)))
    return `${request.method} ${request.url}\n${JSON.stringify(headers)}\n${request.body}`
  })
}

export function expectNoNeedles(texts: string[], needles: string[]): void {
  expect(needles.length).toBeGreaterThan(0)
  const found = texts.flatMap((text) => leakedNeedles(text, needles))
  expect(found, 'secret values found in output').toEqual([])
}

/** Runs `action`, expects it to fail with a JwkrError, and returns it. */
export async function failureOf(action: () => Promise<unknown>): Promise<JwkrError> {
  try {
    await action()
  } catch (error) {
    expect(error).toBeInstanceOf(JwkrError)
    return error as JwkrError
  }
  throw new Error('expected a JwkrError, but the action succeeded')
}
