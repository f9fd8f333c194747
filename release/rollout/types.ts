/**
 * What a rollout takes and gives (its request, its dependencies, its result), and {@link Run}: what the parts of
 * one run (release/rollout/*.ts) see of it. `RolloutRun` (index.ts) is the one implementation.
 */
import type { RolloutState } from "../../contract/release";
import type { Redactor } from "../../contract/redact";
import type { Clock } from "../core/clock";
import type { ConfigEdit, TrafficDriver } from "../driver/driver";
import type { LiveReader } from "../core/live";
import type { ExitCode, ConfigProblem } from "../core/errors";
import type { EventSink, Outcome, UpdatePurpose } from "../core/events";
import type { RolloutAction, MachineEvent } from "../core/machine";
import type { StepTracker } from "../metrics/sequential";
import type { MetricsProvider } from "../metrics/provider";
import type { PolicyOverrides, ReleasePolicy, ServiceContext } from "../core/policy";
import type { PartialEvent, UpdateOutcome } from "../orchestration/updater";

/** Checks a whole stack config after the edits a command is about to write; the CLI wires the stack schema. */
export type ConfigValidator = (config: Record<string, unknown>) => ConfigProblem[];

export interface ReleaseDeps {
    driver: TrafficDriver;
    /** Built from the resolved policy (the Prometheus settings live in the stack config). */
    metrics: (policy: ReleasePolicy, redactor: Redactor) => MetricsProvider;
    emit: EventSink;
    clock?: Clock;
    /** Aborting it (SIGINT/SIGTERM) cancels the running update and rolls back. */
    signal?: AbortSignal;
    /** Validates the config a command would write, before anything is written. */
    validate?: ConfigValidator;
    fetch?: typeof fetch;
    /** Who holds the lock (shown to a second release). */
    holder?: string;
    /** Milliseconds to wait after a signal for an update to stop before asking the backend to cancel it. Default 10000. */
    cancelGraceMs?: number;
    /**
     * Check, before judging each window, that the live split is the step's (release/core/live.ts): the canary's
     * observed share always, the live VirtualService too when `read` can reach the API server. Absent: no check.
     */
    live?: { read?: LiveReader };
    /**
     * Resolves once the mesh serves the split a traffic shift just applied (e.g. istiod reports the new config
     * synced to the proxies and they route by it); rejects, with a message saying what was not in effect, after a
     * timeout of its own. The step's analysis window starts only after it; a rejection fails the step like a
     * failed update. Default: none (the window starts when the update finishes).
     */
    awaitRouting?: (step: RoutingStep) => Promise<void>;
    /** How often a release waiting at an approval gate reads the gate record, ms. Default 5000. */
    gatePollMs?: number;
}

/** The split a traffic shift applied, for {@link ReleaseDeps.awaitRouting}. */
export interface RoutingStep {
    service: string;
    namespace: string;
    stepIndex: number;
    /** Canary percent of the catch-all. */
    weight: number;
}

export interface CanaryRequest {
    service: string;
    version: string;
    overrides?: PolicyOverrides;
}

/** A rollout command: `canary` (start or resume), `promote`, `rollback` or `abort`. */
export interface RolloutRequest {
    action: RolloutAction;
    service: string;
    /** Required for `canary`; `promote`, `rollback` and `abort` default to the recorded or configured canary version. */
    version?: string;
    /** `promote --force`: promote without a passed analysis (recorded in the state message). */
    force?: boolean;
    overrides?: PolicyOverrides;
}

export interface RolloutResult {
    outcome: Outcome;
    exitCode: ExitCode;
    message: string;
    hint?: string;
    state: RolloutState | null;
}

/**
 * One run of a rollout command as its parts see it (start.ts, analyze.ts, liveSplit.ts, gatedStep.ts, endings.ts,
 * hooks.ts): the request and dependencies, what the run has read and decided so far, and the loop's own steps
 * (record a machine event, run an update, finish). Implemented by `RolloutRun` (index.ts) only.
 */
export interface Run {
    readonly req: RolloutRequest;
    readonly deps: ReleaseDeps;
    readonly clock: Clock;
    readonly redactor: Redactor;
    state: RolloutState | null;
    policy: ReleasePolicy;
    ctx: ServiceContext;
    metrics: MetricsProvider;
    config: Record<string, unknown>;
    /** The version this run is about (from the request, or the recorded/configured canary). */
    version: string;
    /** Sequential mode: what the current step has seen (its baseline and counters), kept across re-analyses. */
    tracker: StepTracker | undefined;
    /** The hint the run ends with when the recorded state it read was inconsistent (machine.ts stateInconsistency). */
    repairHint: string | undefined;
    /** Key of the config digests an approval binds (release/core/gate.ts configDigest); never leaves this process. */
    readonly digestKey: string;
    now(): string;
    emit(event: PartialEvent): void;
    requireState(): RolloutState;
    /** Feeds an event to the machine and records the resulting state (config only). */
    apply(event: MachineEvent, write?: boolean): Promise<RolloutState>;
    /** Refuses (configError) edits whose resulting config the validator rejects. */
    validate(edits: readonly ConfigEdit[]): void;
    /** The stable version the promotion replaces (see index.ts). */
    previousStable(promoted: string): string | undefined;
    /** How long this run may go without an update, ms. */
    holdMs(): number;
    /** Writes the edits and runs one update with retries (updater.ts). */
    update(purpose: UpdatePurpose, weight: number, edits: readonly ConfigEdit[], message: string, cancellable?: boolean, plan?: string): Promise<UpdateOutcome>;
    finish(outcome: Outcome, message: string, hint?: string, notify?: boolean): Promise<RolloutResult>;
}
