// The layers of src/ as a rule (ARCHITECTURE.md, Layers): `npm run lint` runs `depcruise src` with this
// file and fails on any import that points up or sideways. dependency-cruiser (not an eslint plugin)
// because it resolves every import to a file, counts type-only imports, and draws the folder graph
// that CONTRIBUTING.md shows (`npm run layers:graph`), so the rule and the picture are one source.
//
// `layers` says, for each folder of src/, which other folders it may import. Everything else is
// forbidden, except the edges listed in `exceptions` (one line each with the reason; none since issue
// 17). A new break fails the lint.

/** Folder of src/ → the folders it may import (besides itself and npm packages). */
const layers = {
  core: [], // pure logic: jose, node:crypto, ajv, yaml; takes ports as arguments
  guard: ['core'], // the published relying-party guard: stands alone; reads the denylist (file, Redis)
  adapters: ['core', 'guard'], // I/O only: HTTP, files, Slack, GitHub, IdPs, Redis; writes the denylist the guard reads
  incident: ['core', 'adapters'], // the workspace and the hash-chained journal
  services: ['core', 'guard', 'adapters', 'incident'], // one module per capability, called by commands and steps
  playbook: ['core', 'adapters', 'incident', 'services'], // engine, registry, steps
  drill: ['core', 'adapters', 'incident', 'services', 'playbook', 'guard'], // the loopback world
  cli: ['core', 'incident', 'services', 'playbook', 'drill'], // rendering, base command, flags
  commands: ['core', 'incident', 'services', 'playbook', 'drill', 'cli'], // thin oclif commands
}

/** Node built-ins and SDKs that mean I/O, a terminal or a network: never in core. */
const ioModules = [
  '^(fs|fs/promises|http|https|http2|net|tls|dgram|dns|child_process|worker_threads|readline|tty|os)$',
  '^node_modules/(ioredis|@slack|@octokit|@oclif|@inquirer|ora|picocolors|cli-table3|express|handlebars|proper-lockfile|get-jwks|jwks-rsa)/',
]

/** [from file, to file, why]: known breaks of the rule. Empty: add one only with its reason and its issue. */
const exceptions = []

const exact = (path) => `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`

/** One rule per layer, the excepted files left out of it, and one narrower rule per excepted file. */
function rulesFor(name, from, to, comment) {
  const excepted = [
    ...new Set(
      exceptions.filter(([file, target]) => from.test(file) && to.some((t) => new RegExp(t).test(target))).map(([file]) => file),
    ),
  ]
  const rules = [{name, comment, severity: 'error', from: {path: from.source, pathNot: excepted.map(exact)}, to: {path: to}}]
  for (const file of excepted) {
    const allowed = exceptions.filter(([f]) => f === file).map(([, target]) => exact(target))
    rules.push({
      name,
      comment: `${comment} (known breaks of ${file} excepted)`,
      severity: 'error',
      from: {path: exact(file)},
      to: {path: to, pathNot: allowed},
    })
  }
  return rules
}

const folders = Object.keys(layers)
const layerRules = folders.flatMap((layer) => {
  const forbidden = folders.filter((other) => other !== layer && !layers[layer].includes(other))
  return rulesFor(
    `layer-${layer}`,
    new RegExp(`^src/${layer}/`),
    [`^src/(${forbidden.join('|')})/`, '^src/index\\.ts$'],
    `src/${layer} may import only ${layers[layer].join(', ') || 'itself'} (ARCHITECTURE.md, Layers)`,
  )
})

module.exports = {
  forbidden: [
    ...layerRules,
    ...rulesFor(
      'core-no-io',
      /^src\/core\//,
      ioModules,
      'core does no I/O and knows no terminal, SDK or network (ARCHITECTURE.md, Layers)',
    ),
    {
      name: 'steps-call-services',
      comment:
        'a playbook step calls services (src/services), never an adapter directly: the work stays shared with the commands (ARCHITECTURE.md, Layers)',
      severity: 'error',
      from: {path: '^src/playbook/steps/'},
      to: {path: '^src/adapters/'},
    },
    {
      name: 'no-unknown-layer',
      comment:
        'every file of src/ sits in a layer listed in .dependency-cruiser.cjs (add the folder there and to ARCHITECTURE.md)',
      severity: 'error',
      from: {path: '^src/', pathNot: [`^src/(${folders.join('|')})/`, '^src/index\\.ts$']},
      to: {},
    },
    {
      name: 'package-entry',
      comment: 'src/index.ts (the package export) publishes the guard, key loading and journal verification only',
      severity: 'error',
      from: {path: '^src/index\\.ts$'},
      to: {path: '^src/(adapters|services|playbook|drill|cli|commands)/'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types']},
    reporterOptions: {text: {highlightFocused: true}},
  },
}
