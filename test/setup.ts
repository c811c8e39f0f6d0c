// One msw server for the whole suite: any request that no handler answers is an error, so no test
// can reach the network by accident. Tests add handlers with `server.use(...)`.
import {afterAll, afterEach, beforeAll} from 'vitest'

import {server} from './helpers/msw.js'

beforeAll(() => server.listen({onUnhandledRequest: 'error'}))
afterEach(() => server.resetHandlers())
afterAll(() => server.close())
