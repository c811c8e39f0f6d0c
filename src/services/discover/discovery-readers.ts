// The remote sources of discovery, built in one place from the environment: a GitHub organisation
// (GITHUB_TOKEN, GITHUB_API_URL, through the one GitHub client) and a Backstage catalog API
// (BACKSTAGE_TOKEN). The command and the services.locate step both take them from here.
import type {SecretRegistry} from '../../core/secrets.js'
import {readCatalog} from '../../adapters/backstage/read-catalog.js'
import {createGitHubClient, githubSettingsFromEnv} from '../../adapters/github/client.js'
import {discoverOrg} from '../../adapters/github/discover-org.js'
import type {DiscoverInventoryOptions} from './discover-inventory.js'

export function createDiscoveryReaders(options: {
  secrets: SecretRegistry
  env: NodeJS.ProcessEnv
  fetch?: typeof globalThis.fetch
}): Pick<DiscoverInventoryOptions, 'readGitHub' | 'readBackstage'> {
  return {
    readGitHub: async (org) => {
      const settings = githubSettingsFromEnv(options.env)
      const client = createGitHubClient({...settings, secrets: options.secrets, fetch: options.fetch})
      const {findings, read} = await discoverOrg({client, org})
      return {findings, read}
    },
    readBackstage: async (baseUrl) => {
      const token = options.env.BACKSTAGE_TOKEN?.trim()
      const entities = await readCatalog({baseUrl, secrets: options.secrets, ...(token ? {token} : {})})
      return {findings: entities, read: entities.length}
    },
  }
}
