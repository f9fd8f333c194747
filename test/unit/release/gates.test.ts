/**
 * Approval gates (`release.gates`, release/core/gate.ts) with the in-memory driver and a fake clock: the release pauses
 * before the gated step with a previewed plan and a pending record on the "backend" (the memory stack's tags), and
 * `mesh-release approve|reject` (release/orchestration/approve.ts, and the CLI) decides it from a second driver of the same stack.
 * The memory driver's `update` with a plan refuses, like `pulumi up --plan`, any config or program that is not the
 * preview's. What these do not prove: the Pulumi engine's plans and the backend's tags (test/e2e/release/gates.test.ts).
 */
import { expect } from "chai";
import type { RolloutState } from "../../../contract/release";
import { valueAt } from "../../../contract/paths";
import { runGateDecision, type GateDecisionCommand } from "../../../release/orchestration/approve";
import { MemoryDriver } from "../../../release/driver/memory";
import { stackValidator } from "../../../release/env/check";
import { decideGate, gateFor, parseGateRecord, type GateRecord } from "../../../release/core/gate";
import { runCanary, runRollout } from "../../../release/rollout";
import type { CliEvent } from "../../../release/reporters/types";
import { SVC, harness, ofType, runCliOn, stackConfig, type Harness } from "./fakes";

const POLL = 1000;
const recorded = (h: Harness): RolloutState => JSON.parse(String(valueAt(h.store.config, ["rollouts", SVC]))) as RolloutState;
const record = (h: Harness): GateRecord | undefined => parseGateRecord(h.store.tags.get(`gate:${SVC}`)).record;
const gated = (gates: Record<string, unknown>[] = [{ beforeStep: 50 }]): Harness => {
    const h = harness({ config: stackConfig({ gates }) });
    h.deps.gatePollMs = POLL;
    return h;
};

/** Runs `decide` on a second driver of the same stack (another machine sharing the backend) at the `n`th poll of the gate. */
function atPoll(h: Harness, n: number, decide: (second: MemoryDriver) => Promise<unknown>): { outputs: CliEvent[] } {
    const outputs: CliEvent[] = [];
    const sleep = h.clock.sleep;
    let polls = 0;
    h.clock.sleep = async (ms: number): Promise<void> => {
        if (ms === POLL && ++polls === n) {
            await decide(new MemoryDriver("dev", h.store));
        }
        return sleep(ms);
    };
    return { outputs };
}

const decision = (req: Partial<GateDecisionCommand> & Pick<GateDecisionCommand, "decision">): GateDecisionCommand => ({ service: SVC, by: "alice", kind: "manual", ...req });

