// The report model: every fact the post-incident documents (RCA, timeline, notifications, the GitHub
// tracking issue) show, folded from the incident journal alone. Templates render it; `jwkr report
// … --format json` prints it. Unknown facts are null, never missing, so a template that names a fact
// the model does not have is an error (strict templates), not a silent blank.
import type {IncidentStatus, StepStatus} from '../journal/types.js'
import type {RunOutcome} from './run-outcome.js'

/** The five phases of a response, derived from each step's `uses` area (phases.ts). */
export type Phase = 'assess' | 'locate' | 'contain' | 'prove' | 'communicate'

/** What a check says about the leaked key at one endpoint or relying party. */
export type Outcome = 'contained' | 'exposed' | 'unknown'

export interface ReportStep {
  id: string
  uses: string | null
  title: string
  phase: Phase
  status: StepStatus
  startedAt: string | null
  finishedAt: string | null
  durationMs: number | null
  attempts: number
  approvedBy: string | null
  error: {code: string; message: string} | null
  /** Why it was skipped. */
  reason: string | null
}

export interface ReportPhase {
  name: Phase
  title: string
  startedAt: string
  /** Null while one of its steps is still running. */
  finishedAt: string | null
  durationMs: number | null
  /** Step ids, in playbook order. */
  steps: string[]
  /** failed when one of its steps failed, running when one has not finished. */
  status: 'done' | 'running' | 'failed'
}

export type TimelineKind = 'incident' | 'decision' | 'step' | 'failure' | 'note' | 'evidence' | 'effect' | 'run'

export interface ReportEvent {
  seq: number
  at: string
  kind: TimelineKind
  phase: Phase | null
  step: string | null
  text: string
  /** For evidence: what the check said. */
  outcome: Outcome | null
}

export interface ReportNote {
  at: string
  author: string
  text: string
  step: string | null
}

/** One containment check (or a locate answer that found the key served), from the journal's evidence events. */
export interface EvidenceItem {
  seq: number
  at: string
  step: string | null
  /** probe: a canary token sent to a relying party; jwks: a key set fetched again; endpoint: a locate answer. */
  kind: 'probe' | 'jwks' | 'endpoint'
  /** What was checked: the service id for probes when known, else the URL. */
  target: string
  service: string | null
  url: string | null
  method: string | null
  httpStatus: number | null
  outcome: Outcome
  /** An error or a short explanation. */
  detail: string | null
  /** The canary token's jti (probes). */
  jti: string | null
  /** SHA-256 of the response body, when recorded. */
  bodySha256: string | null
  /** A service's verdict of one round (containment.service), which decides over the raw canary answers beside it. */
  verdict: boolean
}

export interface ContainmentTarget {
  target: string
  kind: EvidenceItem['kind']
  /** Outcome of the latest check. */
  outcome: Outcome
  /** Contained without interruption since this check (null unless contained). */
  since: string | null
  /** The first check that found the key accepted (probe) or served (key set); null when none did. */
  firstExposedAt: string | null
  /** The latest check that found the key accepted (probe) or served (key set); null when none did. */
  lastExposedAt: string | null
  lastCheckedAt: string
  checks: number
}

/** Consecutive checks of one target with the same outcome, summarised (evidence.ts `checkSpans`). */
export interface CheckSpan {
  target: string
  /** A locate answer that found the key served counts as a key-set check. */
  kind: 'probe' | 'jwks'
  outcome: Outcome
  /** The first and the last check of the span. */
  from: string
  to: string
  checks: number
  /** What the span's last check said. */
  detail: string | null
  /** The journal seq of its first check. */
  seq: number
  /** Whether this is the target's latest span: where it stands now. */
  latest: boolean
}

export interface Containment {
  /** Every checked target rejects the key at its latest check (and at least one was checked). */
  proven: boolean
  /** When the last target became (and stayed) contained. */
  containedAt: string | null
  /** From the incident's opening to containedAt. */
  timeToContainMs: number | null
  targets: ContainmentTarget[]
  counts: {contained: number; exposed: number; unknown: number}
}

