// An in-memory stand-in for the engine's effect journal (StepContext.effect): a stage recorded done
// returns its ref without running; a stage with an intent but no result is checked first, and made
// again only when its check says "no" or cannot tell (as the engine does under --yes). It can also
// "crash" right after a stage's remote change, before the result is recorded.
import type {EffectRunner} from '../../../../src/adapters/idp/issuer-key-store.js'

export interface RunnerEvent {
  stage: string
  event: 'applied' | 'replayed' | 'recovered' | 'repeated'
}

export class SimulatedCrash extends Error {
  constructor(stage: string) {
    super(`simulated crash after the remote change of stage ${stage}`)
  }
}

export class MemoryRunner {
  readonly done = new Map<string, Record<string, unknown>>()
  readonly intents = new Set<string>()
  readonly events: RunnerEvent[] = []
  readonly descriptions: string[] = []
  /** The next run of this stage crashes after `apply` returned, before `done` is recorded. */
  crashAfter: string | null = null

  readonly run: EffectRunner = async (stage, description, apply, check) => {
    const known = this.done.get(stage)
    if (known) {
      this.events.push({stage, event: 'replayed'})
      return known as Awaited<ReturnType<typeof apply>>
    }
    if (this.intents.has(stage)) {
      const found = check ? await check() : 'unknown'
      if (found !== undefined && found !== 'unknown') {
        this.done.set(stage, found)
        this.events.push({stage, event: 'recovered'})
        return found
      }
      this.events.push({stage, event: 'repeated'})
    }
    this.intents.add(stage)
    this.descriptions.push(description)
    const ref = await apply()
    this.events.push({stage, event: 'applied'})
    if (this.crashAfter === stage) {
      this.crashAfter = null
      throw new SimulatedCrash(stage)
    }
    this.done.set(stage, ref)
    return ref
  }

  /** Stages whose apply ran, in order (a repeat shows twice). */
  applied(): string[] {
    return this.events.filter((item) => item.event === 'applied').map((item) => item.stage)
  }
}
