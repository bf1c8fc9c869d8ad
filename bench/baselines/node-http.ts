/**
 * Baseline 1: the floor of the machine. A bare node:http server answering one constant JSON
 * envelope; no framework, no database. Every scenario's ratio to this says how much of the
 * available HTTP throughput the whole stack keeps.
 */
import http from 'node:http'

const body = JSON.stringify({
  code: 200,
  message: 'OK',
  data: { id: 1, fullname: 'Anggota Bench 1', username: 'bench_m1', email: 'bench_m1@bench.test', user_type: 'member' },
})
const port = Number(process.env.PORT ?? 0)

const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
})
server.listen(port, '127.0.0.1', () => console.log('ready'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
