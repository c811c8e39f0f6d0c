// Inputs that once broke jwkr, per fuzz surface: each runs first, every time, before the random
// cases (fast-check's `examples`). Add a failing run's shrunk counterexample here, with a line on
// what it broke, when you fix it.
import type {KeyCase} from './key-intake.fuzz.test.js'
import type {LogCase, PlannedToken} from './token-lines.fuzz.test.js'

const DEEP = 20_000
const SECRET = 'SxRegressionPrivateValue0123456789'
const CREDENTIAL = 'Cr3dRegression0123456789'

/** Clears the screen, sets the title, returns to the line start, a C1 CSI, a right-to-left override. */
const HOSTILE = 'k1\u001b[2J\u001b]0;pwned\u0007\r\u009b31m\u202eevil'

const scope: Record<string, unknown> = {
  inputs: {key: 'leaked.json'},
  steps: {},
  incident: {id: 'INC-1', drill: false, dir: '/tmp'},
  now: '2024-05-01T00:00:00.000Z',
}

const token = (overrides: Partial<PlannedToken>): PlannedToken => ({
  form: 'plain',
  whitespace: ' ',
  leakedSigner: true,
  claims: {sub: 'alice', iss: 'https://auth.example.com', jti: '6f1b4a5e-0000-4000-8000-000000000001', blob: 0},
  ...overrides,
})

const playbook = (steps: string): string => `apiVersion: jwkr/v1\nkind: Playbook\nname: regression\nsteps:\n${steps}`

export const REGRESSIONS = {
  keyIntake: [
    // A JWKS nested 20,000 levels deep overflowed the stack of every recursive walk after the parse.
    [{text: `{"keys":[{"kty":"oct","k":"${SECRET}","x5c":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}]}`, needles: [SECRET]}],
    // A set of empty entries past the limit (300,000 of them took 1.3 GB to report on).
    [{text: `{"keys":[${Array(1500).fill('{}').join(',')}]}`, needles: []}],
    // A kid of terminal escape sequences, with a private member.
    [{text: JSON.stringify({kty: 'OKP', crv: 'Ed25519', x: 'x', d: SECRET, kid: HOSTILE}), needles: [SECRET]}],
    // An oct key of 27 KB once broke the redaction pattern, and the error path printed it.
    [{text: JSON.stringify({keys: [{kty: 'oct', k: `Sx${'K'.repeat(27 * 1024)}`}]}), needles: [`Sx${'K'.repeat(27 * 1024)}`]}],
  ] satisfies [KeyCase][],
  playbookYaml: [
    // A step named __proto__ wrote its status and outputs onto Object.prototype.
    [
      playbook(
        '  - id: __proto__\n    uses: core.note\n    with: {text: hi}\n  - id: b\n    uses: core.note\n    with: {text: "${{ steps.__proto__.outputs }}"}\n',
      ),
    ],
    // A YAML alias inside the node it names gave a circular value: "Converting circular structure to JSON".
    [playbook('  - &a {id: a, uses: core.note, with: {text: *a}}\n')],
    ['apiVersion: jwkr/v1\nkind: Playbook\nname: a\nsteps: &a\n  - *a\n'],
    // Nesting thousands of levels deep: a stack overflow.
    [playbook(`  - id: a\n    uses: core.note\n    with: {text: ${'['.repeat(3000)}${']'.repeat(3000)}}\n`)],
    // An alias bomb.
    [
      `${playbook('  - id: a\n    uses: core.note\n    with: {text: hi}\n')}x0: &x0 [a, a, a, a, a, a, a, a, a, a]\nx1: &x1 [*x0, *x0, *x0, *x0, *x0, *x0, *x0, *x0, *x0, *x0]\nx2: [*x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1]\n`,
    ],
    // An indented first line: yaml's syntax error quoted the inline private key that followed.
    [
      ` x: 1\n${playbook(`  - id: a\n    uses: key.inspect\n    with: {key: '{"kty":"oct","k":"SxPlaybookInlineSecret0123456789"}'}\n`)}`,
    ],
    // A `with` key named __proto__.
    [playbook('  - id: a\n    uses: core.note\n    with: {__proto__: {text: polluted}, text: hi}\n')],
  ] satisfies [string][],
  inventoryYaml: [
    // keySource.path at /dev/urandom hung whoever read it (the checker must not read it at all).
    [
      {
        text: 'version: 1\nissuers:\n  - id: a\n    issuer: https://a.example\n    keySource: {type: jwks-file, path: /dev/urandom}\nservices: []\n',
        secret: CREDENTIAL,
      },
    ],
    // Ids named like Object.prototype's, and a credential where the schema complains about the value.
    [
      {
        text: `version: 1\nissuers:\n  - id: __proto__\n    issuer: https://u:${CREDENTIAL}@a.example\n    jwksUri: 42\n    keySource: {type: manual}\nservices:\n  - {id: constructor, team: t, contacts: {slack: "#x"}, trusts: [__proto__], probe: {url: "https://b.example/?token=${CREDENTIAL}", headers: {Authorization: "Bearer ${CREDENTIAL}"}}}\n`,
        secret: CREDENTIAL,
      },
    ],
    [{text: 'version: 1\nissuers: &a\n  - *a\nservices: []\n', secret: CREDENTIAL}],
    // Two lists ~1,000 deep: yaml ran out of stack reading the deepest scalar and said so as a tag error,
    // which came out as "Maximum call stack size exceeded" (found by this fuzz surface).
    [
      {
        text: `version: 1\nx-a: ${'['.repeat(1000)}${']'.repeat(1000)}\nx-b: ${'['.repeat(1000)}${']'.repeat(1000)}\n`,
        secret: CREDENTIAL,
      },
    ],
    // An indented first line: yaml's syntax error quoted the URL with its password (found by this fuzz surface).
    [{text: ` x: 1\nversion: 1\nissuers:\n  - id: a\n    issuer: https://u:${CREDENTIAL}@a.example\n`, secret: CREDENTIAL}],
  ] satisfies [{text: string; secret: string}][],
  expressions: [
    [`${'('.repeat(200)}1${')'.repeat(200)}`, scope],
    ['steps.__proto__.outputs', scope],
    ['inputs.constructor.constructor', scope],
    ["format('{0}{0}{0}{0}', toJSON(inputs))", scope],
    ['${{ inputs.key }} and ${{', scope],
  ] satisfies [string, Record<string, unknown>][],
  tokenLines: [
    // Sixty spaces before the header's brace hid a token signed with the leaked key (48 bytes were looked at).
    [{tokens: [token({form: 'whitespace', whitespace: ' '.repeat(60)})], junk: []}],
    // A \u-escaped kid with another key's signature claims the key; no kid with another key's is another key's token.
    [
      {
        tokens: [
          token({form: 'escaped-kid', leakedSigner: false}),
          token({form: 'no-kid', leakedSigner: false}),
          token({form: 'no-kid'}),
        ],
        junk: ['\0'],
      },
    ],
    // Claims made of terminal escape sequences.
    [
      {
        tokens: [token({claims: {sub: HOSTILE, iss: HOSTILE, jti: '6f1b4a5e-0000-4000-8000-000000000002', blob: 0}})],
        junk: [HOSTILE],
      },
    ],
  ] satisfies [LogCase][],
  // "$`" (fast-check, seed 413606631): the test's own replaceAll read it as a pattern; kept, with "$&".
  templates: [[HOSTILE], ['| a | b |\n| - | - |'], ['\r\n# heading\r\n> quote'], ['$`'], ['$&$1$$']] satisfies [string][],
}
