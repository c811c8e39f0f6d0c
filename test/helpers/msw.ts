// The shared msw server. Handler files per outside service live in test/mocks/ and are added with
// `server.use(...)` in the tests that need them. Requests to loopback servers pass through.
import {http, passthrough} from 'msw'
import {setupServer} from 'msw/node'

const loopback = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//

export const server = setupServer(http.all(loopback, () => passthrough()))
