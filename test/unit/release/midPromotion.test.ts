/**
 * A rollout stopped in the middle of a promotion (issue 10): after the first promotion update
 * `canary.version` holds the previous stable version and the state is Promoting. A bare `promote` must
 * finish it; `rollback` and `abort` must undo it (the previous stable takes all traffic again). Plus table
 * tests of the two pure planners, `planPromote` and `planRollback` (release/core/machine.ts).
 */
import { expect } from "chai";
import { valueAt } from "../../../contract/paths";
import { planPromote, planRollback, initialState, type MachinePolicy } from "../../../release/core/machine";
import type { RolloutState } from "../../../contract/release";
import { runRollout } from "../../../release/rollout";
import { harness, SVC, type Harness } from "./fakes";

const svcAt = (config: Record<string, unknown> | undefined, ...path: string[]): unknown => valueAt(config, ["services", SVC, ...path]);
const recorded = (h: Harness): RolloutState => JSON.parse(String(valueAt(h.store.config, ["rollouts", SVC]))) as RolloutState;

/** v2 rolled out and promoted until the second promotion update, which keeps failing: exit 3, Promoting. */
async function stoppedAfterFirstPromotionUpdate(): Promise<Harness> {
    const h = harness();
    h.store.failUpdate = (_n, config) => (svcAt(config, "canary", "version") === undefined && svcAt(config, "stable", "version") === "v2" ? "failed" : undefined);
    const r = await runRollout({ action: "canary", service: SVC, version: "v2" }, h.deps);
    expect(r.exitCode, r.message).to.equal(3);
    h.store.failUpdate = () => undefined;
    return h;
}