export interface Exposure {
  /** The earliest moment the key is known to have been exposed (never later than the report of the leak). */
  from: string | null
  /** given: the playbook input `leakedAt`; first-forgery: a forged token's iat; reported: the incident's opening. */
  fromBasis: 'given' | 'first-forgery' | 'reported'
  /** When containment was proven, or null while it is not. */
  until: string | null
  untilBasis: 'contained' | 'ongoing'
  /** until − from, or now − from while ongoing. */
  durationMs: number | null
}

/** Figures of token triage (the outputs of a `tokens.scan` step). */
export interface TriageFigures {
  step: string
  scanned: number | null
  signedWithLeakedKey: number | null
  kidMatchBadSignature: number | null
  suspectedForgeries: number | null
  /** Distinct `sub` values among tokens signed with the key: the people to notify. */
  subjects: number | null
  issuers: string[]
  audiences: string[]
  firstIat: string | null
  lastIat: string | null
  firstForgeryAt: string | null
  longestRemainingSeconds: number | null
  /** The CSV of affected subjects, when written. */
  subjectsFile: string | null
}

export interface ReportLink {
  step: string
  label: string
  url: string
}

export interface ActionTaken {
  step: string
  title: string
  phase: Phase
  at: string | null
  /** Descriptions of the remote changes it made. */
  effects: string[]
}

export interface ChecklistItem {
  step: string
  title: string
  uses: string | null
  status: StepStatus
  /** Ticked: succeeded or skipped. */
  done: boolean
  /** A failure message, a skip reason or the approver. */
  detail: string | null
}

export interface ReportModel {
  /** When this report was made. */
  generatedAt: string
  incident: {
    id: string
    drill: boolean
    status: IncidentStatus
    openedAt: string | null
    openedBy: string | null
    closedAt: string | null
    closeReason: string | null
    lastEventAt: string | null
    /** The run was still going when the report was made (a step started, the run not finished): the documents say so. */
    inProgress: boolean
    /** The steps running then, by id. */
    runningSteps: string[]
    playbook: string | null
    /** Where the key was found (a path), never the key. */
    source: string | null
  }
  severity: string
  key: {
    thumbprint: string | null
    thumbprintUri: string | null
    /** The kid of the key as found, else the first kid an issuer published it under. */
    kid: string | null
    /** Every kid the issuers published the key under (what an attacker's tokens carry). */
    publishedKids: string[]
    /** Whether an issuer published it without a kid (tokens without a kid then match it too). */
    publishedWithoutKid: boolean
    kty: string | null
    alg: string | null
    /** Whether private material was exposed; null when the key was not inspected. */
    private: boolean | null
    /** The names of the exposed private members (never their values). */
    privateMembers: string[]
  }
  /** The key that replaced it, when a rotation step reported one. */
  replacement: {kid: string | null; thumbprint: string | null} | null
  issuers: {publishing: string[]; unchecked: string[]}
  /** Services that trust a publishing issuer or serve the key. */
  services: string[]
  locate: {endpoints: number; failed: string[]; critical: string[]} | null
  /** Copies of the key found by code.search (repositories) and code.scan (files on disk). */
  copies: {repos: string[]; files: string[]; privateHits: number} | null
  triage: TriageFigures | null
  steps: ReportStep[]
  checklist: ChecklistItem[]
  phases: ReportPhase[]
  /**
   * Decisions, effects, state changes and notes: repeated checks are summarised in `spans` (one
   * timeline event where a target's outcome changes), the checks themselves are in `evidence`.
   */
  timeline: ReportEvent[]
  notes: ReportNote[]
  /** Every individual check: the documents' appendix. */
  evidence: EvidenceItem[]
  /** The checks per target as spans of one outcome. */
  spans: CheckSpan[]
  containment: Containment
  /** What the run achieved (run-outcome.ts): the report's outcome line, the same as the command's. */
  outcome: RunOutcome
  exposure: Exposure
  links: ReportLink[]
  actionsTaken: ActionTaken[]
  /**
   * "What we did" for users and partners: plain sentences, never empty, with no step titles, file
   * names or paths, and a scope that says so when nothing was checked (drafts.ts).
   */
  publicActions: string[]
  /** Whether every key set checked was last seen not listing the key (drafts.ts keyUnpublished). */
  keyUnpublished: boolean
  observations: {wentWell: string[]; toImprove: string[]}
  actionItems: string[]
  counts: {steps: number; succeeded: number; failed: number; skipped: number; pending: number}
}
