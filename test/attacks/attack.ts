// One attack of the hardening list (issue 8): what a hostile local user, or a
// careless one, does to snapdelta, and what must hold afterwards. Each attack
// lives in its own file test/attacks/item-NN-*.ts; test/integration/attacks.test.ts
// runs them all, so the whole list keeps holding.

export interface Attack {
  /** The item number in issue 8's list. */
  item: number
  /** What the attacker does, and what must hold. */
  title: string
  /** Runs the attack; fails (with jest's expect) when snapdelta does the wrong thing. Cleans up after itself. */
  run(): Promise<void>
}
