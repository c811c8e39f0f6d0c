// Part of the fast build (scripts/bundle-cli.mjs): stands for a module that @oclif/core requires at
// its top, and requires it only when one of its members is first read. oclif's index loads every part
// of oclif (help rendering, spinners, globbing, Windows shell detection, …) and every package those
// use; most runs of jwkr touch few of them.
'use strict'

/** A stand-in for `load()`'s module: every read, `in`, key listing or write goes to the module, loaded on first use. */
module.exports = function lazyModule(load) {
  let loaded
  const module = () => (loaded ??= {value: load()}).value
  return new Proxy(
    {},
    {
      get: (_, key) => module()[key],
      set: (_, key, value) => {
        module()[key] = value
        return true
      },
      has: (_, key) => key in module(),
      ownKeys: () => Reflect.ownKeys(module()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(module(), key)
        return descriptor === undefined ? undefined : {...descriptor, configurable: true}
      },
    },
  )
}
