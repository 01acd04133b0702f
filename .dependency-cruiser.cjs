/** Architecture rules, checked in CI (`pnpm run deps:check`). */
module.exports = {
  forbidden: [
    {
      name: 'services-never-import-each-other',
      comment: 'Services talk only through events on the bus; shared code lives in shared/.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/([^/]+)/', pathNot: '^services/$1/' },
    },
    {
      name: 'shared-never-imports-services',
      comment: 'shared/ is the foundation; it cannot depend on what is built on top of it.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^services/' },
    },
    {
      name: 'shared-never-imports-local-stack',
      comment:
        'The local launcher is built on shared/, not the other way round; test helpers that need it live in tests/support/.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^local-stack/' },
    },
    {
      name: 'agent-container-never-imports-services',
      comment:
        'What runs inside an agent learns about the fleet through events and shared/ contracts, never from a service.',
      severity: 'error',
      from: { path: '^agent-container/' },
      to: { path: '^services/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    preserveSymlinks: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
