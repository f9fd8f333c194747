/** The rollout actions promote / rollback / abort through runRollout (release/rollout/), and webhook gates in the canary loop. */
import { expect } from "chai";
import type { RolloutState } from "../../../contract/release";
import { valueAt } from "../../../contract/paths";
import { MemoryStack } from "../../../release/driver/memory";
import { runCanary, runRollout } from "../../../release/rollout";
import { HEALTHY, SVC, canaryOf, harness, ofType, stackConfig } from "./fakes";
import { startServer, type TestServer } from "./http";

const recorded = (store: MemoryStack): RolloutState => JSON.parse(String(valueAt(store.config, ["rollouts", SVC]))) as RolloutState;

/** A store whose rollout of v2 was killed while waiting for the analysis of step `killAtSleep`. */
async function interrupted(killAtSleep: number): Promise<MemoryStack> {
    const store = new MemoryStack(stackConfig());
    const h = harness({ store });
    h.clock.killAtSleep = killAtSleep;
    await runCanary({ service: SVC, version: "v2" }, h.deps);
    return store;
}

describe("release/rollout actions (promote, rollback, abort; webhook gates)", () => {
    describe("rollback / abort", () => {
        it("rollback of an interrupted rollout: all traffic to stable in one update, RolledBack, exit 0", async () => {
            const store = await interrupted(2);
            const h = harness({ store });
            const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
            expect(r).to.deep.include({ outcome: "rolled-back", exitCode: 0, message: "rolled back with mesh-release rollback" });
            expect(canaryOf(store.applied)).to.deep.equal({ version: "v2", weight: 0, routed: false });
            expect(recorded(store)).to.deep.include({ phase: "RolledBack", aborted: false, stepIndex: 1 });
            expect(store.updates.slice(-1).map((u) => u.message)).to.deep.equal(["mesh-release: roll back sample-app v2"]);
        });

        it("abort records Aborted", async () => {
            const store = await interrupted(1);
            const r = await runRollout({ action: "abort", service: SVC }, harness({ store }).deps);
            expect(r).to.deep.include({ outcome: "aborted", exitCode: 0, message: "aborted with mesh-release abort" });
            expect(recorded(store).phase).to.equal("Aborted");
        });

        it("rollback without a recorded rollout rolls back the configured canary", async () => {
            const cfg = stackConfig();
            (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).version = "v9";
            (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).weight = 30;
            const h = harness({ config: cfg });
            const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
            expect(r.exitCode).to.equal(0);
            expect(canaryOf(h.store.applied)).to.deep.equal({ version: "v9", weight: 0, routed: false });
            expect(recorded(h.store)).to.deep.include({ phase: "RolledBack", version: "v9" });
        });

        it("rollback with no canary at all is a usage error, nothing applied", async () => {
            const h = harness();
            const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
            expect(r).to.deep.include({ exitCode: 2, message: "stack dev, service sample-app: the stack has no canary version; there is nothing to roll back" });
            expect(h.store.updates).to.have.length(0);
        });
    });

    describe("promote", () => {
        it("refuses before the last step's analysis has passed (nothing promoted without it)", async () => {
            const store = await interrupted(2);
            const before = structuredClone(store.config);
            const r = await runRollout({ action: "promote", service: SVC }, harness({ store }).deps);
            expect(r).to.deep.include({
                exitCode: 2,
                message: "stack dev, service sample-app: the analysis of v2 has not passed its last step (at step 2/3); nothing is promoted without it",
                hint: "run mesh-release canary --version v2 to continue the rollout, or promote --force to skip the analysis",
            });
            expect(store.config).to.deep.equal(before);
        });

        it("--force promotes in two updates and says so in the recorded state", async () => {
            const store = await interrupted(2);
            const h = harness({ store });
            const r = await runRollout({ action: "promote", service: SVC, force: true }, h.deps);
            expect(r).to.deep.include({ outcome: "promoted", exitCode: 0 });
            expect(valueAt(store.applied, ["services", SVC, "stable", "version"])).to.equal("v2");
            expect(canaryOf(store.applied)).to.deep.equal({ weight: 0, routed: false });
            const states = ofType(h.events, "state").map((e) => e.state.message);
            expect(states[0]).to.equal("promotion forced with --force at step 2/3 (analysis skipped)");
        });

        it("finishes a promotion interrupted between its two updates", async () => {
            const store = new MemoryStack(stackConfig());
            const h = harness({ store });
            store.failUpdate = (n) => (n >= 4 ? "failed" : undefined); // the second promotion update fails every retry
            const first = await runCanary({ service: SVC, version: "v2" }, h.deps);
            expect(first).to.deep.include({ outcome: "failed", exitCode: 3 });
            expect(first.hint).to.equal(
                "run the same canary command again (or mesh-release promote --stack dev --service sample-app) to finish the promotion, " +
                    "or mesh-release rollback --stack dev --service sample-app to undo it (state: Promoting, stage 1)",
            );
            store.failUpdate = () => undefined;
            const r = await runRollout({ action: "promote", service: SVC, version: "v2" }, harness({ store }).deps);
            expect(r.outcome).to.equal("promoted");
            expect(canaryOf(store.applied)).to.deep.equal({ weight: 0, routed: false });
        });

        it("a bare promote after the rollout promoted (the README's canary, then promote): 'v2 is already promoted', exit 0, nothing written", async () => {
            const store = new MemoryStack(stackConfig());
            const first = await runCanary({ service: SVC, version: "v2" }, harness({ store }).deps);
            expect(first.outcome, first.message).to.equal("promoted");
            const updates = store.updates.length;
            const before = structuredClone(store.config);
            for (const version of [undefined, "v2"]) {
                const r = await runRollout({ action: "promote", service: SVC, ...(version !== undefined ? { version } : {}) }, harness({ store }).deps);
                expect(r, `promote --version ${String(version)}`).to.deep.include({ outcome: "promoted", exitCode: 0, message: "v2 is already promoted" });
            }
            expect(store.updates.length).to.equal(updates);
            expect(store.config).to.deep.equal(before);
        });

        it("without a canary version names the missing flag", async () => {
            const r = await runRollout({ action: "promote", service: SVC }, harness().deps);
            expect(r.message).to.equal(
                "stack dev, service sample-app: cannot promote:\n  - --version: --version is missing; services.sample-app.canary.version is not set either; name the version to promote, e.g. --version v2",
            );
        });
    });

    describe("webhooks in the loop", () => {
        let server: TestServer | undefined;
        afterEach(async () => {
            await server?.close();
            server = undefined;
        });

        it("a pre-step gate refusing step 2 rolls back; the rollback notification is sent", async () => {
            server = await startServer((req) => {
                const body = JSON.parse(req.body) as { type: string; stepIndex: number };
                return { status: body.type === "pre-step" && body.stepIndex === 1 ? 409 : 200 };
            });
            const h = harness({
                config: stackConfig({
                    webhooks: [
                        { name: "gate", type: "pre-step", url: `${server.url}/gate`, retries: 0 },
                        { name: "notify", type: "rollback", url: `${server.url}/notify` },
                    ],
                }),
            });
            const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
            expect(r).to.deep.include({ outcome: "rolled-back", exitCode: 1, message: "pre-step webhook refused: gate: HTTP 409" });
            expect(ofType(h.events, "webhook").map((w) => [w.hook, w.ok])).to.deep.equal([
                ["gate", true],
                ["gate", false],
                ["notify", true],
            ]);
            expect(h.store.history.map((c) => valueAt(c, ["services", SVC, "canary", "weight"]))).to.deep.equal([10, 0]);
        });

        it("a refusing pre-rollout gate stops before anything is applied", async () => {
            server = await startServer(() => ({ status: 403 }));
            const h = harness({ config: stackConfig({ webhooks: [{ name: "change-freeze", type: "pre-rollout", url: server.url }] }) });
            const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
            expect(r).to.deep.include({ outcome: "rolled-back", exitCode: 1, message: "pre-rollout webhook refused: change-freeze: HTTP 403" });
            expect(h.store.updates).to.have.length(0);
        });

        it("a refusing confirm-promotion gate rolls back after a healthy last step", async () => {
            server = await startServer(() => ({ status: 412 }));
            const h = harness({ config: stackConfig({ webhooks: [{ name: "approve", type: "confirm-promotion", url: server.url }] }), versions: { v1: HEALTHY, v2: HEALTHY } });
            const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
            expect(r.outcome).to.equal("rolled-back");
            expect(valueAt(h.store.applied, ["services", SVC, "stable", "version"])).to.equal("v1");
        });

        it("a failing post-rollout notification only warns", async () => {
            server = await startServer(() => ({ status: 500 }));
            const h = harness({ config: stackConfig({ webhooks: [{ name: "chat", type: "post-rollout", url: server.url, retries: 0 }] }) });
            const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
            expect(r.outcome).to.equal("promoted");
            expect(ofType(h.events, "warning").map((w) => w.message)).to.deep.equal(["post-rollout webhook failed (notification only): chat: HTTP 500"]);
        });
    });
});
