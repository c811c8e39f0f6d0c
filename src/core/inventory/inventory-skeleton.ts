// The first inventory `jwkr inventory init` writes: one issuer, a first service and the incident
// channel, each field with a comment saying what it is for. Without answers (no terminal, --yes) it
// is a skeleton of example values to replace; with the answers of the prompts it holds them. Either
// way it passes `jwkr inventory validate` (the command checks that before writing).

/** What `jwkr inventory init` asks on a terminal. */
export interface InventoryAnswers {
  issuerId: string
  /** The iss claim. */
  issuer: string
  jwksUri: string
  /** A first service that trusts the issuer; null: none yet (a commented example instead). */
  service: {
    id: string
    team: string
    /** The team's Slack channel or handle; null: none. */
    slack: string | null
    /** A URL it answers 401 to a bad token; null: none (a commented line instead). */
    probe: string | null
    /** How long it may keep a removed key cached: a duration (10m). */
    cache: string
  } | null
  /** The incident channel; null: none (a commented line instead). */
  channel: string | null
}

/** The example values of the skeleton: every one of them is to be replaced. */
export const EXAMPLE_ANSWERS: InventoryAnswers = {
  issuerId: 'auth-main',
  issuer: 'https://auth.example.com',
  jwksUri: 'https://auth.example.com/.well-known/jwks.json',
  service: {
    id: 'billing-api',
    team: 'payments',
    slack: '#payments-oncall',
    probe: 'https://billing.example.com/api/me',
    cache: '10m',
  },
  channel: '#sec-incidents',
}

/**
 * The inventory's text: the answers, or the example values (`null`) in a skeleton that says to replace them.
 *
 * @example await writeFile('jwkr.inventory.yaml', renderInventory(null))
 */
export function renderInventory(answers: InventoryAnswers | null, file = 'jwkr.inventory.yaml'): string {
  const given = answers ?? EXAMPLE_ANSWERS
  const lines = [
    '# jwkr inventory: which issuers sign tokens, which services trust them, and where to tell people when a',
    '# signing key leaks. Written by `jwkr inventory init`; check it after every change with:',
    '#',
    `#   jwkr inventory validate ${file}`,
    '#',
    '# The full format: `jwkr inventory schema` (its JSON Schema) and examples/jwkr.inventory.yaml in the',
    '# jwk-responder package. Credentials never live here: jwkr reads them from the environment.',
    ...(answers === null ? ['#', '# Every value below is an example (example.com): replace them with your own.'] : []),
    'version: 1',
    '',
    "# Who signs tokens. jwkr reads each issuer's JWKS and checks whether it publishes the leaked key.",
    'issuers:',
    `  - id: ${scalar(given.issuerId)} # services name this id in \`trusts\``,
    `    issuer: ${scalar(given.issuer)} # the iss claim, exactly as tokens carry it`,
    `    jwksUri: ${scalar(given.jwksUri)} # or discovery: its openid-configuration URL`,
    "    # How jwkr changes this issuer's keys. manual: jwkr says what to change and you change it. The others",
    '    # (each needs its credential in the environment, which `jwkr inventory validate` checks):',
    '    #   jwks-file {path}, github-file {repo, path} (GITHUB_TOKEN), auth0 {domain} (AUTH0_TOKEN),',
    '    #   keycloak {baseUrl, realm} (KEYCLOAK_TOKEN), okta {domain, authServerId} (OKTA_TOKEN),',
    '    #   vault {address, key} (VAULT_TOKEN), webhook {url} (JWKR_WEBHOOK_SECRET)',
    '    keySource: {type: manual}',
    '',
    '# Who trusts them: the services to warn, and to probe until they refuse the leaked key.',
    ...serviceLines(given.service ?? null, given.issuerId),
    '',
    ...notifyLines(given.channel),
  ]
  return `${lines.join('\n')}\n`
}

function serviceLines(service: InventoryAnswers['service'], issuerId: string): string[] {
  if (service === null) {
    return [
      'services: []',
      '# A service, for example:',
      `#  - {id: billing-api, team: payments, contacts: {slack: "#payments-oncall"}, trusts: [${issuerId}],`,
      '#     probe: {url: https://billing.example.com/api/me}, jwksCacheSeconds: 10m}',
    ]
  }
  return [
    'services:',
    `  - id: ${scalar(service.id)}`,
    `    team: ${scalar(service.team)}`,
    `    contacts: {${service.slack === null ? '' : `slack: ${scalar(service.slack)}`}} # slack: a channel or handle; email: an on-call address`,
    `    trusts: [${scalar(issuerId)}] # the issuer ids whose tokens it accepts`,
    '    # A request it answers 401 to a bad token: containment is proven when it refuses a canary signed',
    '    # with the leaked key. Without one, only its cache running out can say it is contained.',
    service.probe === null ? '    # probe: {url: https://…}' : `    probe: {url: ${scalar(service.probe)}}`,
    '    # How long it may keep a removed key in its JWKS cache (a duration: 10m, 1h); the containment clock',
    '    # waits that long. Without it, 600 s is assumed.',
    `    jwksCacheSeconds: ${scalar(service.cache)}`,
    '    # Log files or folders where its tokens show up: `jwkr respond` triages them for tokens signed with the key.',
    '    # logs: [./logs/billing-api]',
  ]
}

function notifyLines(channel: string | null): string[] {
  const slack = `slack: {channel: ${scalar(channel ?? EXAMPLE_ANSWERS.channel ?? '#sec-incidents')}}`
  const lines = ['# Where the incident is announced (SLACK_TOKEN from the environment).']
  return channel === null ? [...lines, '# notify:', `#   ${slack}`] : [...lines, 'notify:', `  ${slack}`]
}

/** A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON strings are YAML). */
function scalar(value: string): string {
  return /^[A-Za-z0-9][\w.\-/:@]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) && !/^[\d.]+$/.test(value)
    ? value
    : JSON.stringify(value)
}
