/**
 * The typed event stream of a rollout, and the JSON shape of the rollout report file.
 *
 * The orchestrator (rollout.ts) emits {@link ReleaseEvent}s; reporters render them: the terminal view,
 * the `--json` line stream (one event per line, exactly these objects) and the {@link RolloutReport}
 * collector. The report renderer (release/report/*.ts) reads only {@link RolloutReport}.
 *
 * Every time is an RFC 3339 string (`at`). Percentages are 0..100, latencies milliseconds.
 * No event ever carries a secret (credentials of Prometheus or of webhooks).
 */
import type { RolloutState } from "../../contract/release";

export type Verdict = "Successful" | "Failed" | "Error" | "Inconclusive";

/** How a rollout ended. */
export type Outcome = "promoted" | "rolled-back" | "aborted" | "failed";

/** One metric of one analysis, measured and judged. */
export interface MetricResult {
    /** `request-success-rate`, `latency-p95`, `request-count`, `stable-error-rate-delta` or a custom metric's name. */
    name: string;
    /** Which workload the value is about. */
    target: "canary" | "stable" | "comparison";
    /** The measured value; null when Prometheus returned nothing or failed. */
    value: number | null;
    /** Unit of `value` and of the bounds. */
    unit: "percent" | "ms" | "requests" | "percentage-points" | "number";
    /** Pass bounds: value must be >= min and <= max. Absent bound = unbounded. */
    min?: number;
    max?: number;
    verdict: Verdict;
    /** Why the verdict (e.g. "98.2 >= 95", "no data", the error text). */
    reason: string;
}

/**
 * One test of the sequential analysis at one look (release/sequential/judge.ts), as people and charts
 * read it. Evidence is an e-value in log10 (0 = none; 2 = 100 times likelier if the canary is bad); the
 * step stops when it reaches `bound`. Infinite values are clamped to ±99 (JSON has no Infinity).
 */
export interface SequentialTestView {
    /** `errors-vs-threshold`, `latency-vs-threshold`, `errors-vs-stable` or `latency-vs-stable`. */
    name: string;
    events: number;
    trials: number;
    /** The null's boundary, 0..1: the threshold rate, or the canary's traffic share. */
    p0: number;
    /** log10 of the evidence that the canary is worse than `p0`. */
    evidence: number;
    /** log10(1 / alpha_i). */
    bound: number;
    crossed: boolean;
    /** log10 of the evidence that the canary is within `p0` (absolute tests, at the end of the window). */
    passEvidence?: number;
    /** log10(1 / alpha). */
    passBound?: number;
    /** One sentence. */
    text: string;
}

/** What a look decided: keep watching, stop (certain failure), pass, or Inconclusive at the window's end. */
export type LookDecision = "continue" | "fail" | "pass" | "inconclusive" | "error";

/** Counters of the rollout (all rollout-long except `errorChecks`, which counts consecutive errors). */
export interface Counters {
    failedChecks: number;
    inconclusiveChecks: number;
    errorChecks: number;
}

interface EventBase {
    /** RFC 3339 time of the event. */
    at: string;
    stack: string;
    service: string;
}

export type UpdatePurpose = "shift" | "promote-route" | "promote-finalize" | "rollback" | "ab-test" | "fault" | "reapply";

