/**
 * A recorded rollout state whose step index lies past its steps (`{"phase":"Progressing","stepIndex":7,
 * "steps":[10,50]}`: a hand edit, or a policy whose steps shrank under a state that recorded none). Before,
 * `canary` ran a rollback update and then ended "unexpected error: event rolled-back is not valid in phase
 * Progressing (step 7)" with no hint, on every rerun, and `status` showed "step 8/2". Now the state is named
 * when it is read (release/core/machine.ts stateInconsistency), with the fix (`mesh-release rollback` repairs it);
 * `canary` rolls back and ends cleanly (exit 1, the state repaired, a rerun starts afresh), `rollback` repairs
 * it, and `status` names it instead of a step past the end. In-process (memory driver, fake clock): the
 * Pulumi side of a rollback update is the e2e suite's.
 */
import { expect } from "chai";
import type { RolloutState } from "../../../contract/release";
import { decide, initialState, planRollback, stateInconsistency, stepLabel, transition, type MachinePolicy } from "../../../release/core/machine";
import { valueAt } from "../../../contract/paths";
import { runRollout } from "../../../release/rollout";
import { stepText } from "../../../release/reporters/format";
import { harness, ofType, runCliOn, stackConfig, SVC, type Harness } from "./fakes";

const T0 = "2026-01-01T00:00:00.000Z";
const policy: MachinePolicy = { steps: [10, 50, 100], failureLimit: 0, inconclusiveLimit: 1, errorLimit: 1 };
const BAD: Partial<RolloutState> & Record<string, unknown> = { phase: "Progressing", version: "v2", stepIndex: 7, steps: [10, 50], stepApplied: true, updatedAt: T0 };
const PROBLEM = "the recorded step index 7 (step 8) lies past its recorded steps [10, 50], which have 2 steps";

function withState(state: Record<string, unknown>): Harness {
    const cfg = stackConfig();
    (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).version = "v2";
    (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).weight = 50;
    cfg["rollouts"] = { [SVC]: JSON.stringify(state) };
    return harness({ config: cfg });
}

/** The state recorded in the stack config now (the last write, not the last update's). */
function recorded(h: Harness): RolloutState {
    return JSON.parse(valueAt(h.store.config, ["rollouts", SVC]) as string) as RolloutState;
}

const cli = runCliOn;

