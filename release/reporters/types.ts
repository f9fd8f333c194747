/**
 * What the reporters consume: the rollout's {@link ReleaseEvent}s plus the two lines the one-shot commands
 * (`ab-test`, `fault`, `status`) end with. `--json` prints exactly these objects, one per line.
 */
import type { RolloutState } from "../../contract/release";
import type { MetricResult, ReleaseEvent, Verdict } from "../core/events";

/** The one-shot commands (no rollout loop): one config change + one update, or a read. */
export type OneShotCommand = "ab-test" | "fault" | "fault-clear" | "status" | "approve" | "reject";

/** What `status` reports about one service. */
export interface ServiceStatus {
    namespace: string;
    stableVersion: string;
    /** null: the stack has no canary version. */
    canaryVersion: string | null;
    /** `services.<svc>.canary.weight` as configured (the last update applied it unless `state.stepApplied` is false). */
    weight: number;
    routed: boolean;
    /** `services.<svc>.abTest`, when set. */
    abTest: { header?: string; cookie?: string; value?: string } | null;
    /** `services.<svc>.faults`, when set. */
    faults: Record<string, unknown> | null;
    /** The recorded rollout (`rollouts.<svc>`), null when none was ever recorded. */
    state: RolloutState | null;
    /** What is inconsistent in the recorded state (release/core/machine.ts stateInconsistency) and the fix; absent when nothing is. */
    stateProblem?: { problem: string; fix: string };
    /**
     * One analysis over the last interval at the current weight (the metrics a rollout would judge now);
     * null when it was not measured (no canary version, or `--no-metrics`).
     */
    analysis: { windowMs: number; verdict: Verdict; reason: string; metrics: MetricResult[] } | null;
    /**
     * The live VirtualService's (or Gateway API route's) catch-all split (what the API server holds, hand edits included); absent when
     * it was not read, `error` when it could not be.
     */
    live?: { object: string; canary: number } | { error: string };
}

interface LineBase {
    at: string;
    stack: string;
    service: string;
}

export type CommandEvent =
    | (LineBase & {
          type: "command-finished";
          command: OneShotCommand;
          ok: boolean;
          exitCode: number;
          message: string;
          hint?: string;
      })
    | (LineBase & { type: "status"; status: ServiceStatus });

/** Every line a reporter may receive. */
export type CliEvent = ReleaseEvent | CommandEvent;

export type CliSink = (event: CliEvent) => void;

/** Where a reporter's text goes (process.stdout.write in the CLI, an array in tests). */
export type Write = (text: string) => void;
