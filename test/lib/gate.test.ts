import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createGate } from '../../src/lib/gate.js'

test('a gate lets `limit` in, queues the rest in order, and a release hands its slot to the next', async () => {
  const gate = createGate(2)
  const a = await gate.enter()
  const b = await gate.enter()
  const order: string[] = []
  const enterAs = async (name: string) => {
    const release = await gate.enter()
    order.push(name)
    return release
  }
  const c = enterAs('c')
  const d = enterAs('d')
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(order, [], 'nobody passes a full gate')
  assert.equal(gate.active, 2)
  assert.equal(gate.waiting, 2)
  a()
  a() // a second release of the same slot does nothing
  const releaseC = await c
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(order, ['c'], 'one release lets exactly one waiter in, the first')
  assert.equal(gate.active, 2)
  b()
  const releaseD = await d
  assert.deepEqual(order, ['c', 'd'])
  releaseC()
  releaseD()
  assert.equal(gate.active, 0)
  assert.equal(gate.waiting, 0)
  assert.throws(() => createGate(0))
})
