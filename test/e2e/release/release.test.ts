/**
 * Releases end to end: the release library with the real Pulumi engine (our program, on the local control plane),
 * istiod translating the stack's objects, the simulator's traffic split following the routes istiod sends it
 * over xDS (every shift waits until they are in effect before its analysis window), and a real Prometheus
 * scraping it. One stack is shared by every case, in order (each starts from the previous one's end state):
 * v2 healthy -> promoted; v3 20 % errors -> rolled back; v4 slow -> rolled back; v5 Prometheus stopped ->
 * rolled back; v6 SIGKILLed mid-rollout -> rerun resumes and promotes; v7 + a second release -> refused.
 *
 * v9 SIGKILLed during its first `pulumi up` -> the rerun clears Pulumi's stack lock if the orphaned update left it
 * (saying so), resumes and promotes. Every window is judged only after the live split was checked to be the step's.
 *
 * Not proven here: real Envoy behaviour (the simulator takes istiod's routes and models Envoy's routing and
 * Istio's metrics; no Envoy runs).
 */
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { PulumiStackDriver } from "../../../release/driver/pulumiStack";
import { isOwnProgram } from "../../../release/driver/program";
import type { MetricResult, ReleaseEvent } from "../../../release/core/events";
import type { RolloutResult } from "../../../release/rollout";
import { liveSplitOf, type LiveGatewayRoute, type LiveSplit } from "../../../release/core/live";
import { kubeGatewayRouteLister, kubeLiveReader } from "../../../release/driver/kubeLive";
import { runAbTest, runFault, type OneShotDeps } from "../../../release/orchestration/oneShot";
import { sidecarNode, TYPE, XdsClient } from "../../../sim/xds/client";
import { planFromXds } from "../../../sim/xds/plan";
import type { RequestClass } from "../../../sim/routing";
import { connectCluster, type Cluster, type JsonPatchOp } from "../../support/cluster";
import { ensureIstiod } from "../../support/istiod";
import { REPO_ROOT } from "../../support/pulumiProject";
import { e2eRelease, keepReport, pulumiEnv, releaseDeps, SERVICE, shiftToRollbackMs, simShare, startReleaseEnv, type ReleaseEnv, type Run, type StackRef } from "./harness";

const STEPS = [25, 100];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function analyses(events: readonly ReleaseEvent[]): Extract<ReleaseEvent, { type: "analysis" }>[] {
    return events.filter((e): e is Extract<ReleaseEvent, { type: "analysis" }> => e.type === "analysis");
}

function canaryMetric(e: Extract<ReleaseEvent, { type: "analysis" }>, name: string): MetricResult | undefined {
    return e.metrics.find((m) => m.name === name && m.target === "canary");
}

function describeRun(run: Run): string {
    return `${run.result.outcome} (exit ${run.result.exitCode}): ${run.result.message}\n` +
        analyses(run.events)
            .map((a) => `  step ${a.stepIndex} ${a.weight}% ${a.verdict}: ${a.metrics.map((m) => `${m.target} ${m.name}=${m.value}`).join(", ")}`)
            .join("\n");
}

/**
 * `mesh-release canary <version>` in a child process (canaryChild.ts, JSON events on stdout; its last line the result),
 * as a person's run is a process of its own: its lease on the stack is free once it exits. `onEvent` sees each event;
 * "kill" SIGKILLs the child there.
 */
async function canaryChild(ref: StackRef, version: string, onEvent: (e: ReleaseEvent) => Promise<"kill" | undefined> | "kill" | undefined): Promise<{ events: ReleaseEvent[]; result: RolloutResult | undefined; signal: NodeJS.Signals | null; stderr: string }> {
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "canaryChild.ts"), JSON.stringify({ stackName: ref.stackName, workDir: ref.workDir, version })], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const events: ReleaseEvent[] = [];
    let result: RolloutResult | undefined;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    for await (const text of readline.createInterface({ input: child.stdout })) {
        const o = JSON.parse(text) as ReleaseEvent | ({ type: "result" } & RolloutResult);
        if (o.type === "result") {
            result = o;
            continue;
        }
        events.push(o);
        if ((await onEvent(o)) === "kill") {
            child.kill("SIGKILL");
            break;
        }
    }
    return { events, result, signal: await exited, stderr };
}