export type ReleaseEvent =
    | (EventBase & {
          type: "rollout-started";
          version: string;
          steps: number[];
          /** Analysis window and wait between steps, ms. */
          intervalMs: number;
          /** True when an interrupted rollout was picked up from `rollouts.<svc>`. */
          resumed: boolean;
          state: RolloutState;
      })
    | (EventBase & { type: "update-started"; purpose: UpdatePurpose; weight: number; attempt: number })
    | (EventBase & {
          type: "update-finished";
          purpose: UpdatePurpose;
          weight: number;
          attempt: number;
          ok: boolean;
          durationMs: number;
          /** Why it failed (redacted, first lines of Pulumi's output). */
          error?: string;
          /** Milliseconds until the next attempt, when one follows. */
          retryInMs?: number;
      })
    | (EventBase & { type: "step-applied"; stepIndex: number; weight: number })
    | (EventBase & {
          type: "analysis-waiting";
          stepIndex: number;
          weight: number;
          /** When the measurement will be taken. */
          until: string;
          windowMs: number;
      })
    | (EventBase & {
          /** Sequential mode: one look at the step's counts, after a Prometheus scrape. */
          type: "analysis-look";
          stepIndex: number;
          weight: number;
          /** Since the step's baseline, ms. */
          elapsedMs: number;
          windowMs: number;
          canaryRequests: number;
          tests: SequentialTestView[];
          decision: LookDecision;
          /** Why, in words. */
          reason: string;
      })
    | (EventBase & {
          type: "analysis";
          stepIndex: number;
          weight: number;
          verdict: Verdict;
          metrics: MetricResult[];
          counters: Counters;
          /** Policy limits the counters are compared with (a counter above its limit rolls back). */
          limits: Counters;
      })
    | (EventBase & {
          type: "webhook";
          hook: string;
          hookType: "pre-rollout" | "pre-step" | "confirm-promotion" | "post-rollout" | "rollback";
          ok: boolean;
          attempts: number;
          /** HTTP status of the last attempt, when there was a response. */
          status?: number;
          error?: string;
      })
    | (EventBase & {
          /** The release pauses at an approval gate (release/core/gate.ts) until the plan below is approved or rejected. */
          type: "gate-waiting";
          stepIndex: number;
          weight: number;
          approval: "manual" | "ci";
          /** `sha256:<hex>` of the saved update plan: what an approval approves. */
          plan: string;
          program: string;
          /** The preview's change counts. */
          summary: string;
          /** One line per changed resource. */
          changes: string[];
          expiresAt: string;
          onTimeout: "rollback" | "wait";
          /** The command that approves it (from any machine sharing the backend). */
          approve: string;
      })
    | (EventBase & {
          type: "gate-decided";
          stepIndex: number;
          weight: number;
          /** `still-waiting`: the timeout passed with `onTimeout: wait`. */
          decision: "approved" | "rejected" | "timed-out" | "still-waiting";
          by?: string;
          kind?: "manual" | "ci";
          plan: string;
          reason?: string;
      })
    | (EventBase & { type: "state"; state: RolloutState })
    | (EventBase & { type: "rollback-started"; reason: string; aborted: boolean })
    | (EventBase & { type: "promotion-started" })
    | (EventBase & { type: "warning"; message: string })
    | (EventBase & {
          /**
           * Before a rollback or promotion update: the live VirtualService holds a split no update of this rollout
           * applied (a hand edit, release/core/live.ts), and the update is about to replace it. Never a refusal.
           */
          type: "hand-edit";
          /** `VirtualService shop/sample-app`. */
          object: string;
          /** The canary's live share, percent. */
          live: number;
          /** What the last updates may have applied, percent. */
          applied: number[];
          /** The share of the version under release after the update, percent (0 rollback, 100 promotion). */
          writes: number;
          /** False when the update keeps the live split (a manual kill switch overwritten by a rollback). */
          changesTraffic: boolean;
          message: string;
      })
    | (EventBase & {
          type: "rollout-finished";
          version: string;
          outcome: Outcome;
          exitCode: number;
          message: string;
          /** Final state as recorded in the stack config. */
          state: RolloutState | null;
      });

export type ReleaseEventType = ReleaseEvent["type"];

/** Consumer of events; reporters implement it. Must not throw. */
export type EventSink = (event: ReleaseEvent) => void;

/** One analysis in the report's time series. */
export interface ReportSample {
    at: string;
    stepIndex: number;
    /** Canary weight in effect during the window, percent. */
    weight: number;
    verdict: Verdict;
    canary: {
        /** Percent of non-5xx requests; null = no data. */
        successRate: number | null;
        /** p95 latency, ms; null = no data. */
        latencyP95Ms: number | null;
        /** Requests in the window. */
        requests: number | null;
    };
    stable: { successRate: number | null; latencyP95Ms: number | null; requests: number | null };
    /** Every metric of this analysis, as judged. */
    metrics: MetricResult[];
}

/**
 * The rollout report file (`--report <file>`), input of the HTML/SVG renderer. Version 1.
 * `weights` is a step function: the weight holds from `at` until the next point.
 */
export interface RolloutReport {
    schemaVersion: 1;
    stack: string;
    service: string;
    version: string;
    steps: number[];
    intervalMs: number;
    thresholds: { successRate: number; latencyP95Ms: number; minRequests: number };
    startedAt: string;
    finishedAt: string | null;
    outcome: Outcome | null;
    exitCode: number | null;
    message: string | null;
    /** Every applied canary weight over time (0 after a rollback or promotion). */
    weights: { at: string; weight: number }[];
    samples: ReportSample[];
    /** Decisions and incidents for chart annotations. */
    marks: { at: string; kind: "step" | "rollback" | "promotion" | "webhook-failed" | "update-failed" | "warning" | "gate"; label: string }[];
    /** Sum of canary requests over every analysis window (an estimate of what the canary served). */
    canaryRequestsInWindows: number;
    /** Hand edits of the live split a rollback or promotion overwrote (release/core/live.ts). Absent when none. */
    handEdits?: { at: string; object: string; live: number; writes: number; changesTraffic: boolean; message: string }[];
    /** Sequential mode: every look, with each test's evidence against its bound. Absent in fixed mode. */
    looks?: ReportLook[];
}

/** One look of the sequential analysis in the report. */
export interface ReportLook {
    at: string;
    stepIndex: number;
    weight: number;
    elapsedMs: number;
    decision: LookDecision;
    reason: string;
    tests: SequentialTestView[];
}
