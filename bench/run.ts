// Placeholder: the real bench/run.ts is being written separately.
console.log('TODO');
