// The inventory of a drill world, written beside it as world/jwkr.inventory.yaml: the issuer with its
// jwks-file key store, every service with its probe (and the shape of the token it accepts), cache
// lifetime (as the service's team declared it), verifier, contacts, repository and logs, and where to
// notify. Paths are relative to the world folder.
import {stringify} from 'yaml'

import type {Inventory, ProbeTokenShape, VerifierProfileId} from '../core/inventory/types.js'

export interface WorldInventorySpec {
  issuerId: string
  issuer: string
  discovery: string
  /** Relative to the world folder, e.g. ./issuer/jwks.json */
  jwksFile: string
  services: Array<{
    id: string
    team: string
    slack: string
    email: string
    probeUrl: string
    /** The cache-bust hook, when the service has one. */
    reloadUrl: string | null
    declaredCacheSeconds: number
    /** The verifier profile of its JWKS client. */
    verifier: VerifierProfileId
    /** What its tokens must carry beyond the defaults (a scope), or null. */
    probeToken: ProbeTokenShape | null
    repo: string
    /** Relative to the world folder. */
    logs: string[]
  }>
  slackChannel: string
  githubRepo: string
}

/** The YAML text, with a header saying what it is. */
export function worldInventory(spec: WorldInventorySpec): string {
  const inventory: Inventory = {
    version: 1,
    issuers: [
      {
        id: spec.issuerId,
        issuer: spec.issuer,
        discovery: spec.discovery,
        keySource: {type: 'jwks-file', path: spec.jwksFile},
      },
    ],
    services: spec.services.map((service) => ({
      id: service.id,
      team: service.team,
      contacts: {slack: service.slack, email: service.email},
      trusts: [spec.issuerId],
      probe: {url: service.probeUrl, method: 'GET', ...(service.probeToken ? {token: service.probeToken} : {})},
      jwksCacheSeconds: service.declaredCacheSeconds,
      verifier: service.verifier,
      ...(service.reloadUrl ? {cacheBust: {url: service.reloadUrl, method: 'POST' as const}} : {}),
      repo: service.repo,
      ...(service.logs.length > 0 ? {logs: service.logs} : {}),
    })),
    notify: {slack: {channel: spec.slackChannel}, github: {repo: spec.githubRepo}},
  }
  const header = [
    '# The inventory of a jwkr drill world: every URL is a server on 127.0.0.1 that lives as long as the',
    '# drill (or until `jwkr drill --keep` is stopped). Paths are relative to this folder.',
    '',
  ].join('\n')
  return `${header}${stringify(inventory, {lineWidth: 0})}`
}