describe("approval gates (release.gates)", () => {
    it("pauses before the gated step with a preview, applies nothing until approved, then applies exactly the approved plan", async () => {
        const h = gated();
        const out: CliEvent[] = [];
        const updatesAtDecision: number[] = [];
        atPoll(h, 3, async (second) => {
            updatesAtDecision.push(h.store.updates.length);
            const r = await runGateDecision(decision({ decision: "approve", step: 50 }), { driver: second, emit: (e) => out.push(e), clock: h.clock, settleMs: 0 });
            expect(r.exitCode).to.equal(0);
        });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        const waiting = ofType(h.events, "gate-waiting");
        expect(waiting.map((w) => [w.stepIndex, w.weight, w.approval, w.onTimeout])).to.deep.equal([[1, 50, "manual", "rollback"]]);
        // what the step changes, as the approver sees it
        expect(waiting[0]?.changes.join("\n")).to.include("services.sample-app.canary.weight");
        expect(waiting[0]?.approve).to.equal("mesh-release approve --stack dev --service sample-app --step 50");
        // nothing but step 1 was applied while waiting (three polls)
        expect(updatesAtDecision).to.deep.equal([1]);
        expect(h.store.previews).to.deep.equal(["sample-app-step2"]);
        // the step's update ran with the approved plan, named in its message; the others ran without one
        const withPlan = h.store.updates.filter((u) => u.plan !== undefined);
        expect(withPlan.map((u) => u.message)).to.deep.equal([`mesh-release: sample-app v2 step 2 weight 50% (approved by alice at 2026-01-01T00:00:04.000Z, plan ${waiting[0]?.plan ?? "?"})`]);
        expect(h.store.updates.length).to.equal(5);
        // who and when: the recorded state, the record on the backend, the approver's output
        expect(recorded(h).approvals).to.deep.equal([{ stepIndex: 1, weight: 50, decision: "approved", by: "alice", kind: "manual", at: "2026-01-01T00:00:04.000Z", plan: waiting[0]?.plan }]);
        expect(record(h)).to.deep.include({ status: "applied", decidedBy: "alice", decidedKind: "manual", plan: waiting[0]?.plan });
        const finished = out.find((e) => e.type === "command-finished");
        expect(finished && "message" in finished ? finished.message : "").to.match(/^approved by alice \(manual\): the waiting release applies exactly this plan/);
        expect(ofType(h.events, "gate-decided").map((e) => [e.decision, e.by])).to.deep.equal([["approved", "alice"]]);
    });

    it("rejected: rolls back without a gate (the rollback is never gated), recording who and why", async () => {
        const h = gated([{ beforeStep: 50 }, { beforeStep: 100 }]);
        atPoll(h, 1, (second) => runGateDecision(decision({ decision: "reject", by: "bob", reason: "error budget spent" }), { driver: second, emit: () => undefined, clock: h.clock, settleMs: 0 }));
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ outcome: "rolled-back", exitCode: 1 });
        expect(r.message).to.equal("gate before step 2 (50%) rejected by bob: error budget spent");
        expect(h.store.updates.map((u) => u.message)).to.deep.equal(["mesh-release: sample-app v2 step 1 weight 10%", "mesh-release: roll back sample-app v2"]);
        expect(h.store.updates.every((u) => u.plan === undefined)).to.equal(true);
        expect(h.store.previews, "one preview: the gate's; none for the rollback").to.deep.equal(["sample-app-step2"]);
        expect(valueAt(h.store.applied, ["services", SVC, "canary", "weight"])).to.equal(0);
        expect(recorded(h)).to.deep.include({ phase: "RolledBack" });
        expect(recorded(h).approvals?.map((a) => [a.decision, a.by, a.reason])).to.deep.equal([["rejected", "bob", "error budget spent"]]);
    });

    it("times out with onTimeout: rollback: rolls back at the timeout; a late approval is refused", async () => {
        const h = gated([{ beforeStep: 50, timeout: "10s", onTimeout: "rollback" }]);
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        expect(r.message).to.equal("gate before step 2 (50%) timed out without a decision (onTimeout: rollback)");
        // step 1's window (2 s), then polls every second until 10 s past the request
        expect(h.clock.sleeps.filter((ms) => ms === POLL).length).to.equal(11);
        expect(record(h)?.status).to.equal("timed-out");
        expect(recorded(h).approvals?.map((a) => a.decision)).to.deep.equal(["timed-out"]);
        const late = await runGateDecision(decision({ decision: "approve" }), { driver: new MemoryDriver("dev", h.store), emit: () => undefined, clock: h.clock, settleMs: 0 });
        expect(late.exitCode).to.equal(2);
        expect(late.message).to.match(/^the gate before step 2\/3 \(50%\) of v2 is timed-out at 2026-01-01T00:00:\d\d.000Z; no approval is pending for sample-app on stack dev/);
    });

    it("times out with onTimeout: wait: says so once and keeps waiting; a later approval goes on", async () => {
        const h = gated([{ beforeStep: 50, timeout: "5s", onTimeout: "wait" }]);
        atPoll(h, 30, (second) => runGateDecision(decision({ decision: "approve" }), { driver: second, emit: () => undefined, clock: h.clock, settleMs: 0 }));
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        expect(ofType(h.events, "gate-decided").map((e) => e.decision)).to.deep.equal(["still-waiting", "approved"]);
        expect(recorded(h).approvals?.map((a) => a.decision)).to.deep.equal(["approved"]);
    });

    it("an approval before the timeout of a rollback gate stands even when it is read after the timeout passed", () => {
        const rec = (status: GateRecord["status"]): GateRecord => ({
            v: 1, id: "x", stack: "dev", service: SVC, version: "v2", stepIndex: 1, steps: 3, weight: 50, approval: "manual", onTimeout: "rollback",
            plan: "sha256:p", program: "sha256:q", summary: "", changes: [], requestedBy: "t", requestedAt: "2026-01-01T00:00:00.000Z", expiresAt: "2026-01-01T00:01:00.000Z", status,
        });
        const now = new Date("2026-01-01T00:00:30.000Z");
        expect(decideGate(rec("pending"), { decision: "approve", by: "a", kind: "manual" }, now, { stack: "dev", service: SVC })).to.deep.include({ kind: "ok" });
        expect(decideGate(rec("pending"), { decision: "approve", by: "a", kind: "manual", step: 10 }, now, { stack: "dev", service: SVC })).to.deep.equal({
            kind: "refuse",
            reason: "--step is 10, but the pending gate of sample-app is before step 2/3 (50%) of v2",
            hint: "check the step, then: mesh-release approve --stack dev --service sample-app --step 50",
        });
        expect(decideGate(rec("pending"), { decision: "approve", by: "a", kind: "ci" }, now, { stack: "dev", service: SVC })).to.deep.include({ kind: "refuse" });
        expect(decideGate(rec("pending"), { decision: "reject", by: "a", kind: "ci" }, now, { stack: "dev", service: SVC })).to.deep.include({ kind: "ok" });
        expect(decideGate(undefined, { decision: "approve", by: "a", kind: "manual" }, now, { stack: "dev", service: SVC })).to.deep.include({ kind: "refuse", reason: "no approval gate is pending for sample-app on stack dev" });
        expect(gateFor([{ weight: 50, approval: "manual", timeoutMs: 1, onTimeout: "wait", services: ["other"] }], SVC, 50)).to.equal(undefined);
    });

    for (const change of ["config", "program"] as const) {
        it(`refuses a stale plan: the ${change} changed after the preview; nothing is applied, the mesh stays at the last step`, async () => {
            const h = gated();
            atPoll(h, 2, async (second) => {
                if (change === "config") {
                    // someone edits the stack while the release waits (a timeout of the service's routes)
                    await second.write([{ path: ["services", SVC, "timeout"], value: "3s" }]);
                } else {
                    h.store.program = "program v2";
                }
                await runGateDecision(decision({ decision: "approve" }), { driver: second, emit: () => undefined, clock: h.clock, settleMs: 0 });
            });
            const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
            expect(r).to.deep.include({ outcome: "failed", exitCode: 3 });
            expect(r.message).to.match(/^stack dev, service sample-app: the plan of step 2\/3 \(50%\) approved by alice \(sha256:[0-9a-f]{64}\) is stale: /);
            expect(r.message).to.include(change === "config" ? "the stack config changed (services.sample-app.timeout)" : "the program changed (sha256:");
            expect(r.message).to.match(/nothing was applied: the mesh stays at the last applied step, canary 10%$/);
            expect(r.hint).to.match(/^an approval approves exactly the previewed update\. Run the same canary command again/);
            expect(h.store.updates.map((u) => u.message)).to.deep.equal(["mesh-release: sample-app v2 step 1 weight 10%"]);
            expect(valueAt(h.store.applied, ["services", SVC, "canary", "weight"])).to.equal(10);
            expect(record(h)).to.deep.include({ status: "stale" });
        });
    }

    it("the plan binds what runs: an update with the plan after a config change is refused by the driver as the engine does", async () => {
        const h = gated();
        const preview = await h.driver.gates.preview({ message: "m", name: "p" });
        await h.driver.write([{ path: ["services", SVC, "canary", "weight"], value: 75 }]);
        const failed = await h.driver.update({ message: "u", plan: preview.planFile }).then(() => "ok", (e: Error) => e.message);
        expect(failed).to.equal("resource violates plan: services.sample-app.canary.weight");
        expect(h.store.history).to.deep.equal([]);
    });

    it("a rollback, an abort and a promotion are never gated", async () => {
        for (const action of ["rollback", "abort"] as const) {
            const h = gated([{ beforeStep: 10 }, { beforeStep: 50 }, { beforeStep: 100 }]);
            h.store.config = { ...h.store.config, services: { [SVC]: { ...(valueAt(h.store.config, ["services", SVC]) as object), canary: { version: "v2", weight: 10, routed: true } } } };
            const r = await runRollout({ action, service: SVC }, h.deps);
            expect(r.exitCode, r.message).to.equal(0);
            expect(h.store.previews).to.deep.equal([]);
            expect(h.store.tags.size).to.equal(0);
            expect(h.store.updates.map((u) => u.plan)).to.deep.equal([undefined]);
        }
    });

    it("a gate on the first step pauses before anything is applied", async () => {
        const h = gated([{ beforeStep: 10 }]);
        atPoll(h, 1, (second) => runGateDecision(decision({ decision: "approve", step: 10 }), { driver: second, emit: () => undefined, clock: h.clock, settleMs: 0 }));
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("promoted");
        expect(h.store.updates[0]?.plan).to.not.equal(undefined);
        expect(recorded(h).approvals?.map((a) => [a.stepIndex, a.weight])).to.deep.equal([[0, 10]]);
    });
});

