/** Terbilang: Indonesian words for rupiah amounts, against a table written by hand. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { numberWords, terbilang } from '../../src/lib/terbilang.js'

const TABLE: [string, string][] = [
  ['0', 'nol'],
  ['1', 'satu'],
  ['7', 'tujuh'],
  ['10', 'sepuluh'],
  ['11', 'sebelas'],
  ['12', 'dua belas'],
  ['19', 'sembilan belas'],
  ['20', 'dua puluh'],
  ['21', 'dua puluh satu'],
  ['99', 'sembilan puluh sembilan'],
  ['100', 'seratus'],
  ['101', 'seratus satu'],
  ['110', 'seratus sepuluh'],
  ['111', 'seratus sebelas'],
  ['200', 'dua ratus'],
  ['999', 'sembilan ratus sembilan puluh sembilan'],
  ['1000', 'seribu'],
  ['1001', 'seribu satu'],
  ['1100', 'seribu seratus'],
  ['2000', 'dua ribu'],
  ['10000', 'sepuluh ribu'],
  ['11000', 'sebelas ribu'],
  ['15000', 'lima belas ribu'],
  ['100000', 'seratus ribu'],
  ['101000', 'seratus satu ribu'],
  ['250000', 'dua ratus lima puluh ribu'],
  ['1000000', 'satu juta'],
  ['1001000', 'satu juta seribu'],
  ['1500000', 'satu juta lima ratus ribu'],
  ['12500000', 'dua belas juta lima ratus ribu'],
  ['100000000', 'seratus juta'],
  ['1000000000', 'satu miliar'],
  ['2000000001', 'dua miliar satu'],
  ['11111111111', 'sebelas miliar seratus sebelas juta seratus sebelas ribu seratus sebelas'],
  ['1000000000000', 'satu triliun'],
  ['1000001000000', 'satu triliun satu juta'],
  [
    '999999999999999',
    'sembilan ratus sembilan puluh sembilan triliun sembilan ratus sembilan puluh sembilan miliar sembilan ratus sembilan puluh sembilan juta sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan',
  ],
]

test('numbers: units, belas, puluh, ratus, ribu, juta, miliar, triliun and the se- forms', () => {
  for (const [n, words] of TABLE) assert.equal(numberWords(BigInt(n)), words, n)
})

test('rupiah amounts, with sen when the cents are not zero', () => {
  assert.equal(terbilang('12500000'), 'dua belas juta lima ratus ribu rupiah')
  assert.equal(terbilang('12500000.00'), 'dua belas juta lima ratus ribu rupiah')
  assert.equal(terbilang('1000.5'), 'seribu rupiah lima puluh sen')
  assert.equal(terbilang('1000.05'), 'seribu rupiah lima sen')
  assert.equal(terbilang('0.11'), 'nol rupiah sebelas sen')
  assert.equal(terbilang('1000000000000.00'), 'satu triliun rupiah')
})

test('anything but an exact decimal with at most 2 decimals is refused', () => {
  for (const bad of ['', '-5', '1.234', '1e6', 'abc', '1,5']) assert.throws(() => terbilang(bad), RangeError, bad)
  assert.throws(() => numberWords(10n ** 15n), RangeError)
})
