/**
 * `@prx-voice/session` — the session engine: a pure reducer over the session
 * state machine, the effects runner that carries out its commands, the
 * streaming turn (VAD → ASR → endpointing → agent → sentence chunks → TTS →
 * real-time output), barge-in with heard-text truncation, tools, and conversation
 * flows (nodes with their own messages, functions, actions and transitions).
 *
 * @example
 * const actor = createSessionActor({ sessionId, tenantId, settings, clock, newId, providers, audio, vad, output, onEvent });
 * actor.start();
 * socket.on('audio', (frame: Int16Array) => actor.pushAudio(frame)); // any inbound transport
 * actor.dispatch({ type: 'text_input', text: 'hello' }); // once the session is Listening
 */
export { createSessionActor } from './actor.js';
export type {
  AppliedSettings,
  EmittedEvent,
  SessionActor,
  SessionActorOptions,
  SessionAudioTap,
  SessionOutput,
  SessionPersistence,
  StepRecord,
} from './actor-types.js';
export { createSentenceChunker } from './chunker.js';
export type { SentenceChunker, SentenceChunkerOptions } from './chunker.js';
export { createDtmfCollector, DTMF_DEFAULTS, dtmfText } from './dtmf.js';
export type {
  DtmfCollector,
  DtmfCollectorOptions,
  DtmfCompletion,
  DtmfSequence,
  DtmfSettings,
  DtmfSource,
} from './dtmf.js';
export { emitterSink } from './event-bridge.js';
export type { HandoffPerformer, HandoffRequest, HandoffTarget, HandoffTrigger } from './handoff.js';
export {
  chooseTransition,
  contextOnEntry,
  conversationSummary,
  FLOW_HISTORY_LIMIT,
  nodeTools,
  SUMMARY_MESSAGES,
} from './flows/flow-engine.js';
export type { FlowHistoryEntry, FlowModel, FlowTransitionReason } from './flows/flow-engine.js';
export {
  CONTEXT_STRATEGIES,
  flowActionSchema,
  flowFunctionSchema,
  flowIssues,
  flowNodeSchema,
  flowSchema,
  flowShapeSchema,
  flowToolIssues,
  parseFlow,
  transitionTargets,
} from './flows/flow-schema.js';
export type {
  ContextStrategy,
  FlowAction,
  FlowDefinition,
  FlowFunction,
  FlowInput,
  FlowIssue,
  FlowNode,
} from './flows/flow-schema.js';
export { heardText, heardTextOf, wordCount } from './heard.js';
export type {
  AudioDropReason,
  CancellingRun,
  HandoffModel,
  InterruptionModel,
  PendingTurn,
  RunModel,
  SegmentModel,
  TurnModel,
  SessionCommand,
  SessionInfo,
  SessionInput,
  SessionModel,
  SessionSettings,
  StepContext,
  StepResult,
  TimerName,
  ToolResultInput,
  TurnLatencyModel,
  TurnStatus,
} from './model.js';
export {
  createBackchannelSet,
  backchannelsFor,
  DEFAULT_BACKCHANNELS,
} from './turn-taking/backchannel.js';
export type { BackchannelSet } from './turn-taking/backchannel.js';
export { judgeCompleteness } from './turn-taking/completeness.js';
export type { Completeness, EndOfTurnModel } from './turn-taking/completeness.js';
export { createOutputPacer } from './pacer.js';
export type {
  OutputPacer,
  OutputPacerOptions,
  PacerAudio,
  PacerFlushResult,
  PacerFrameInfo,
  PacerHeard,
  PacerProgress,
} from './pacer.js';
export { repositoryPersistence } from './persistence.js';
export type { RepositoryPersistenceOptions } from './persistence.js';
export { createSessionStateQueue } from './state-queue.js';
export type { SessionStateQueue } from './state-queue.js';
export { createStereoRecorder } from './recording/stereo-recorder.js';
export type {
  RecordingChunk,
  StereoRecorder,
  StereoRecorderOptions,
  StereoRecordingTotals,
} from './recording/stereo-recorder.js';
export { initialModel, step } from './reducer/step.js';
export { SESSION_DEFAULTS, settingsFromConfig } from './settings.js';
export { SWITCH_CONTEXTS, mergeSettingsUpdates } from './settings-update.js';
export type {
  ApplySettings,
  SwitchContext,
  SettingsUpdate,
  UpdatableKind,
} from './settings-update.js';
export { rewriteConversation, summarise } from './reducer/settings-update.js';
export { createToolRegistry, runToolCalls, toolResultContent } from './tools.js';
export { compileToolSchema } from './tools-schema.js';
export type { CompiledSchema, SchemaIssue, SchemaValidator } from './tools-schema.js';
export type {
  RunToolCallsOptions,
  RunToolCallsWithRegistryOptions,
  ToolCallResult,
  ToolContext,
  ToolHandler,
  ToolRegistration,
  ToolRegistry,
  ToolResultContentInput,
} from './tools.js';
