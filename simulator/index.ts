export { createSimulatorApp, SCENARIO_D_COLD_START, type SimulatorApp, type SimulatorOptions } from './app.ts';
export { startSimulator, type RunningSimulator, type StartOptions } from './server.ts';
export type { CallRecord, FaultKind, FaultSpec, Operation, SimulatorControl, StreamException } from './control.ts';
export type { SignatureStatus } from './auth.ts';
export { defaultWriter, type AnswerContext, type AnswerWriter, type ChatMessage } from './writer.ts';
export { sampleQuality } from './quality.ts';
export { planCall, totalLatencyMs, type CallPlan } from './plan.ts';
export {
  defaultProfiles,
  findProfile,
  intentProfile,
  loadProfiles,
  parseProfiles,
  withColdStarts,
  type ModelProfile,
  type ProfileSet,
} from './profiles.ts';
export { createRng, type Rng } from './rng.ts';
export { goldenWriter, judgeScore } from './golden-writer.ts';
export { parseGoldenPrompt, parseJudgePrompt, type GoldenPrompt, type JudgePrompt } from './golden-prompt.ts';
export { DEFAULT_FIDELITY, fidelityOf, type Fidelity } from './profiles.ts';