describe("an inconsistent recorded rollout state (step index past its steps)", () => {
    describe("release/core/machine (pure)", () => {
        const state = (patch: Partial<RolloutState>): RolloutState => ({ ...initialState("v2", policy.steps, T0), ...patch });

        it("stateInconsistency names the index and the steps, its own or the policy's; a consistent state has none", () => {
            expect(stateInconsistency(state({ ...BAD }), policy)).to.equal(PROBLEM);
            expect(stateInconsistency(state({ stepIndex: 3, steps: undefined }), policy)).to.equal(
                "the recorded step index 3 (step 4) lies past the policy's steps (the state recorded none) [10, 50, 100], which have 3 steps",
            );
            for (const i of [-1, 0, 2]) {
                expect(stateInconsistency(state({ stepIndex: i }), policy)).to.equal(undefined);
            }
        });

        it("stepLabel never says 'step 8/2'", () => {
            expect(stepLabel(state({ ...BAD }), policy.steps)).to.equal("step index 7, past the 2 steps (inconsistent)");
            expect(stepLabel(state({ stepIndex: 1 }), policy.steps)).to.equal("step 2/3");
            expect(stepText(7, 0, [10, 50])).to.equal("step index 7, past the 2 steps (inconsistent)");
        });

        it("decide rolls it back; rollback-started then rolled-back leaves a consistent RolledBack state (no InvalidTransitionError)", () => {
            const s = state({ ...BAD });
            const action = decide(s, policy);
            expect(action).to.deep.equal({ type: "rollback", reason: `the recorded rollout state is inconsistent: ${PROBLEM}` });
            const rolling = transition(s, { type: "rollback-started", reason: action.type === "rollback" ? action.reason : "" }, policy, T0);
            expect(rolling).to.deep.include({ phase: "RollingBack", stepIndex: 1, stepApplied: false, stepAnalyzed: false });
            const done = transition(rolling, { type: "rolled-back" }, policy, T0);
            expect(done).to.deep.include({ phase: "RolledBack", stepIndex: 1 });
            expect(stateInconsistency(done, policy)).to.equal(undefined);
        });

        it("rollback-started is refused where decide does not ask for a rollback (a consistent Progressing state)", () => {
            expect(() => transition(state({ stepIndex: 0, stepApplied: true }), { type: "rollback-started", reason: "x" }, policy, T0)).to.throw("event rollback-started is not valid in phase Progressing");
        });

        it("planRollback repairs it: RollingBack with the index inside the steps, the message naming what was wrong", () => {
            const plan = planRollback(state({ ...BAD }), "v2", false, T0, policy);
            expect(plan.kind).to.equal("resume");
            if (plan.kind === "resume") {
                expect(plan.state).to.deep.include({ phase: "RollingBack", stepIndex: 1 });
                expect(plan.state.message).to.equal(`rolled back with mesh-release rollback (repairing an inconsistent state: ${PROBLEM})`);
            }
        });
    });

    it("canary: said when read with the fix, rolled back to stable, exit 1 with a hint; the state is repaired and a rerun starts afresh", async () => {
        const h = withState(BAD);
        const r = await runRollout({ action: "canary", service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("rolled-back");
        expect(r.exitCode).to.equal(1);
        expect(r.message).to.equal(`the recorded rollout state is inconsistent: ${PROBLEM}`);
        expect(r.hint).to.equal(
            `the recorded state was inconsistent (${PROBLEM}); mesh-release rollback --stack dev --service ${SVC} repairs such a state, and this run did the same: ` +
                `${SVC} is on stable and the state is consistent again. Start again with mesh-release canary --stack dev --service ${SVC} --version v2`,
        );
        const warnings = ofType(h.events, "warning").map((e) => e.message);
        expect(warnings).to.include(
            `the recorded rollout state rollouts.${SVC} is inconsistent: ${PROBLEM}; nothing is shifted or promoted on it: the canary is rolled back to stable, which repairs it. ` +
                `Fix: mesh-release rollback --stack dev --service ${SVC} repairs such a state`,
        );
        // one update, the rollback: the canary unrouted, the state written RollingBack with it, then RolledBack
        expect(h.store.updates).to.have.length(1);
        expect(valueAt(h.store.applied, ["services", SVC, "canary"])).to.deep.include({ routed: false });
        expect(JSON.parse(valueAt(h.store.applied, ["rollouts", SVC]) as string)).to.deep.include({ phase: "RollingBack", stepIndex: 1 });
        expect(recorded(h)).to.deep.include({ phase: "RolledBack", stepIndex: 1 });
        // the rerun starts a new rollout instead of failing again
        const again = await runRollout({ action: "canary", service: SVC, version: "v2" }, { ...h.deps, emit: () => undefined });
        expect(again.outcome, again.message).to.equal("promoted");
    });

    it("canary through the CLI: no 'unexpected error', the fix in the output, no 'step 8/2'", async () => {
        const h = withState(BAD);
        const r = await cli(["canary", "--stack", "dev", "--service", SVC, "--version", "v2"], h);
        const out = r.stdout + r.stderr;
        expect(r.code, out).to.equal(1);
        expect(out).not.to.include("unexpected error");
        expect(out).not.to.include("step 8/2");
        expect(out).to.include(`mesh-release rollback --stack dev --service ${SVC} repairs such a state`);
    });

    it("rollback repairs it: exit 0, RolledBack with the index inside the steps, the warning names what was wrong", async () => {
        const h = withState(BAD);
        const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
        expect(r.exitCode, r.message).to.equal(0);
        expect(recorded(h)).to.deep.include({ phase: "RolledBack", stepIndex: 1 });
        expect(ofType(h.events, "warning").map((e) => e.message).join("\n")).to.include(`inconsistent: ${PROBLEM}; the rollback repairs it`);
    });

    it("status names what is inconsistent and the fix, never a step past the end (text and --json)", async () => {
        const h = withState(BAD);
        const text = await cli(["status", "--stack", "dev", "--service", SVC, "--no-metrics"], h);
        expect(text.code).to.equal(0);
        expect(text.stdout).not.to.match(/step 8\/2/);
        expect(text.stdout).to.include(`  rollout: v2 Progressing, inconsistent: ${PROBLEM}`);
        expect(text.stdout).to.include(`           fix: mesh-release rollback --stack dev --service ${SVC} repairs it (all traffic to stable, the step index back inside the steps)`);
        const json = await cli(["status", "--stack", "dev", "--service", SVC, "--no-metrics", "--json"], h);
        const status = JSON.parse(json.stdout.split("\n")[0] ?? "{}") as { status?: { stateProblem?: { problem: string } } };
        expect(status.status?.stateProblem?.problem).to.equal(PROBLEM);
    });
});
