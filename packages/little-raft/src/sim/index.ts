// little-raft/sim: the deterministic simulator and its linearizability checker.
export { simulate, Simulation, FAULTS } from './simulator.js';
export type { Fault, SimOptions, SimResult } from './simulator.js';
export { checkLinearizable } from './checkers/linearizability.js';
export type { HistoryEntry, KvOperation, LinearizabilityResult } from './checkers/linearizability.js';
export { KvMachine } from './kv-machine.js';
export { kvWorkload, RecordingMachine } from './workload.js';
export type { SimWorkload } from './workload.js';
export type { KvTransition } from './kv-machine.js';
export { Random } from './random.js';
