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