describe("release end to end (real engine, local control plane, simulator, real Prometheus)", function () {
    this.timeout(600_000);
    let env: ReleaseEnv;
    const started = Date.now();

    before(async function () {
        this.timeout(300_000);
        env = await startReleaseEnv({ rps: 200, release: e2eRelease(STEPS, "3s") });
        // The CLI's default (--program auto) runs this package's program inline for this project, and so does
        // the harness: these cases cover the path users get.
        expect(isOwnProgram(env.workDir), "the release e2e project runs this package's program").to.equal(true);
    });

    after(async () => {
        const p = env?.propagation ?? [];
        const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
        if (p.length > 0) {
            console.log(`    [issue note] propagation after a step's pulumi up, ${p.length} steps: istiod holds the VirtualService ` +
                `median ${med(p.map((x) => x.configMs))} ms (max ${Math.max(...p.map((x) => x.configMs))}); simulator routes by it median ` +
                `${med(p.map((x) => x.routesMs))} ms (max ${Math.max(...p.map((x) => x.routesMs))}); all proxies ACKed median ` +
                `${med(p.map((x) => x.syncedMs))} ms (max ${Math.max(...p.map((x) => x.syncedMs))}); per step: ${JSON.stringify(p)}`);
        }
        await env?.dispose();
        console.log(`    release e2e: ${Math.round((Date.now() - started) / 1000)} s in all`);
    });

    async function stableConfig(): Promise<Record<string, unknown>> {
        const driver = new PulumiStackDriver({ stackName: env.stackName, workDir: env.workDir, pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: pulumiEnv() });
        const { config } = await driver.read();
        return (config["services"] as Record<string, Record<string, unknown>>)[SERVICE] ?? {};
    }

    /** The simulator's split once istiod's routes give `want` (or whatever they give after 15 s). */
    async function liveSplit(want: Record<string, number>): Promise<Record<string, number>> {
        const read = (): Record<string, number> => {
            const out: Record<string, number> = {};
            for (const o of env.sim.stats().routing.outcomes) {
                const k = o.kind === "version" ? o.version : o.kind;
                out[k] = (out[k] ?? 0) + Math.round(o.share * 100);
            }
            return out;
        };
        const t0 = Date.now();
        while (JSON.stringify(read()) !== JSON.stringify(want) && Date.now() - t0 < 15_000) await sleep(50);
        return read();
    }

    it("a healthy v2 is promoted: every step analyzed and passed, then all traffic on v2 and no canary subset left", async () => {
        const run = await env.canary("v2");
        keepReport("v2-promoted", run.events);
        expect(run.result.outcome, describeRun(run)).to.equal("promoted");
        expect(run.result.exitCode).to.equal(0);
        const passed = analyses(run.events).filter((a) => a.verdict === "Successful");
        expect(passed.map((a) => a.weight)).to.include.members(STEPS);
        // Every step's weight was in istiod's routes, and the simulator routed by it, before its analysis window.
        expect(env.propagation.map((p) => p.weight), "steps put in effect through istiod").to.deep.equal(STEPS);
        expect(await liveSplit({ v2: 100 })).to.deep.equal({ v2: 100 });
        const svc = await stableConfig();
        expect((svc["stable"] as Record<string, unknown>)["version"]).to.equal("v2");
        const drs = await connectCluster().listIstio("DestinationRule", env.namespace);
        const subsets = drs.flatMap((d) => ((d.spec?.["subsets"] ?? []) as { name: string }[]).map((s) => s.name));
        expect(subsets).to.not.include("canary");
    });

    it("v3 with 20 % errors is rolled back at the first step, and stops receiving traffic", async () => {
        env.sim.control({ v3: { errorRate: 0.2 } });
        const run = await env.canary("v3");
        keepReport("v3-rolled-back", run.events);
        expect(run.result.outcome, describeRun(run)).to.equal("rolled-back");
        expect(run.result.exitCode).to.equal(1);
        const all = analyses(run.events);
        expect(all.map((a) => [a.stepIndex, a.weight, a.verdict])).to.deep.equal([[0, STEPS[0], "Failed"]]);
        expect(canaryMetric(all[0]!, "request-success-rate")?.value).to.be.within(70, 90);
        expect(run.events.some((e) => e.type === "step-applied" && e.stepIndex > 0)).to.equal(false);
        expect(await liveSplit({ v2: 100 })).to.deep.equal({ v2: 100 });
        const served = env.sim.stats().versions["v3"]?.served ?? 0;
        await sleep(1000);
        expect(env.sim.stats().versions["v3"]?.served, "v3 still gets traffic after the rollback").to.equal(served);
        const ms = shiftToRollbackMs(run.events);
        expect(ms).to.be.a("number");
        console.log(`    [issue note] bad version v3 (20 % errors, ${STEPS[0]} % first step, 3 s interval, 200 req/s): ` +
            `${((ms ?? 0) / 1000).toFixed(1)} s from the first shift to the end of the rollback; v3 served ${served} requests ` +
            `(${env.sim.stats().versions["v3"]?.errors ?? 0} failed)`);
    });

    it("a slow v4 (p95 over 1000 ms) is rolled back at the first step", async () => {
        env.sim.control({ v4: { latencyMs: 1500 } });
        const run = await env.canary("v4");
        keepReport("v4-slow", run.events);
        expect(run.result.outcome, describeRun(run)).to.equal("rolled-back");
        const first = analyses(run.events)[0];
        expect(first?.verdict).to.equal("Failed");
        const p95 = first === undefined ? undefined : canaryMetric(first, "latency-p95");
        expect(p95?.verdict).to.equal("Failed");
        expect(p95?.value).to.be.greaterThan(1000);
        expect(canaryMetric(first!, "request-success-rate")?.verdict).to.equal("Successful");
        expect(await liveSplit({ v2: 100 })).to.deep.equal({ v2: 100 });
    });

    it("Prometheus stopped mid-rollout ends in a rollback, never a promotion", async () => {
        let stopping: Promise<void> | undefined;
        try {
            const run = await env.canary("v5", {}, (e) => {
                if (e.type === "step-applied" && stopping === undefined) {
                    stopping = env.stopPrometheus();
                }
            });
            keepReport("v5-prometheus-down", run.events);
            expect(run.result.outcome, describeRun(run)).to.equal("rolled-back");
            expect(run.events.some((e) => e.type === "promotion-started")).to.equal(false);
            const verdicts = analyses(run.events).map((a) => a.verdict);
            expect(verdicts).to.not.include("Successful");
            expect(verdicts).to.include("Error");
            expect(await liveSplit({ v2: 100 })).to.deep.equal({ v2: 100 });
        } finally {
            await stopping;
            await env.restartPrometheus();
        }
    });

    /**
     * Runs `mesh-release canary <version>` in a child process (canaryChild.ts), SIGKILLs it `delayMs` after the first
     * event `at` matches, and returns the events it emitted; fails unless it died by the kill.
     */
    async function killCanaryChild(version: string, at: (e: ReleaseEvent) => boolean, delayMs: number, notReached: string): Promise<ReleaseEvent[]> {
        const r = await canaryChild(env, version, async (e) => {
            if (!at(e)) return undefined;
            if (delayMs > 0) await sleep(delayMs);
            return "kill";
        });
        expect(r.signal, `${notReached}:\n${r.stderr}\n${JSON.stringify(r.events)}`).to.equal("SIGKILL");
        return r.events;
    }

    it("a release SIGKILLed mid-rollout resumes when run again, re-analyzes the step, and promotes", async () => {
        const seen = await killCanaryChild("v6", (e) => e.type === "analysis-waiting" && e.stepIndex === 0, 0, "child did not reach the analysis of step 1");
        expect(seen.some((e) => e.type === "step-applied" && e.stepIndex === 0)).to.equal(true);

        const run = await env.canary("v6");
        keepReport("v6-resumed", run.events);
        expect(run.result.outcome, describeRun(run)).to.equal("promoted");
        const start = run.events.find((e) => e.type === "rollout-started");
        expect(start?.type === "rollout-started" && start.resumed).to.equal(true);
        expect(start?.type === "rollout-started" ? start.state.stepIndex : undefined).to.equal(0);
        // The step the killed run applied is analyzed again by the rerun before anything moves on.
        const firstAnalysis = analyses(run.events)[0];
        expect([firstAnalysis?.stepIndex, firstAnalysis?.verdict]).to.deep.equal([0, "Successful"]);
        const passedSteps = analyses(run.events).filter((a) => a.verdict === "Successful").map((a) => a.stepIndex);
        expect(passedSteps).to.include.members([0, 1]);
        expect(await liveSplit({ v6: 100 })).to.deep.equal({ v6: 100 });
    });

    it("two releases on one stack: the second is refused at once and changes nothing; the first then aborts cleanly", async () => {
        const abort = new AbortController();
        let second: Run | undefined;
        let secondStarted = 0;
        const first = await env.canary("v7", { signal: abort.signal }, (e) => {
            if (e.type === "step-applied" && secondStarted === 0) {
                secondStarted = Date.now();
                void env.canary("v8").then((r) => {
                    second = r;
                    abort.abort();
                });
            }
        });
        expect(second, "the second release never finished").to.not.equal(undefined);
        expect(second?.result.outcome).to.equal("failed");
        expect(second?.result.exitCode).to.equal(3);
        expect(second?.result.message).to.match(/another release holds stack/);
        expect(second?.events.map((e) => e.type)).to.deep.equal(["rollout-finished"]);
        expect(first.result.outcome, describeRun(first)).to.equal("aborted");
        expect(first.result.exitCode).to.equal(1);
        expect(await liveSplit({ v6: 100 })).to.deep.equal({ v6: 100 });
    });

    it("a release SIGKILLed during a pulumi up: the rerun is not blocked by the stack lock, resumes and promotes", async () => {
        // The worst moment: 1.5 s into the update, the engine is applying the step.
        const seen = await killCanaryChild("v9", (e) => e.type === "update-started" && e.purpose === "shift", 1500, "child did not reach its first update");
        expect(seen.some((e) => e.type === "update-finished"), "killed before the update finished").to.equal(false);
        // The orphaned `pulumi up` ends on its own (its program's process is gone); the rerun starts after it, as a
        // person's would: nothing runs, but the lock it may have left is still there.
        const orphans = (): boolean => spawnSync("pgrep", ["-f", `pulumi up .*--stack ${env.stackName}`]).status === 0;
        for (let i = 0; i < 60 && orphans(); i++) {
            await sleep(500);
        }
        expect(orphans(), "the orphaned pulumi up is still running after 30 s").to.equal(false);

        const run = await env.canary("v9");
        keepReport("v9-killed-during-update", run.events);
        expect(run.result.outcome, `${describeRun(run)}\n${JSON.stringify(run.events.filter((e) => e.type === "warning"))}`).to.equal("promoted");
        const lockNotices = run.events.filter((e) => e.type === "warning" && /cleared Pulumi's stack lock/.test(e.message));
        console.log(`    kill during update: ${lockNotices.length} stale stack lock(s) cleared by the rerun`);
        expect(lockNotices.length, "one lock, one notice").to.be.at.most(1);
        expect(await liveSplit({ v9: 100 })).to.deep.equal({ v9: 100 });
    });
});

/** The JSON patch a person would write on the mesh HTTPRoute: the catch-all rule's backendRefs weights, `canary`% to the canary's version Service. */
function catchAllWeights(hr: LiveGatewayRoute, canaryService: string, canary: number): JsonPatchOp[] {
    const rules = hr.spec?.rules ?? [];
    const i = rules.findIndex((r) => r.name === "catch-all");
    expect(i, `no catch-all rule in ${JSON.stringify(hr.spec)}`).to.be.greaterThan(-1);
    const refs = rules[i]?.backendRefs ?? [];
    return refs.map((b, j): JsonPatchOp => ({ op: "replace", path: `/spec/rules/${i}/backendRefs/${j}/weight`, value: b.name === canaryService ? canary : 100 - canary }));
}

/** `kubectl patch httproute NAME --type json` as a person runs it (its own field manager). */
async function patchHttpRoute(cluster: Cluster, namespace: string, name: string, ops: JsonPatchOp[]): Promise<void> {
    const k8s = await import("@kubernetes/client-node");
    const api = cluster.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    await api.patchNamespacedCustomObject(
        { group: "gateway.networking.k8s.io", version: "v1", namespace, plural: "httproutes", name, body: ops, fieldManager: "kubectl-patch" },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
    );
}

/**
 * The same release on a `routingApi: gateway-api` stack (the harness's Pulumi.dev.yaml less what that mode refuses):
 * the steps move the mesh HTTPRoute's backendRefs weights, istiod turns them into weighted clusters of the version
 * Services, and the simulator follows them. Only what differs by mode runs again: a promotion, a bad canary rolled
 * back, a hand edit of the HTTPRoute's weights (the rollout stops, the rollback names it), a pin and the A/B flag on
 * istiod's routes, and a fault refused before anything is written.
 */
describe("release end to end in Gateway API mode (HTTPRoute backendRefs weights; real engine, istiod, simulator, Prometheus)", function () {
    this.timeout(300_000);
    let env: ReleaseEnv;
    const started = Date.now();
    const cluster = connectCluster();

    before(async function () {
        this.timeout(process.env["MESH_ISTIOD_BUILD_RC_FILE"] !== undefined ? 1_900_000 : 300_000);
        env = await startReleaseEnv({ rps: 200, release: e2eRelease(STEPS, "3s"), namespacePrefix: "mesh-relgw", routingApi: "gateway-api" });
    });

    after(async () => {
        await env?.dispose();
        console.log(`    release e2e (gateway-api): ${Math.round((Date.now() - started) / 1000)} s in all`);
    });

    const httpRoute = async (): Promise<LiveGatewayRoute | undefined> => (await (await kubeGatewayRouteLister())(env.namespace)).find((r) => r.kind === "HTTPRoute" && r.metadata?.name === SERVICE);
    const live = async (canary: string): Promise<LiveSplit | undefined> => liveSplitOf(await kubeLiveReader()(env.namespace), env.namespace, SERVICE, { canary });
    /** The catch-all rule's backendRefs, names and weights. */
    const catchAllRefs = async (): Promise<{ name?: string; weight?: number }[] | undefined> =>
        (await httpRoute())?.spec?.rules?.find((r) => r.name === "catch-all")?.backendRefs?.map(({ name, weight }) => ({ name, weight }));
    const oneShotDeps = (sink: unknown[]): OneShotDeps => ({ ...releaseDeps(env, (e) => sink.push(e)), emit: (e) => sink.push(e) });

    it("a healthy v2 is promoted through the HTTPRoute's weights: each step in istiod's routes before its window; then only v2's Service", async () => {
        const run = await env.canary("v2");
        expect(run.result.outcome, describeRun(run)).to.equal("promoted");
        expect(analyses(run.events).filter((a) => a.verdict === "Successful").map((a) => a.weight)).to.include.members(STEPS);
        expect(env.propagation.map((p) => p.weight), "steps put in effect through istiod").to.deep.equal(STEPS);
        expect(await catchAllRefs()).to.deep.equal([{ name: `${SERVICE}-v2`, weight: 100 }]);
        expect(await cluster.listIstio("VirtualService", env.namespace), "no VirtualService in this mode").to.deep.equal([]);
        expect(simShare(env.sim, "v2")).to.equal(100);
    });

    it("v3 with 20 % errors is rolled back at the first step; the HTTPRoute sends it nothing", async () => {
        env.sim.control({ v3: { errorRate: 0.2 } });
        const run = await env.canary("v3");
        expect(run.result.outcome, describeRun(run)).to.equal("rolled-back");
        expect(analyses(run.events).map((a) => [a.weight, a.verdict])).to.deep.equal([[STEPS[0], "Failed"]]);
        expect((await live("v3"))?.canary).to.equal(0);
        const t0 = Date.now();
        while (simShare(env.sim, "v2") !== 100 && Date.now() - t0 < 15_000) await sleep(50);
        expect(simShare(env.sim, "v2")).to.equal(100);
    });

    it("a hand edit of the HTTPRoute's weights mid-step stops the rollout (exit 3, naming it); the rollback names the edit it overwrites", async () => {
        let patching: Promise<unknown> | undefined;
        // A process of its own, as a person's run: the stop leaves the lease to its exit.
        const child = await canaryChild(env, "v4", (e) => {
            if (e.type === "analysis-waiting" && e.stepIndex === 0 && patching === undefined) {
                patching = (async () => {
                    const hr = await httpRoute();
                    expect(hr, "the live HTTPRoute").to.not.equal(undefined);
                    await patchHttpRoute(cluster, env.namespace, SERVICE, catchAllWeights(hr!, `${SERVICE}-v4`, 100));
                })();
            }
            return undefined;
        });
        await patching;
        const result = child.result;
        expect([result?.outcome, result?.exitCode], `${child.stderr}\n${JSON.stringify(child.events.slice(-5))}`).to.deep.equal(["failed", 3]);
        expect(result?.message).to.include(`HTTPRoute ${env.namespace}/${SERVICE} sends 100% to the canary, but this step applied ${STEPS[0]}%`);
        expect(child.events.some((e) => e.type === "update-started" && e.purpose !== "shift"), "nothing written after the edit").to.equal(false);
        expect((await live("v4"))?.canary, "the hand edit is not overwritten").to.equal(100);

        const rollback = await env.canary("v4", {}, undefined, "rollback");
        expect(rollback.result.outcome, describeRun(rollback)).to.equal("rolled-back");
        const edit = rollback.events.find((e) => e.type === "hand-edit");
        expect(edit?.type === "hand-edit" ? [edit.object, edit.live, edit.writes, edit.changesTraffic] : edit).to.deep.equal([`HTTPRoute ${env.namespace}/${SERVICE}`, 100, 0, true]);
        expect((await live("v4"))?.canary).to.equal(0);
    });

    it("a pin (header canary: true) and the A/B flag reach the canary's Service in istiod's routes, the rest splits 50/50", async () => {
        const out: unknown[] = [];
        const r = await runAbTest({ service: SERVICE, flag: { name: "x-new-checkout", value: "enabled", cookie: false }, split: 50 }, oneShotDeps(out));
        expect(r.exitCode, `${r.message}\n${JSON.stringify(out)}`).to.equal(0);
        expect((await live("v4"))?.canary).to.equal(50);
        // What istiod serves a sidecar of the namespace, with requests carrying the pin's header and the flag.
        const istiod = await ensureIstiod();
        const client = new XdsClient({ address: istiod.xdsAddress, node: sidecarNode({ namespace: env.namespace, podName: "client-gwapi", ip: "10.254.9.1", labels: { app: "client" } }) });
        try {
            const requestMix: RequestClass[] = [{ share: 0.2, headers: { canary: "true" } }, { share: 0.2, headers: { "x-new-checkout": "enabled" } }];
            const shares = await client.waitFor("the A/B split in the routes", (c) => {
                const plan = planFromXds({ service: { name: SERVICE, namespace: env.namespace }, port: 8080, routeConfigs: c.resources(TYPE.route), clusters: c.resources(TYPE.cluster), endpoints: c.resources(TYPE.endpoint), requestMix });
                const s: Record<string, number> = {};
                for (const o of plan.outcomes) s[o.kind === "version" ? o.version : o.kind] = Number(((s[o.kind === "version" ? o.version : o.kind] ?? 0) + o.share).toFixed(6));
                return s["v4"] === 0.7 ? s : undefined;
            }, 30_000);
            expect(shares).to.deep.equal({ v2: 0.3, v4: 0.7 });
        } finally {
            client.close();
        }
    });

    it("a fault is refused in this mode before anything is written (exit 2, the path and the fix)", async () => {
        const out: unknown[] = [];
        const before = await catchAllRefs();
        const r = await runFault({ service: SERVICE, fault: { kind: "delay", percentage: 10, fixedDelay: "5s" } }, oneShotDeps(out));
        expect(r.exitCode, `${r.message}\n${JSON.stringify(out)}`).to.equal(2);
        expect(`${r.message} ${r.hint ?? ""}`).to.match(new RegExp(`services\\.${SERVICE}\\.faults[^]*routingApi gateway-api`));
        expect(out.some((e) => (e as { type?: string }).type === "update-started"), "no update ran").to.equal(false);
        expect(await catchAllRefs()).to.deep.equal(before);
    });
});
