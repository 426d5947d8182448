'use strict'
// Starts a throwaway Bluesky PDS (@atproto/pds) and the PLC directory it registers DIDs
// with (@did-plc/server on its in-memory database), both on 127.0.0.1, for Go tests
// (internal/pdstest). Configuration comes from the environment set by the Go harness:
//
//   PDSTEST_DATA_DIR  a fresh directory for the PDS's SQLite files and blobs (required)
//   PDSTEST_LOG       "1" to let the PDS log to stderr
//
// When both servers listen it prints one JSON line on stdout:
//   {"url":"http://127.0.0.1:<port>","plc":"http://127.0.0.1:<port>",
//    "admin_password":"…","jwt_secret":"…"}
// (the secrets let tests forge an expired token or call admin methods).
// It stops on SIGTERM/SIGINT or when stdin closes (the Go test process went away).

const crypto = require('node:crypto')
const net = require('node:net')
const path = require('node:path')
const fs = require('node:fs')

const LOOPBACK = '127.0.0.1'

// bindLoopback makes an express app's listen(port) bind 127.0.0.1 only; both servers'
// start() call app.listen with a port alone, which would bind every interface.
function bindLoopback(app) {
  const listen = app.listen.bind(app)
  app.listen = (port, ...rest) => listen(port, LOOPBACK, ...rest)
}

// freePort asks the kernel for a port that is free right now. The PDS needs its port
// before it starts: its public URL, written into every DID document, contains it.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, LOOPBACK, () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

async function main() {
  const dataDir = process.env.PDSTEST_DATA_DIR
  if (!dataDir) throw new Error('PDSTEST_DATA_DIR is required')
  fs.mkdirSync(path.join(dataDir, 'blobs', 'tmp'), { recursive: true })
  process.env.LOG_ENABLED = process.env.PDSTEST_LOG === '1' ? 'true' : 'false'
  process.env.LOG_DESTINATION = process.env.LOG_DESTINATION || '/dev/stderr'

  // Loaded after LOG_ENABLED is set: the loggers read it when the modules load.
  const plc = require('@did-plc/server')
  const pds = require('@atproto/pds')

  const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
  bindLoopback(plcServer.app)
  const plcListener = await plcServer.start()
  const plcURL = `http://${LOOPBACK}:${plcListener.address().port}`

  const port = await freePort()
  const adminPassword = crypto.randomBytes(16).toString('hex')
  const jwtSecret = crypto.randomBytes(32).toString('hex')
  const env = {
    port,
    hostname: 'localhost', // handles end in .test; public URL http://localhost:<port>
    devMode: true,
    version: '0.0.0-pdstest',
    dataDirectory: dataDir,
    blobstoreDiskLocation: path.join(dataDir, 'blobs'),
    blobstoreDiskTmpLocation: path.join(dataDir, 'blobs', 'tmp'),
    didPlcUrl: plcURL,
    inviteRequired: false,
    rateLimitsEnabled: false,
    crawlers: [],
    // secrets: fresh per run. A K-256 private key is 32 random bytes (a value ≥ the group
    // order has probability ~2^-128).
    jwtSecret,
    adminPassword,
    plcRotationKeyK256PrivateKeyHex: crypto.randomBytes(32).toString('hex'),
  }
  const cfg = pds.envToCfg(env)
  const secrets = pds.envToSecrets(env)
  const server = await pds.PDS.create(cfg, secrets)
  bindLoopback(server.app)
  await server.start()

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    try {
      await server.destroy()
      await plcServer.destroy()
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdin.on('end', stop)
  process.stdin.on('close', stop)
  process.stdin.resume()

  process.stdout.write(
    JSON.stringify({
      url: `http://${LOOPBACK}:${port}`,
      plc: plcURL,
      admin_password: adminPassword,
      jwt_secret: jwtSecret,
    }) + '\n',
  )
}

main().catch((err) => {
  process.stderr.write(`pdstest: ${err && err.stack ? err.stack : err}\n`)
  process.exit(1)
})
