// The hardening list (issue 8) as one suite: every attack in test/attacks/,
// each run against the built CLI. An attack that succeeds fails its test.
import { readdirSync } from 'fs'
import path from 'path'
import { Attack } from '../attacks/attack'
import { removeScratchRoot } from '../helpers/tmp'

const ATTACK_DIR = path.join(__dirname, '..', 'attacks')

function loadAttacks(): Attack[] {
  const attacks: Attack[] = []
  for (const file of readdirSync(ATTACK_DIR).filter((n) => /^item-\d+.*\.ts$/.test(n)).sort()) {
    const module = require(path.join(ATTACK_DIR, file)) as { attacks: Attack[] }
    attacks.push(...module.attacks)
  }
  return attacks.sort((a, b) => a.item - b.item)
}

afterAll(removeScratchRoot)

describe('attacks of a hostile local user', () => {
  for (const attack of loadAttacks()) {
    it(`item ${attack.item}: ${attack.title}`, () => attack.run(), 120_000)
  }
})
