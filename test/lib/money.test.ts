import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseAmount } from '../../src/lib/money.js'

test('amounts in every notation the app and JSON write are read exactly', () => {
  const cases: [string | number, string][] = [
    ['1500000.0', '1500000.00'],
    ['1.0E7', '10000000.00'],
    ['1.25E7', '12500000.00'],
    ['1.5e+7', '15000000.00'],
    ['1.2345678E7', '12345678.00'],
    ['1.23456789E7', '12345678.90'],
    ['1.005E2', '100.50'],
    ['12500.5', '12500.50'],
    ['1.500', '1.50'],
    ['.5', '0.50'],
    ['5E-2', '0.05'],
    ['1.0E12', '1000000000000.00'],
    [' 250000 ', '250000.00'],
    [1e7, '10000000.00'],
    [12500000.25, '12500000.25'],
    [1e12, '1000000000000.00'],
  ]
  for (const [input, expected] of cases) assert.equal(parseAmount(input), expected, String(input))
})

test('zero, negatives, NaN, Infinity, 3 decimals and amounts over the maximum are refused', () => {
  const refused: (string | number)[] = [
    '0',
    '0.0',
    '0E7',
    '-1.0E7',
    '-5',
    'NaN',
    'Infinity',
    '-Infinity',
    Number.NaN,
    Number.POSITIVE_INFINITY,
    0,
    -100,
    '1.005',
    '1.00501E2',
    '1.2345678901E7',
    '5E-3',
    '1.0E13',
    '1000000000000.01',
    '1.00000000000001E12',
    1e21,
    '1e9999',
    '1e-9999',
    '',
    '.',
    'E7',
    '1.0E',
    '0x10',
    '1,5',
    '1 000',
  ]
  for (const input of refused) assert.equal(parseAmount(input), undefined, String(input))
})
