// The floors of the code base (docs/design.md): imports run strictly downward.
//   core      imports nothing
//   encoding  imports nothing (core types only)
//   driver    core + encoding
//   storage, transport   core + encoding
//   sim       the library
//   server    only the library's public entry points (little-raft, little-raft/disk, /tcp, /sim)
// `npm test` runs `depcruise`: a wrong-way import fails with the rule's name.
const lib = '^packages/little-raft/src/';
module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing',
      comment: 'The Raft core is pure: it imports only other core modules.',
      severity: 'error',
      from: { path: `${lib}core/` },
      to: { pathNot: [`${lib}core/`] },
    },
    {
      name: 'encoding-imports-nothing',
      comment: 'Encoding and validation of untrusted bytes depend on core types only.',
      severity: 'error',
      from: { path: `${lib}encoding/` },
      to: { pathNot: [`${lib}encoding/`, `${lib}core/types\\.ts$`], dependencyTypesNot: ['core'] },
    },
    {
      name: 'driver-imports-core-encoding-storage-memory',
      comment: 'The driver builds on the core and encoding (and defaults to MemoryStorage).',
      severity: 'error',
      from: { path: `${lib}driver/` },
      to: {
        pathNot: [`${lib}driver/`, `${lib}core/`, `${lib}encoding/`, `${lib}storage/memory\\.ts$`],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'storage-imports-core-encoding',
      severity: 'error',
      from: { path: `${lib}storage/` },
      to: { pathNot: [`${lib}storage/`, `${lib}core/`, `${lib}encoding/`], dependencyTypesNot: ['core'] },
    },
    {
      name: 'transport-imports-core-encoding',
      comment: 'The transport is a Cluster: it needs the driver only for the types it implements.',
      severity: 'error',
      from: { path: `${lib}transport/` },
      to: {
        pathNot: [`${lib}transport/`, `${lib}core/`, `${lib}encoding/`, `${lib}driver/replica\\.ts$`],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'library-has-no-dependencies',
      comment: 'The library ships with zero runtime dependencies: only node: built-ins.',
      severity: 'error',
      from: { path: lib },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'library-never-imports-server',
      severity: 'error',
      from: { path: '^packages/little-raft/' },
      to: { path: '^packages/server/' },
    },
    {
      name: 'server-uses-public-entry-points',
      comment: 'The server imports the library only as its users do: little-raft, /disk, /tcp, /sim.',
      severity: 'error',
      from: { path: '^packages/server/src/' },
      to: {
        path: '^packages/little-raft/',
        pathNot: ['^packages/little-raft/dist/(index|sim/index|storage/disk/index|transport/tcp/index)\\.(js|d\\.ts)$'],
      },
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
    tsConfig: { fileName: 'tsconfig.base.json' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types'] },
  },
};