describe("approval gates: bad config is refused before anything is applied (stack, path, value, rule, fix)", () => {
    const refused = async (gates: unknown, extra: Record<string, unknown> = {}): Promise<string> => {
        const h = harness({ config: stackConfig({ gates, ...extra }) });
        const r = await runCanary({ service: SVC, version: "v2", ...(extra["--steps"] !== undefined ? {} : {}) }, h.deps);
        expect(r.exitCode).to.equal(2);
        expect(h.store.updates).to.deep.equal([]);
        expect(h.store.previews).to.deep.equal([]);
        return r.message;
    };

    it("a gate before a weight that is not a step", async () => {
        const m = await refused([{ beforeStep: 25 }]);
        expect(m).to.include("stack dev, service sample-app: cannot start the rollout:\n  - release.gates[0].beforeStep: ");
        expect(m).to.include(
            "release.gates[0].beforeStep is 25, which is not a step of this rollout (release.steps [10, 50, 100]); a gate stands before one of the steps: fix: pulumi config set --path 'release.gates[0].beforeStep' <one of 10, 50, 100>",
        );
    });

    it("a gate the --steps flag leaves out", async () => {
        const h = harness({ config: stackConfig({ gates: [{ beforeStep: 50 }] }) });
        const r = await runCanary({ service: SVC, version: "v2", overrides: { steps: "10,100" } }, h.deps);
        expect(r.exitCode).to.equal(2);
        expect(r.message).to.include("--steps: release.gates[0].beforeStep is 50, which is not a step of this rollout (--steps 10,100)");
        expect(r.message).to.include("or give --steps that include 50");
    });

    it("values the schema refuses: each with its path, value and rule", async () => {
        const m = await refused([{ beforeStep: 50, approval: "auto", timeout: "15", onTimeout: "later", extra: 1 }]);
        expect(m).to.include("release.gates[0].approval");
        expect(m).to.include('"auto"');
        expect(m).to.include("manual");
        expect(m).to.include('release.gates[0].timeout: release.gates[0].timeout is "15"; it must be a Go duration, which needs a unit');
        expect(m).to.include("release.gates[0].onTimeout");
        expect(m).to.include("release.gates[0].extra");
    });

    it("cross-field rules, also in the program's own check (pulumi up refuses the same)", async () => {
        const gates = [{ beforeStep: 50, timeout: "0s" }, { beforeStep: 50 }];
        const m = await refused(gates);
        expect(m).to.include('release.gates[0].timeout is "0s"; a gate\'s timeout must be at least 1s');
        expect(m).to.include("release.gates[1].beforeStep is 50, which release.gates[0] gates already (for the same services); one gate per step and service");
        const problems = stackValidator(stackConfig({ gates }));
        expect(problems.map((p) => p.propertyPath)).to.include.members(["release.gates[0].timeout", "release.gates[1].beforeStep"]);
        expect(problems.find((p) => p.propertyPath === "release.gates[0].timeout")?.reason).to.include("pulumi config set --path 'release.gates[0].timeout' 1h");
    });
});

