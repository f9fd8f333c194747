/**
 * The orchestrator (release/rollout/) with the in-memory driver, a fake clock and fake metrics: every
 * path of issue 4's safety list. What these do not prove: the Pulumi engine, a real Prometheus or real
 * signals (the e2e suite and the CLI tests cover those).
 */
import { expect } from "chai";
import { AWKWARD_SECRET, expectNoSecret } from "../../support/secrets";
import { durationMs } from "../../../components/validation";
import type { RolloutState } from "../../../contract/release";
import { valueAt } from "../../../contract/paths";
import { MemoryStack } from "../../../release/driver/memory";
import { runCanary } from "../../../release/rollout";
import { stackValidator } from "../../../release/env/check";
import { HEALTHY, SVC, canaryOf, failAttempts, harness, ofType, stackConfig } from "./fakes";

const recorded = (store: MemoryStack): RolloutState => JSON.parse(String(valueAt(store.config, ["rollouts", SVC]))) as RolloutState;

describe("release/rollout runCanary", () => {
    it("healthy: every step applied and analyzed, then promoted in two updates in Istio's order", async () => {
        const h = harness();
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ outcome: "promoted", exitCode: 0, message: "v2 promoted" });
        // 3 shifts + 2 promotion updates, in order.
        expect(h.store.updates.map((u) => u.message)).to.deep.equal([
            "mesh-release: sample-app v2 step 1 weight 10%",
            "mesh-release: sample-app v2 step 2 weight 50%",
            "mesh-release: sample-app v2 step 3 weight 100%",
            "mesh-release: promote sample-app v2 (1/2)",
            "mesh-release: promote sample-app v2 (2/2)",
        ]);
        expect(h.store.history.map((c) => valueAt(c, ["services", SVC, "canary", "weight"]))).to.deep.equal([10, 50, 100, 0, 0]);
        // Promotion 1: stable is v2, no canary route, the canary subset now selects the old stable v1 (still
        // deployed, unrouted: a canary version equal to stable is refused by the stack rules); 2: the canary subset gone.
        expect(valueAt(h.store.history[3], ["services", SVC])).to.deep.include({ stable: { version: "v2" } });
        expect(canaryOf(h.store.history[3])).to.deep.equal({ version: "v1", weight: 0, routed: false });
        expect(canaryOf(h.store.history[4])).to.deep.equal({ weight: 0, routed: false });
        expect(recorded(h.store)).to.deep.include({ phase: "Promoted", version: "v2", stepIndex: 2 });
        const analyses = ofType(h.events, "analysis");
        expect(analyses.map((a) => [a.stepIndex, a.weight, a.verdict])).to.deep.equal([
            [0, 10, "Successful"],
            [1, 50, "Successful"],
            [2, 100, "Successful"],
        ]);
        // Each analysis waited one interval after its update.
        expect(h.clock.sleeps).to.deep.equal([2000, 2000, 2000]);
        expect(ofType(h.events, "rollout-finished")[0]).to.deep.include({ outcome: "promoted", exitCode: 0 });
    });

    it("one revision per rollout: every step writes the rollout's revision, the promotion removes it, the next rollout writes another", async () => {
        const h = harness();
        await runCanary({ service: SVC, version: "v2" }, h.deps);
        const revisionAt = (c: Record<string, unknown> | undefined): unknown => valueAt(c, ["services", SVC, "canary", "revision"]);
        const first = revisionAt(h.store.history[0]);
        expect(first).to.match(/^r[0-9a-z]+$/);
        expect(recorded(h.store).revision, "the recorded state keeps it").to.equal(first);
        // Three shifts carry it; promotion's first update keeps it (no route is sticky then: routed false), the second removes it.
        expect(h.store.history.map(revisionAt)).to.deep.equal([first, first, first, first, undefined]);
        h.clock.t += 60_000;
        await runCanary({ service: SVC, version: "v3" }, h.deps); // (no metrics for v3: it rolls back after its first step)
        const second = revisionAt(h.store.history[5]);
        expect(second).to.match(/^r[0-9a-z]+$/);
        expect(second, "a later rollout names another release").to.not.equal(first);
    });

    it("with the stack's own config rules wired as the CLI wires them, every update of a promotion is a valid stack", async () => {
        const h = harness();
        const checked: number[] = [];
        const r = await runCanary(
            { service: SVC, version: "v2" },
            {
                ...h.deps,
                validate: (config) => {
                    const problems = stackValidator(config);
                    checked.push(problems.length);
                    return problems;
                },
            },
        );
        expect(r, r.message).to.deep.include({ outcome: "promoted", exitCode: 0 });
        expect(checked.length, "every update was validated").to.be.greaterThanOrEqual(5);
        expect(checked.every((n) => n === 0)).to.equal(true);
    });

    it("awaitRouting: each shift's analysis window starts only after the mesh serves the new split", async () => {
        const h = harness();
        const order: string[] = [];
        const steps: unknown[] = [];
        const r = await runCanary(
            { service: SVC, version: "v2" },
            {
                ...h.deps,
                emit: (e) => {
                    if (e.type === "analysis-waiting") order.push(`window ${e.weight}`);
                    h.deps.emit(e);
                },
                awaitRouting: (step) => {
                    order.push(`routing ${step.weight}`);
                    steps.push(step);
                    return Promise.resolve();
                },
            },
        );
        expect(r.outcome).to.equal("promoted");
        expect(order).to.deep.equal(["routing 10", "window 10", "routing 50", "window 50", "routing 100", "window 100"]);
        expect(steps[0]).to.deep.equal({ service: SVC, namespace: String(valueAt(h.store.config, ["namespace"])), stepIndex: 0, weight: 10 });
    });

    it("awaitRouting rejecting (the split never took effect): the step fails like an update and the canary is rolled back, never analyzed", async () => {
        const h = harness();
        const r = await runCanary(
            { service: SVC, version: "v2" },
            { ...h.deps, awaitRouting: () => Promise.reject(new Error("istiod did not report the config synced within 30000 ms")) },
        );
        expect(r.outcome).to.equal("rolled-back");
        expect(ofType(h.events, "analysis")).to.deep.equal([]);
        expect(recorded(h.store).message ?? JSON.stringify(recorded(h.store))).to.match(/the mesh did not put weight 10% in effect: istiod did not report the config synced within 30000 ms/);
        expect(canaryOf(h.store.config)).to.deep.include({ weight: 0, routed: false });
    });

    it("20% errors: rolled back at the first step, canary unrouted but deployed", async () => {
        const h = harness({ versions: { v1: HEALTHY, v2: { ...HEALTHY, successRate: 80 } } });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        expect(r.exitCode).to.equal(1);
        expect(r.message).to.equal("step 1 analysis failed (1 failed, limit 0): request-success-rate 80 < 95");
        expect(h.store.history.map((c) => canaryOf(c))).to.deep.equal([
            { version: "v2", weight: 10, routed: true },
            { version: "v2", weight: 0, routed: false },
        ]);
        expect(recorded(h.store)).to.deep.include({ phase: "RolledBack", failedChecks: 1 });
        expect(ofType(h.events, "rollback-started")[0]).to.deep.include({ aborted: false });
    });

    it("slow (p95 over the threshold): rolled back", async () => {
        const h = harness({ versions: { v1: HEALTHY, v2: { ...HEALTHY, p95: 2500 } } });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ outcome: "rolled-back", exitCode: 1, message: "step 1 analysis failed (1 failed, limit 0): latency-p95 2500 > 1000" });
    });

    it("Prometheus down: consecutive errors up to the limit, then rolled back, never promoted", async () => {
        const h = harness({ config: stackConfig({ analysis: { errorLimit: 2 } }) });
        h.metrics.down = true;
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        expect(ofType(h.events, "analysis").map((a) => [a.verdict, a.counters.errorChecks])).to.deep.equal([
            ["Error", 1],
            ["Error", 2],
            ["Error", 3],
        ]);
        expect(r.message).to.equal("step 1 analysis errored 3 times in a row (limit 2): request count query failed: connection refused");
        expect(h.store.updates.some((u) => u.message.includes("promote"))).to.equal(false);
    });

    it("Prometheus failing mid-rollout after good steps still ends in rollback", async () => {
        const h = harness({ config: stackConfig({ analysis: { errorLimit: 0 } }) });
        h.deps.emit = (e) => {
            h.events.push(e);
            if (e.type === "step-applied" && e.stepIndex === 1) {
                h.metrics.down = true;
            }
        };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        expect(ofType(h.events, "analysis").map((a) => a.verdict)).to.deep.equal(["Successful", "Error"]);
    });

    it("no traffic to the canary: Inconclusive until the limit, then rolled back (no data is never a pass)", async () => {
        const h = harness({ config: stackConfig({ analysis: { inconclusiveLimit: 1 } }), versions: { v1: HEALTHY, v2: { successRate: null, p95: null, requests: 0 } } });
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        expect(ofType(h.events, "analysis").map((a) => a.verdict)).to.deep.equal(["Inconclusive", "Inconclusive"]);
    });

    it("resume after a kill during an analysis: the applied step is analyzed again, not skipped, not re-applied", async () => {
        const store = new MemoryStack(stackConfig());
        const first = harness({ store });
        first.clock.killAtSleep = 2; // dies while waiting for step 2's analysis
        const killed = await runCanary({ service: SVC, version: "v2" }, first.deps);
        expect(killed).to.deep.include({ outcome: "failed", exitCode: 3 });
        expect(recorded(store)).to.deep.include({ phase: "Progressing", stepIndex: 1, stepApplied: true, stepAnalyzed: false });
        const updatesBefore = store.updates.length;

        const second = harness({ store });
        const r = await runCanary({ service: SVC, version: "v2" }, second.deps);
        expect(r.outcome).to.equal("promoted");
        expect(ofType(second.events, "rollout-started")[0]).to.deep.include({ resumed: true });
        // The first thing after the resume is step 2's analysis (no update before it).
        const firstAnalysisIdx = second.events.findIndex((e) => e.type === "analysis");
        expect(second.events.slice(0, firstAnalysisIdx).filter((e) => e.type === "update-started")).to.have.length(0);
        expect(ofType(second.events, "analysis").map((a) => a.stepIndex)).to.deep.equal([1, 2]);
        expect(store.updates.slice(updatesBefore).map((u) => u.message)).to.deep.equal([
            "mesh-release: sample-app v2 step 3 weight 100%",
            "mesh-release: promote sample-app v2 (1/2)",
            "mesh-release: promote sample-app v2 (2/2)",
        ]);
    });

    it("resume after a kill during an update: the step is applied again, then analyzed", async () => {
        const store = new MemoryStack(stackConfig());
        const first = harness({ store });
        // Killed right after step 2's update succeeded, before its state was recorded: the recorded state
        // still says "written, not applied" (it went in with the update's edits).
        const write = first.driver.write.bind(first.driver);
        first.driver.write = (edits) =>
            edits.some((e) => "value" in e && typeof e.value === "string" && e.value.includes('"stepIndex":1,') && e.value.includes('"stepApplied":true'))
                ? Promise.reject(new Error("killed (simulated SIGKILL)"))
                : write(edits);
        const killed = await runCanary({ service: SVC, version: "v2" }, first.deps);
        expect(killed.outcome).to.equal("failed");
        expect(recorded(store)).to.deep.include({ stepIndex: 1, stepApplied: false });
        expect(store.updates.map((u) => u.ok)).to.deep.equal([true, true]);
        const second = harness({ store });
        await runCanary({ service: SVC, version: "v2" }, second.deps);
        const kinds = second.events.filter((e) => e.type === "update-started" || e.type === "analysis").map((e) => (e.type === "analysis" ? `analysis ${e.stepIndex}` : `update ${e.weight}`));
        expect(kinds.slice(0, 3)).to.deep.equal(["update 50", "analysis 1", "update 100"]);
    });

    it("resume keeps the failed-check counters across a kill", async () => {
        const store = new MemoryStack(stackConfig({ analysis: { failureLimit: 1 } }));
        const bad = { v1: HEALTHY, v2: { ...HEALTHY, successRate: 90 } };
        const first = harness({ store, versions: bad });
        first.clock.killAtSleep = 2;
        await runCanary({ service: SVC, version: "v2" }, first.deps);
        expect(recorded(store).failedChecks).to.equal(1);
        const second = harness({ store, versions: bad });
        const r = await runCanary({ service: SVC, version: "v2" }, second.deps);
        expect(r.message).to.equal("step 1 analysis failed (2 failed, limit 1): request-success-rate 90 < 95");
    });

    it("concurrent: a second release on the same stack is refused before it writes anything", async () => {
        const store = new MemoryStack(stackConfig());
        store.lockHolder = "mesh-release canary sample-app v2 (pid 4242)";
        const before = structuredClone(store.config);
        const h = harness({ store });
        const r = await runCanary({ service: SVC, version: "v3" }, h.deps);
        expect(r).to.deep.include({ outcome: "failed", exitCode: 3, message: "another release holds stack dev: mesh-release canary sample-app v2 (pid 4242)" });
        expect(r.hint).to.equal("one release per stack at a time; wait for the other one");
        expect(store.config).to.deep.equal(before);
        expect(store.updates).to.have.length(0);
    });

    it("Pulumi's ConcurrentUpdateError during an update fails fast (no retry) with exit code 3", async () => {
        const h = harness();
        h.store.failUpdate = () => "concurrent";
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ outcome: "failed", exitCode: 3 });
        expect(r.hint).to.equal(
            "Pulumi's stack lock is held (the message names its owner and the command that clears it when that update is gone); then run the same command again (it resumes)",
        );
        expect(h.store.updates).to.have.length(1);
    });

    it("a rollout of another version in flight is refused (exit 2), nothing written", async () => {
        const store = new MemoryStack(stackConfig());
        const first = harness({ store });
        first.clock.killAtSleep = 1;
        await runCanary({ service: SVC, version: "v2" }, first.deps);
        const snapshot = structuredClone(store.config);
        const second = harness({ store });
        const r = await runCanary({ service: SVC, version: "v3" }, second.deps);
        expect(r).to.deep.include({
            exitCode: 2,
            message: "stack dev, service sample-app: a rollout of v2 is Progressing (step 1/3); v3 cannot start before it ends",
            hint: "finish it first: mesh-release canary --version v2 (resume), or mesh-release abort",
        });
        expect(store.config).to.deep.equal(snapshot);
    });

    it("a failing update is retried with exponential backoff, then succeeds", async () => {
        const h = harness();
        h.store.failUpdate = failAttempts(0, 1);
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("promoted");
        const failed = ofType(h.events, "update-finished").filter((e) => !e.ok);
        expect(failed.map((e) => [e.attempt, e.retryInMs])).to.deep.equal([
            [1, 1000],
            [2, 2000],
        ]);
        expect(h.clock.sleeps.slice(0, 2)).to.deep.equal([1000, 2000]);
    });

    it("an update failing after every retry rolls back", async () => {
        const h = harness();
        h.store.failUpdate = (n) => (n >= 1 && n <= 3 ? "failed" : undefined); // step 2's three attempts
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ outcome: "rolled-back", exitCode: 1, message: "update failed: simulated failed update of stack dev" });
        expect(canaryOf(h.store.applied)).to.deep.include({ weight: 0, routed: false });
    });

    it("a rollback whose update keeps failing exits 3 and leaves RollingBack recorded for a rerun", async () => {
        const h = harness({ versions: { v1: HEALTHY, v2: { ...HEALTHY, successRate: 1 } } });
        h.store.failUpdate = (n) => (n >= 1 ? "failed" : undefined);
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ outcome: "failed", exitCode: 3 });
        expect(r.hint).to.equal("run: mesh-release rollback --stack dev --service sample-app");
        expect(recorded(h.store).phase).to.equal("RollingBack");
        h.store.failUpdate = () => undefined;
        const again = await runCanary({ service: SVC, version: "v2" }, harness({ store: h.store }).deps);
        expect(again.outcome).to.equal("rolled-back");
    });

    it("SIGINT during an analysis window: rolled back at once, recorded Aborted, exit 1", async () => {
        const ac = new AbortController();
        const h = harness({ signal: ac.signal });
        h.deps.emit = (e) => {
            h.events.push(e);
            if (e.type === "analysis-waiting" && e.stepIndex === 1) {
                ac.abort();
            }
        };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ outcome: "aborted", exitCode: 1, message: "aborted: interrupted by a signal" });
        expect(recorded(h.store).phase).to.equal("Aborted");
        expect(canaryOf(h.store.applied)).to.deep.include({ weight: 0, routed: false });
        expect(ofType(h.events, "analysis").map((a) => a.stepIndex)).to.deep.equal([0]);
    });

    it("SIGTERM during an update: the update is cancelled, then rolled back (the rollback itself is not cancellable)", async () => {
        const ac = new AbortController();
        const h = harness({ signal: ac.signal });
        h.store.updateMs = 20;
        h.deps.emit = (e) => {
            h.events.push(e);
            if (e.type === "update-started" && e.weight === 50) {
                ac.abort();
            }
        };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("aborted");
        expect(h.store.updates.map((u) => [u.message, u.ok])).to.deep.equal([
            ["mesh-release: sample-app v2 step 1 weight 10%", true],
            ["mesh-release: sample-app v2 step 2 weight 50%", false],
            ["mesh-release: roll back sample-app v2", true],
        ]);
    });

    it("bad input is refused before anything is applied, with every problem named", async () => {
        const h = harness({ config: stackConfig({ steps: [50, 10], interval: "soon" }) });
        const before = structuredClone(h.store.config);
        const r = await runCanary({ service: SVC, version: "V2!", overrides: { successRate: "120" } }, h.deps);
        expect(r.exitCode).to.equal(2);
        expect(r.message).to.equal(
            [
                "stack dev, service sample-app: cannot start the rollout:",
                // The flags first (checked before the stack is read), then what the stack adds.
                `  - --version: --version is "V2!"; it must be a lower-case version label of at most 40 characters (letters, digits, '-', '.'), such as v2`,
                '  - --success-rate: --success-rate is "120"; it must be a number from 0 to 100',
                '  - release.interval: release.interval is "soon"; it must be a Go-style duration such as 500ms, 30s or 1m30s',
            ].join("\n"),
        );
        expect(h.store.config).to.deep.equal(before);
        expect(h.store.updates).to.have.length(0);
    });

    it("an unknown service names the known ones", async () => {
        const h = harness();
        const r = await runCanary({ service: "nope", version: "v2" }, h.deps);
        expect(r.message).to.equal("stack dev, service nope: cannot start the rollout:\n  - services.nope: services.nope does not exist in the stack config; known services: sample-app");
    });

    it("the stack validator runs on the config a shift would write, before writing it", async () => {
        const h = harness();
        h.deps.validate = (cfg) => (valueAt(cfg, ["services", SVC, "canary", "version"]) === "v2" ? [{ propertyPath: `services.${SVC}.canary.version`, reason: "no image for v2" }] : []);
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r).to.deep.include({ exitCode: 2, message: "stack dev: the config this rollout would write is invalid:\n  - services.sample-app.canary.version: no image for v2" });
        expect(h.store.updates).to.have.length(0);
    });

    it("flags override the stack policy (steps, interval)", async () => {
        const h = harness();
        const r = await runCanary({ service: SVC, version: "v2", overrides: { steps: "25,100", interval: "5s" } }, h.deps);
        expect(r.outcome).to.equal("promoted");
        expect(ofType(h.events, "rollout-started")[0]).to.deep.include({ steps: [25, 100], intervalMs: durationMs("5s") });
        expect(h.clock.sleeps).to.deep.equal([5000, 5000]);
    });

    it("secrets never reach events or results, even when a lower layer echoes them", async () => {
        const token = "tok-3f9a1c77e2";
        const h = harness({ config: stackConfig({ prometheus: { url: "http://127.0.0.1:9", bearerToken: token } }) });
        h.store.secrets = [token];
        h.metrics.down = true;
        h.metrics.downMessage = `401 from proxy: Authorization: Bearer ${token}`;
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        const everything = JSON.stringify(h.events) + JSON.stringify(r) + JSON.stringify(h.store.config.rollouts);
        expect(everything).to.not.include(token);
        expect(everything).to.include("Bearer [secret]");
    });

    it("secrets in any spelling (URL-encoded, JSON-escaped once and twice) never reach events, results or the recorded state", async () => {
        const h = harness({ config: stackConfig({ prometheus: { url: "http://127.0.0.1:9", bearerToken: AWKWARD_SECRET } }) });
        h.store.secrets = [AWKWARD_SECRET];
        h.metrics.down = true;
        h.metrics.downMessage = `proxy: ${encodeURIComponent(AWKWARD_SECRET)} ${JSON.stringify({ token: AWKWARD_SECRET })} ${JSON.stringify(JSON.stringify(AWKWARD_SECRET))}`;
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome).to.equal("rolled-back");
        const everything = JSON.stringify(h.events) + JSON.stringify(r) + JSON.stringify(h.store.config.rollouts);
        expectNoSecret(everything);
        expectNoSecret(h.events.map((e) => JSON.stringify(e)).join("\n"));
        expect(JSON.stringify(h.events)).to.include("proxy: [secret]");
    });

    it("an already promoted version is a no-op (exit 0, no update)", async () => {
        const h = harness();
        await runCanary({ service: SVC, version: "v2" }, h.deps);
        // v2 is now stable: asking again is a usage error (it is the stable version).
        const again = harness({ store: h.store });
        const r = await runCanary({ service: SVC, version: "v2" }, again.deps);
        expect(r.exitCode).to.equal(2);
        expect(r.message).to.include(`--version is "v2", which is already the stable version of ${SVC}`);
    });
});
