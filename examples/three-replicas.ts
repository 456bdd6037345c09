// Placeholder: the real examples/three-replicas.ts is being written separately.
console.log('TODO');
