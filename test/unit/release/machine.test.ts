/**
 * Table tests of the pure rollout state machine (release/core/machine.ts): decide, transition, planStart,
 * currentWeight. The safety rules (never promote without a successful analysis of the last step, never
 * skip analysis after a resume) are pinned here.
 */
import { expect } from "chai";
import type { RolloutState } from "../../../contract/release";
import {
    InvalidTransitionError,
    currentWeight,
    decide,
    initialState,
    planStart,
    transition,
    type Action,
    type MachineEvent,
    type MachinePolicy,
} from "../../../release/core/machine";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-01T00:01:00.000Z";
const policy: MachinePolicy = { steps: [10, 50, 100], failureLimit: 0, inconclusiveLimit: 1, errorLimit: 1 };

function st(patch: Partial<RolloutState>): RolloutState {
    return { ...initialState("v2", policy.steps, T0), ...patch };
}

describe("release/core/machine", () => {
    describe("decide", () => {
        const table: [string, Partial<RolloutState>, Action][] = [
            ["new rollout shifts to step 1", {}, { type: "shift", stepIndex: 0, weight: 10 }],
            ["written but not applied: apply again", { stepIndex: 1, stepApplied: false }, { type: "shift", stepIndex: 1, weight: 50 }],
            ["applied, not analyzed: analyze (never skipped)", { stepIndex: 1, stepApplied: true }, { type: "analyze", stepIndex: 1, weight: 50 }],
            ["analyzed: next step", { stepIndex: 1, stepApplied: true, stepAnalyzed: true }, { type: "shift", stepIndex: 2, weight: 100 }],
            ["last step analyzed: ask to promote", { stepIndex: 2, stepApplied: true, stepAnalyzed: true }, { type: "confirm-promotion" }],
            ["last step applied, not analyzed: analyze, never promote", { stepIndex: 2, stepApplied: true }, { type: "analyze", stepIndex: 2, weight: 100 }],
            ["recorded index beyond steps: roll back", { stepIndex: 7, stepApplied: true, stepAnalyzed: true }, { type: "rollback", reason: "the recorded rollout state is inconsistent: the recorded step index 7 (step 8) lies past its recorded steps [10, 50, 100], which have 3 steps" }],
            ["promoting stage 0", { phase: "Promoting" }, { type: "promote", stage: 0 }],
            ["promoting stage 1", { phase: "Promoting", promotionStage: 1 }, { type: "promote", stage: 1 }],
            ["rolling back", { phase: "RollingBack", message: "why" }, { type: "rollback", reason: "why" }],
            ["promoted", { phase: "Promoted" }, { type: "done", outcome: "promoted" }],
            ["rolled back", { phase: "RolledBack" }, { type: "done", outcome: "rolled-back" }],
            ["aborted", { phase: "Aborted" }, { type: "done", outcome: "aborted" }],
        ];
        for (const [name, patch, want] of table) {
            it(name, () => expect(decide(st(patch), policy)).to.deep.equal(want));
        }

        it("uses the state's own recorded steps over the policy's (a resume keeps its weights)", () => {
            const s = st({ steps: [20, 40], stepIndex: 0, stepApplied: true, stepAnalyzed: true });
            expect(decide(s, policy)).to.deep.equal({ type: "shift", stepIndex: 1, weight: 40 });
        });
    });

    describe("currentWeight", () => {
        const table: [Partial<RolloutState>, number][] = [
            [{}, 0],
            [{ stepIndex: 0 }, 10],
            [{ stepIndex: 2 }, 100],
            [{ phase: "Promoting", stepIndex: 2 }, 0],
            [{ phase: "RollingBack", stepIndex: 1 }, 0],
            [{ phase: "RolledBack", stepIndex: 1 }, 0],
        ];
        for (const [patch, want] of table) {
            it(`${JSON.stringify(patch)} -> ${want}`, () => expect(currentWeight(st(patch), policy)).to.equal(want));
        }
    });

    describe("transition", () => {
        const applied = st({ stepIndex: 0, stepApplied: true });
        type Row = [string, RolloutState, MachineEvent, Partial<RolloutState>];
        const table: Row[] = [
            ["shift-started resets applied/analyzed", st({ stepIndex: 0, stepApplied: true, stepAnalyzed: true }), { type: "shift-started", stepIndex: 1 }, { stepIndex: 1, stepApplied: false, stepAnalyzed: false, message: "shifting to step 2/3: canary weight 50%" }],
            ["re-applying the same step says so", st({ stepIndex: 1 }), { type: "shift-started", stepIndex: 1 }, { message: "re-applying step 2/3: canary weight 50%" }],
            ["shifted marks the step applied", st({ stepIndex: 0 }), { type: "shifted" }, { stepApplied: true }],
            ["Successful analyzes the step and resets errors", st({ stepIndex: 0, stepApplied: true, errorChecks: 1 }), { type: "verdict", verdict: "Successful", reason: "ok" }, { stepAnalyzed: true, errorChecks: 0, phase: "Progressing" }],
            ["Failed over the limit (0) rolls back at once", applied, { type: "verdict", verdict: "Failed", reason: "success 80 < 95" }, { phase: "RollingBack", failedChecks: 1, stepAnalyzed: false }],
            ["Inconclusive within the limit stays, not analyzed", applied, { type: "verdict", verdict: "Inconclusive", reason: "no data" }, { phase: "Progressing", inconclusiveChecks: 1, stepAnalyzed: false }],
            ["Inconclusive over the limit rolls back", st({ stepIndex: 0, stepApplied: true, inconclusiveChecks: 1 }), { type: "verdict", verdict: "Inconclusive", reason: "no data" }, { phase: "RollingBack", inconclusiveChecks: 2 }],
            ["Error within the limit stays", applied, { type: "verdict", verdict: "Error", reason: "down" }, { phase: "Progressing", errorChecks: 1, stepAnalyzed: false }],
            ["consecutive Errors over the limit roll back", st({ stepIndex: 0, stepApplied: true, errorChecks: 1 }), { type: "verdict", verdict: "Error", reason: "down" }, { phase: "RollingBack", errorChecks: 2 }],
            ["a non-Error verdict resets the consecutive errors", st({ stepIndex: 0, stepApplied: true, errorChecks: 1 }), { type: "verdict", verdict: "Inconclusive", reason: "x" }, { errorChecks: 0 }],
            ["update-failed rolls back", applied, { type: "update-failed", message: "boom" }, { phase: "RollingBack", message: "update failed: boom" }],
            ["refused gate rolls back", applied, { type: "gate", hookType: "pre-step", ok: false, reason: "no" }, { phase: "RollingBack", message: "pre-step webhook refused: no" }],
            ["passed pre-step gate changes nothing", applied, { type: "gate", hookType: "pre-step", ok: true, reason: "" }, {}],
            ["confirmed promotion after the last step", st({ stepIndex: 2, stepApplied: true, stepAnalyzed: true }), { type: "gate", hookType: "confirm-promotion", ok: true, reason: "" }, { phase: "Promoting", promotionStage: 0 }],
            ["promoted stage 0 -> stage 1", st({ phase: "Promoting" }), { type: "promoted", stage: 0 }, { phase: "Promoting", promotionStage: 1 }],
            ["promoted stage 1 -> Promoted", st({ phase: "Promoting", promotionStage: 1 }), { type: "promoted", stage: 1 }, { phase: "Promoted", message: "v2 promoted" }],
            ["rolled-back -> RolledBack", st({ phase: "RollingBack", stepIndex: 1, stepApplied: true }), { type: "rolled-back" }, { phase: "RolledBack", stepApplied: false }],
            ["rolled-back after abort -> Aborted", st({ phase: "RollingBack", aborted: true }), { type: "rolled-back" }, { phase: "Aborted" }],
            ["abort while progressing -> RollingBack, aborted", applied, { type: "abort", reason: "SIGINT" }, { phase: "RollingBack", aborted: true, message: "aborted: SIGINT" }],
            ["abort while rolling back marks it aborted", st({ phase: "RollingBack" }), { type: "abort", reason: "x" }, { phase: "RollingBack", aborted: true }],
            ["abort while promoting does not undo promotion", st({ phase: "Promoting" }), { type: "abort", reason: "x" }, { phase: "Promoting", aborted: false }],
        ];
        for (const [name, from, event, want] of table) {
            it(name, () => {
                const before = structuredClone(from);
                const next = transition(from, event, policy, T1);
                expect(next).to.deep.include(want);
                expect(from, "never mutates its input").to.deep.equal(before);
            });
        }

        const invalid: [string, RolloutState, MachineEvent][] = [
            ["verdict before the step is applied", st({ stepIndex: 0 }), { type: "verdict", verdict: "Successful", reason: "" }],
            ["a second verdict on an analyzed step", st({ stepIndex: 0, stepApplied: true, stepAnalyzed: true }), { type: "verdict", verdict: "Successful", reason: "" }],
            ["confirm-promotion before the last step is analyzed", st({ stepIndex: 2, stepApplied: true }), { type: "gate", hookType: "confirm-promotion", ok: true, reason: "" }],
            ["confirm-promotion on an earlier step", st({ stepIndex: 1, stepApplied: true, stepAnalyzed: true }), { type: "gate", hookType: "confirm-promotion", ok: true, reason: "" }],
            ["shift beyond the steps", st({}), { type: "shift-started", stepIndex: 3 }],
            ["promoted stage out of order", st({ phase: "Promoting" }), { type: "promoted", stage: 1 }],
            ["rolled-back while progressing", st({}), { type: "rolled-back" }],
            ["shifted before any shift", st({}), { type: "shifted" }],
        ];
        for (const [name, from, event] of invalid) {
            it(`refuses ${name}`, () => {
                expect(() => transition(from, event, policy, T1)).to.throw(InvalidTransitionError, `event ${event.type} is not valid in phase ${from.phase}`);
            });
        }

        it("the only way to Promoting is a Successful analysis of the last step (exhaustive walk)", () => {
            // Every verdict sequence of length <= 6 from a fresh rollout: Promoting is reached only when
            // the last recorded verdict before it was Successful on the last step.
            const verdicts = ["Successful", "Failed", "Error", "Inconclusive"] as const;
            const lenient: MachinePolicy = { ...policy, failureLimit: 1, inconclusiveLimit: 2, errorLimit: 2 };
            let promoted = 0;
            const walk = (s: RolloutState, depth: number, lastVerdictOnLast: string | undefined): void => {
                const a = decide(s, lenient);
                switch (a.type) {
                    case "shift":
                        walk(transition(transition(s, { type: "shift-started", stepIndex: a.stepIndex }, lenient, T1), { type: "shifted" }, lenient, T1), depth, undefined);
                        return;
                    case "analyze":
                        if (depth === 0) {
                            return;
                        }
                        for (const v of verdicts) {
                            walk(transition(s, { type: "verdict", verdict: v, reason: "" }, lenient, T1), depth - 1, a.stepIndex === 2 ? v : undefined);
                        }
                        return;
                    case "confirm-promotion": {
                        const p = transition(s, { type: "gate", hookType: "confirm-promotion", ok: true, reason: "" }, lenient, T1);
                        expect(p.phase).to.equal("Promoting");
                        expect(lastVerdictOnLast).to.equal("Successful");
                        promoted++;
                        return;
                    }
                    case "rollback":
                    case "done":
                    case "promote":
                        return;
                    default: {
                        const never: never = a;
                        return never;
                    }
                }
            };
            walk(initialState("v2", lenient.steps, T0), 6, undefined);
            expect(promoted).to.be.greaterThan(0);
        });
    });

    describe("planStart", () => {
        it("starts a new rollout when none is recorded", () => {
            const p = planStart(undefined, "v2", [10, 100], T0);
            expect(p.kind).to.equal("start");
            expect(p.kind === "start" && p.state).to.deep.include({ phase: "Progressing", stepIndex: -1, steps: [10, 100], version: "v2" });
        });
        for (const phase of ["Progressing", "Promoting", "RollingBack"] as const) {
            it(`resumes the same version in ${phase}, counters kept`, () => {
                const existing = st({ phase, stepIndex: 1, failedChecks: 1, inconclusiveChecks: 1 });
                expect(planStart(existing, "v2", [5], T1)).to.deep.equal({ kind: "resume", state: existing });
            });
            it(`refuses another version while ${phase}`, () => {
                const p = planStart(st({ phase, stepIndex: 1 }), "v3", [5], T1);
                expect(p).to.deep.equal({
                    kind: "refuse",
                    reason: `a rollout of v2 is ${phase} (step 2/3); v3 cannot start before it ends`,
                    hint: "finish it first: mesh-release canary --version v2 (resume), or mesh-release abort",
                });
            });
        }
        it("is a no-op for an already promoted version", () => {
            expect(planStart(st({ phase: "Promoted" }), "v2", [5], T1)).to.deep.include({ kind: "noop", reason: "v2 is already promoted" });
        });
        for (const phase of ["RolledBack", "Aborted", "Promoted"] as const) {
            it(`starts over after ${phase} (new version or retry), fresh counters`, () => {
                const version = phase === "Promoted" ? "v3" : "v2";
                const p = planStart(st({ phase, failedChecks: 3 }), version, [5, 100], T1);
                expect(p.kind).to.equal("start");
                expect(p.kind === "start" && p.state).to.deep.include({ version, failedChecks: 0, stepIndex: -1, steps: [5, 100] });
            });
        }
    });
});