describe("mesh-release approve|reject (CLI)", () => {
    const cli = runCliOn;

    it("approve shows what it approves; a CI job cannot approve a manual gate but can reject it; --step must match", async () => {
        const h = gated();
        const seen: { code: number; stdout: string }[] = [];
        atPoll(h, 1, async () => {
            seen.push(await cli(["approve", "--stack", "dev", "--service", SVC, "--step", "10"], h));
            seen.push(await cli(["approve", "--stack", "dev", "--service", SVC], h, { CI: "true" }));
            seen.push(await cli(["approve", "--stack", "dev", "--service", SVC, "--step", "50", "--by", "carol"], h, { USER: "x" }));
        });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("promoted");
        expect(seen.map((s) => s.code)).to.deep.equal([2, 2, 0]);
        expect(seen[0]?.stdout).to.include("--step is 10, but the pending gate of sample-app is before step 2/3 (50%) of v2; nothing was decided");
        expect(seen[1]?.stdout).to.include("needs a person's approval (approval: manual), and this process is a CI job");
        expect(seen[2]?.stdout).to.include("approved by carol (manual)");
        expect(seen[2]?.stdout).to.include("plan sha256:");
        expect(seen[2]?.stdout).to.include("services.sample-app.canary.weight");
        expect(recorded(h).approvals?.[0]?.by).to.equal("carol");
    });

    it("with no release waiting: refused, exit 2; bad flags: exit 2 before anything is read", async () => {
        const h = gated();
        const none = await cli(["reject", "--stack", "dev", "--service", SVC], h);
        expect(none.code).to.equal(2);
        expect(none.stdout).to.include("no approval gate is pending for sample-app on stack dev; nothing was decided");
        const bad = await cli(["approve", "--stack", "dev", "--service", SVC, "--step", "0", "--by", ""], h);
        expect(bad.code).to.equal(2);
        expect(bad.stderr).to.include('--step is "0"; it must be an integer from 1 to 100');
    });
});
