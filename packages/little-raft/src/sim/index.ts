// little-raft/sim: the deterministic simulator, its linearizability checker, and the viewer of its runs.
export { simulate, Simulation, FAULTS } from './simulator.js';
export type { Fault, SimOptions, SimResult } from './simulator.js';
export { checkLinearizable } from './checkers/linearizability.js';
export type { HistoryEntry, KvOperation, LinearizabilityResult } from './checkers/linearizability.js';
export { KvMachine } from './kv-machine.js';
export { kvWorkload, RecordingMachine } from './workload.js';
export type { SimWorkload } from './workload.js';
export type { KvTransition } from './kv-machine.js';
export { Random } from './random.js';
export { simulationHtml } from './viewer/html.js';
export type { RecordedRun, SimulationHtmlOptions } from './viewer/html.js';
export type { TimelineEvent, TimelineMessage } from './timeline.js';
