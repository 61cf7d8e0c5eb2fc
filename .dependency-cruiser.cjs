/**
 * The layers of clawmedic, checked on every `npm test` (test/unit/layers.test.ts) and by
 * `npm run lint:layers`. The shape is in docs/architecture.md: the pure ladder in the middle, the
 * domain around it, adapters at the edges, one composition root. Dependencies point inwards only.
 */
/** The ladder and the pure parts of the domain it uses: types, the failure classifier, the vitals readings. */
const PURE = ['^src/recovery/ladder/', '^src/recovery/types(\\.ts$|/)', '^src/recovery/classify/(index|exit|fix)\\.ts$', '^src/recovery/vitals/(readiness|trend)\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'ladder-is-pure',
      comment:
        'The ladder (src/recovery/ladder) is a pure state machine: no node:* module and no npm package, neither in it nor ' +
        'in the pure parts of the domain it may import (next rule). Time comes from the injected clock; I/O is an action ' +
        'returned to the watchdog.',
      severity: 'error',
      from: { path: PURE },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'ladder-imports-only-pure-domain',
      comment: 'The ladder uses the domain types, the pure failure classifier and the pure vitals readings only.',
      severity: 'error',
      from: { path: '^src/recovery/ladder/' },
      to: { path: '^src/', pathNot: PURE },
    },
    {
      name: 'domain-knows-no-edges',
      comment:
        'src/recovery is the domain: it never imports the bot, the commands, the API, the agent, the CLI, the fleet, ' +
        'the store, the notifiers, metrics or the composition root. They import it.',
      severity: 'error',
      from: { path: '^src/recovery/' },
      to: { path: '^src/(bot|commands|api|agent|cli|cli-render|fleet|store|notify|observe|report|compose|deploy|config|main|medic|demo)(/|\\.ts$)' },
    },
    {
      name: 'lib-is-a-kernel',
      comment: 'src/lib is the shared kernel: no domain in it; it imports only itself and errors.ts.',
      severity: 'error',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: ['^src/lib/', '^src/errors\\.ts$'] },
    },
    {
      name: 'bot-knows-no-commands',
      comment: 'The bot draws and relays; src/commands turns interactions into ladder operations and uses the bot\'s drawing. Never the other way.',
      severity: 'error',
      from: { path: '^src/bot/' },
      to: { path: '^src/commands/' },
    },
    {
      name: 'edges-do-not-know-each-other',
      comment: 'Adapters at the edges (store, notifiers, metrics, the fleet, the agent, the API) do not import the Discord side or each other\'s insides.',
      severity: 'error',
      from: { path: '^src/(store|notify|observe|agent|api|report)/' },
      to: { path: '^src/(bot|commands|fleet|cli|compose|main)(/|\\.ts$)' },
    },
    {
      name: 'one-composition-root',
      comment: 'Only the CLI\'s run starts the composition root; only the root uses src/compose.',
      severity: 'error',
      from: { pathNot: ['^src/cli/run\\.ts$', '^src/main\\.ts$', '^src/compose/'] },
      to: { path: '^src/(main\\.ts$|compose/)' },
    },
    {
      name: 'no-cycles-outside-the-ladder',
      comment:
        'No import cycles. The ladder\'s rungs call each other (a repair escalates to the agent, the agent falls back to a ' +
        'repair), which is a cycle between its files by design; everywhere else a cycle is a layering mistake.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/recovery/ladder/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