describe("a rollout stopped in the middle of a promotion (release/rollout/)", () => {
    it("after the first promotion update, canary.version holds the previous stable and the state is Promoting stage 2/2", async () => {
        const h = await stoppedAfterFirstPromotionUpdate();
        expect(svcAt(h.store.applied, "stable", "version")).to.equal("v2");
        expect(svcAt(h.store.applied, "canary", "version")).to.equal("v1");
        expect(recorded(h)).to.deep.include({ phase: "Promoting", version: "v2", promotionStage: 1 });
    });

    it("a bare promote finishes it (it resolves to the version being promoted, not canary.version)", async () => {
        const h = await stoppedAfterFirstPromotionUpdate();
        const r = await runRollout({ action: "promote", service: SVC }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        expect(r.exitCode).to.equal(0);
        expect(svcAt(h.store.applied, "stable", "version")).to.equal("v2");
        expect(svcAt(h.store.applied, "canary", "version")).to.equal(undefined);
        expect(recorded(h)).to.deep.include({ phase: "Promoted", version: "v2" });
    });

    for (const mode of ["rollback", "abort"] as const) {
        it(`${mode} undoes it: the previous stable takes all traffic, the promoted version stays deployed, unrouted`, async () => {
            const h = await stoppedAfterFirstPromotionUpdate();
            const r = await runRollout({ action: mode, service: SVC }, h.deps);
            expect(r.outcome, r.message).to.equal(mode === "abort" ? "aborted" : "rolled-back");
            expect(svcAt(h.store.applied, "stable", "version")).to.equal("v1");
            expect(svcAt(h.store.applied, "canary", "version")).to.equal("v2");
            expect(svcAt(h.store.applied, "canary", "weight")).to.equal(0);
            expect(svcAt(h.store.applied, "canary", "routed")).to.equal(false);
            expect(recorded(h)).to.deep.include({ phase: mode === "abort" ? "Aborted" : "RolledBack", version: "v2" });
        });
    }

    it("rollback of a promotion recorded at stage 1/2 whose first update had not run: stable stays, the canary is unrouted", async () => {
        const h = harness();
        const state: RolloutState = { ...initialState("v2", [10, 50, 100], "2026-01-01T00:00:00.000Z"), phase: "Promoting", stepIndex: 2, stepApplied: true, stepAnalyzed: true };
        (h.store.config["services"] as Record<string, Record<string, unknown>>)[SVC] = {
            image: "registry.local/sample-app:{version}",
            stable: { version: "v1" },
            canary: { version: "v2", weight: 100, routed: true },
        };
        h.store.config["rollouts"] = { [SVC]: JSON.stringify(state) };
        const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
        expect(r.outcome, r.message).to.equal("rolled-back");
        expect(svcAt(h.store.applied, "stable", "version")).to.equal("v1");
        expect(svcAt(h.store.applied, "canary", "version")).to.equal("v2");
        expect(svcAt(h.store.applied, "canary", "weight")).to.equal(0);
    });

    it("a promotion with no previous stable to put back: rollback says exactly what to do, nothing is written", async () => {
        const h = harness();
        const state: RolloutState = { ...initialState("v2", [10, 50, 100], "2026-01-01T00:00:00.000Z"), phase: "Promoting", promotionStage: 1 };
        (h.store.config["services"] as Record<string, Record<string, unknown>>)[SVC] = {
            image: "registry.local/sample-app:{version}",
            stable: { version: "v2" },
            canary: { weight: 0, routed: false },
        };
        h.store.config["rollouts"] = { [SVC]: JSON.stringify(state) };
        const before = structuredClone(h.store.config);
        const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
        expect(r.exitCode).to.equal(2);
        expect(r.message).to.equal(
            "stack dev, service sample-app: v2 is already the stable version and no previous stable version is recorded; a rollback cannot undo its promotion",
        );
        expect(r.hint).to.equal(
            "finish it: mesh-release promote --stack dev --service sample-app; or put the old version back by hand: " +
                "pulumi config set --path 'services.sample-app.stable.version' <old version> && pulumi config rm --path 'rollouts.sample-app' && pulumi up",
        );
        expect(h.store.config).to.deep.equal(before);
        expect(h.store.updates).to.have.length(0);
    });
});

const POLICY: MachinePolicy = { steps: [10, 50, 100], failureLimit: 0, inconclusiveLimit: 2, errorLimit: 2 };
const NOW = "2026-01-01T00:10:00.000Z";
const at = (patch: Partial<RolloutState>): RolloutState => ({ ...initialState("v2", POLICY.steps, "2026-01-01T00:00:00.000Z"), ...patch });

describe("planPromote (release/core/machine.ts)", () => {
    const table: Array<[string, RolloutState | undefined, string, boolean, { kind: string; phase?: string; reason?: RegExp }]> = [
        ["no rollout recorded: refused", undefined, "v2", false, { kind: "refuse", reason: /no rollout of v2 has passed its analysis/ }],
        ["no rollout recorded, --force: promoting", undefined, "v2", true, { kind: "resume", phase: "Promoting" }],
        ["last step analyzed: promoting", at({ stepIndex: 2, stepApplied: true, stepAnalyzed: true }), "v2", false, { kind: "resume", phase: "Promoting" }],
        ["mid-rollout: refused", at({ stepIndex: 0, stepApplied: true }), "v2", false, { kind: "refuse", reason: /has not passed its last step \(at step 1\/3\)/ }],
        ["mid-rollout, --force: promoting", at({ stepIndex: 0, stepApplied: true }), "v2", true, { kind: "resume", phase: "Promoting" }],
        ["promoting: resumed", at({ phase: "Promoting", promotionStage: 1 }), "v2", false, { kind: "resume", phase: "Promoting" }],
        ["promoted: nothing to do", at({ phase: "Promoted" }), "v2", false, { kind: "noop", phase: "Promoted" }],
        ["rolling back: refused", at({ phase: "RollingBack" }), "v2", false, { kind: "refuse", reason: /v2 is being rolled back/ }],
        ["another version in flight: refused", at({ phase: "Promoting" }), "v3", false, { kind: "refuse", reason: /a rollout of v2 is Promoting/ }],
        ["rolled back: refused without --force", at({ phase: "RolledBack" }), "v2", false, { kind: "refuse", reason: /no rollout of v2 has passed/ }],
    ];
    for (const [what, existing, version, force, want] of table) {
        it(what, () => {
            const plan = planPromote(existing, version, POLICY.steps, force, NOW, POLICY);
            expect(plan.kind).to.equal(want.kind);
            if (want.phase !== undefined && plan.kind !== "refuse") expect(plan.state.phase).to.equal(want.phase);
            if (want.reason !== undefined && plan.kind === "refuse") expect(plan.reason).to.match(want.reason);
        });
    }
});

describe("planRollback (release/core/machine.ts)", () => {
    const table: Array<[string, RolloutState | undefined, string | undefined, boolean, { kind: string; phase?: string; aborted?: boolean; reason?: RegExp }]> = [
        ["progressing: rolling back", at({ stepIndex: 1, stepApplied: true }), "v2", false, { kind: "resume", phase: "RollingBack", aborted: false }],
        ["progressing, abort: rolling back, aborted", at({ stepIndex: 1, stepApplied: true }), "v2", true, { kind: "resume", phase: "RollingBack", aborted: true }],
        ["rolling back: resumed", at({ phase: "RollingBack" }), "v2", false, { kind: "resume", phase: "RollingBack" }],
        ["promoting (stopped mid-promotion): undone", at({ phase: "Promoting", promotionStage: 1 }), "v1", false, { kind: "resume", phase: "RollingBack", aborted: false }],
        ["promoting, abort: undone, aborted", at({ phase: "Promoting", promotionStage: 0 }), "v2", true, { kind: "resume", phase: "RollingBack", aborted: true }],
        ["nothing recorded, a canary configured: rolled back all the same", undefined, "v2", false, { kind: "start", phase: "RollingBack" }],
        ["nothing recorded, no canary: refused", undefined, undefined, false, { kind: "refuse", reason: /no canary version/ }],
        ["promoted, no canary left: refused", at({ phase: "Promoted" }), undefined, false, { kind: "refuse", reason: /no canary version/ }],
    ];
    for (const [what, existing, canary, abort, want] of table) {
        it(what, () => {
            const plan = planRollback(existing, canary, abort, NOW, POLICY);
            expect(plan.kind, JSON.stringify(plan)).to.equal(want.kind);
            if (plan.kind !== "refuse") {
                if (want.phase !== undefined) expect(plan.state.phase).to.equal(want.phase);
                if (want.aborted !== undefined) expect(plan.state.aborted).to.equal(want.aborted);
                if (existing?.phase === "Promoting") expect(plan.state.version).to.equal(existing.version);
            }
            if (want.reason !== undefined && plan.kind === "refuse") expect(plan.reason).to.match(want.reason);
        });
    }
});
