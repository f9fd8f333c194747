/**
 * A service is the unit of release, end to end: the `mesh-release` bin (child processes) on the real engine,
 * our program on the local control plane, one simulator per service (following the delegate VirtualServices)
 * and a real Prometheus, the Pulumi state on the backend scripts/e2e.sh chose.
 *
 * One environment `e2e-<id>`: a platform stack (namespace, ingress root routes, the release policy) and two
 * service stacks `e2e-<id>.checkout` and `e2e-<id>.search` (no release policy of their own: they inherit the
 * platform's, overlaid).
 * - `mesh-release env up` brings it up: the platform stack first, then both service stacks; `env status` reads it.
 * - Two services release at the same time (`--env --service`): both promoted, neither refused; a second
 *   release of the same service is refused.
 * - Two runners that share only the backend (another project directory, as another CI machine): while one
 *   runner's release holds the service's lease, the other's update is refused by the lease inside the update
 *   (the binding check, under the backend's update lock), and its `mesh-release canary` is refused up front.
 *
 * - Adding a service and removing one through `env up` follow make before break on the real engine: the new
 *   service stack before the platform's root route to it; the root route removed before the stack is destroyed.
 *
 * Not proven here: runners on different hosts (both run on this machine; the lease's host/pid rule only takes
 * over leases of dead processes of the same host, and the expiry rule is table-tested in
 * test/unit/release/lease.test.ts).
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { DriverError } from "../../../release/driver/driver";
import { programFor } from "../../../release/driver/program";
import { PulumiStackDriver } from "../../../release/driver/pulumiStack";
import { kubeMeshReader } from "../../../sim/kube";
import { startSimulator, type Simulator } from "../../../sim/simulator";
import { connectCluster } from "../../support/cluster";
import { startPrometheus, type PrometheusHandle } from "../../support/prometheus";
import type { PlainConfig } from "../../support/pulumiProject";
import { envProject, finished, meshRelease, type CliRun, type EnvProject } from "./envProject";
import { e2eRelease, pulumiEnv } from "./harness";

const SERVICES = ["checkout", "search"] as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function describeRun(run: CliRun, sims: readonly Simulator[] = []): string {
    const analyses = run.events.filter((e) => e["type"] === "analysis").map((e) => JSON.stringify({ step: e["stepIndex"], verdict: e["verdict"], metrics: e["metrics"] }));
    const routing = sims.map((s) => `${s.stats().service.name}: ${s.stats().routing.source} ${JSON.stringify(s.stats().routing.outcomes)}`);
    return `exit ${run.code}: ${JSON.stringify(finished(run)?.["message"])}\nanalyses: ${analyses.join("\n")}\nsimulators: ${routing.join("; ")}\nstderr: ${run.stderr.slice(-1500)}`;
}

/** The simulator's live split, percent per version. */
function splitOf(sim: Simulator): Record<string, number> {
    return Object.fromEntries(sim.stats().routing.outcomes.map((o) => [o.kind === "version" ? o.version : o.kind, Math.round(o.share * 100)]));
}

/** [start of the first update, end of the last update] of a run. */
function updateSpan(run: CliRun): [number, number] {
    const times = run.events.filter((e) => e["type"] === "update-started" || e["type"] === "update-finished").map((e) => Date.parse(String(e["at"])));
    return [Math.min(...times), Math.max(...times)];
}

/** The platform stack's config: Pulumi.dev.yaml's without services, one root route per service, the release policy. */
function platformConfig(c: PlainConfig, env: string, services: readonly string[], release: Record<string, unknown>): void {
    c["layout"] = "platform";
    c["namespace"] = env;
    delete c["services"];
    c["ingress"] = { ...(c["ingress"] as Record<string, unknown>), hosts: [`${env}.e2e.local`], routes: services.map((svc) => ({ prefix: `/${svc}`, service: svc })) };
    c["release"] = release;
}

/** A service stack's config: Pulumi.dev.yaml's sample-app as `svc`, nothing of the platform's, no release policy. */
function serviceConfig(c: PlainConfig, env: string, svc: string): void {
    const sample = (c["services"] as Record<string, unknown>)["sample-app"];
    for (const key of Object.keys(c)) {
        if (key !== "skipAwait") {
            delete c[key];
        }
    }
    c["layout"] = "service";
    c["platformStack"] = env;
    c["services"] = { [svc]: sample };
}

describe("per-service releases end to end (mesh-release bin, real engine, shared state backend)", function () {
    this.timeout(600_000);
    const env = `e2e-${randomBytes(3).toString("hex")}`;
    const namespace = env;
    let project: EnvProject;
    let prom: PrometheusHandle;
    const sims: Simulator[] = [];
    const started = Date.now();

    before(async function () {
        this.timeout(300_000);
        const reader = await kubeMeshReader();
        for (const [i, svc] of SERVICES.entries()) {
            sims.push(await startSimulator({ service: { name: svc, namespace }, rps: 150, seed: 10 + i, meshReader: reader, pollIntervalMs: 250, maxDurationMs: 20 * 60_000 }));
        }
        prom = await startPrometheus({ targets: sims.map((s) => s.target) });
        const release = e2eRelease([50, 100], "3s")(prom.url);
        project = await envProject([
            { name: env, edit: (c: PlainConfig) => platformConfig(c, env, [...SERVICES], release) },
            ...SERVICES.map((svc) => ({ name: `${env}.${svc}`, edit: (c: PlainConfig) => serviceConfig(c, env, svc) })),
        ]);
    });

    after(async () => {
        await project?.dispose().catch(() => undefined);
        await prom?.stop();
        await Promise.all(sims.map((s) => s.stop()));
        console.log(`    per-service e2e: ${Math.round((Date.now() - started) / 1000)} s in all`);
    });

    it("env up: the platform stack first, then both service stacks (2 at a time), a summary naming each; env status reads them", async () => {
        const run = await meshRelease(["env", "up", "--env", env, "--concurrency", "2"], project.workDir);
        expect(run.code, `${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`).to.equal(0);
        const startedOrder = run.events.filter((e) => e["type"] === "stack-started").map((e) => e["stack"]);
        expect(startedOrder[0]).to.equal(env);
        expect(startedOrder.slice(1)).to.have.members(SERVICES.map((s) => `${env}.${s}`));
        const done = run.events.find((e) => e["type"] === "env-finished") as { results: { stack: string; outcome: string; phase: string }[] } | undefined;
        expect(done?.results.map((r) => [r.stack, r.phase, r.outcome])).to.have.deep.members([
            [env, "platform", "ok"],
            ...SERVICES.map((s) => [`${env}.${s}`, "update", "ok"]),
        ]);
        const vsNames = (await connectCluster().listIstio("VirtualService", namespace)).map((v) => v.metadata?.name);
        for (const svc of SERVICES) {
            expect(vsNames, "each service stack's delegate").to.include(`${svc}-delegate`);
        }
        await sleep(600);
        for (const sim of sims) {
            expect(splitOf(sim)["v1"], "the simulator follows the delegate: all on stable").to.equal(100);
        }
        const status = await meshRelease(["env", "status", "--env", env], project.workDir);
        expect(status.code, status.stderr).to.equal(0);
        const statusDone = status.events.find((e) => e["type"] === "env-finished") as { results: { stack: string; summary: string }[] } | undefined;
        expect(statusDone?.results.map((r) => r.stack)).to.deep.equal([env, ...SERVICES.map((s) => `${env}.${s}`)]);
        for (const r of statusDone?.results ?? []) {
            expect(r.summary).to.match(/^last update succeeded at .*; no release running$/);
        }
    });

    it("two services of one environment release at the same time: both promoted, none refused; a second release of the same service is refused", async () => {
        let second: Promise<CliRun> | undefined;
        const runs = await Promise.all(
            SERVICES.map((svc) =>
                meshRelease(["canary", "--env", env, "--service", svc, "--version", "v2"], project.workDir, (e) => {
                    if (svc === "checkout" && e["type"] === "step-applied" && second === undefined) {
                        second = meshRelease(["canary", "--env", env, "--service", "checkout", "--version", "v3"], project.workDir);
                    }
                }),
            ),
        );
        for (const run of runs) {
            expect(run.code, describeRun(run, sims)).to.equal(0);
            expect(finished(run)?.["outcome"]).to.equal("promoted");
        }
        // The two rollouts overlapped: each one's updates began before the other's ended.
        const [a, b] = runs.map(updateSpan) as [[number, number], [number, number]];
        expect(a[0] < b[1] && b[0] < a[1], `update spans ${JSON.stringify([a, b])}`).to.equal(true);
        expect(second, "the second release of checkout never started").to.not.equal(undefined);
        const refused = await (second as Promise<CliRun>);
        expect(refused.code, describeRun(refused)).to.equal(3);
        expect(String(finished(refused)?.["message"])).to.match(new RegExp(`another release holds stack ${env}\\.checkout`));
        await sleep(600);
        for (const sim of sims) {
            expect(splitOf(sim)).to.deep.equal({ v2: 100 });
        }
        console.log(`    [issue note] two concurrent releases (2 steps, 3 s interval): ${runs.map((r) => ((r.endedAt - r.startedAt) / 1000).toFixed(1)).join(" s and ")} s`);
    });

    it("two runners sharing only the backend: the lease of a running release refuses the other runner's update inside the update, and its release up front", async () => {
        const runnerDir = project.runner();
        const thirdDir = project.runner();
        const stackName = `${env}.checkout`;
        const other = new PulumiStackDriver({ stackName, workDir: runnerDir, pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], program: programFor("auto", runnerDir), envVars: pulumiEnv() });
        // Runner B takes its lock while nobody holds the lease (the up-front check passes) ...
        const unlock = await other.lock("runner B (test process)");
        let inUpdate: unknown;
        let upFront: CliRun | undefined;
        try {
            // ... then runner A's release starts and takes the lease with its first update. Its 8 s analysis window
            // leaves runner B's update the backend's update lock (B is then refused by the lease, not by that lock).
            const first = await meshRelease(["canary", "--env", env, "--service", "checkout", "--version", "v3", "--interval", "8s"], project.workDir, (e) => {
                if (e["type"] === "step-applied" && inUpdate === undefined) {
                    inUpdate = "pending";
                    void other.update({ message: "runner B: must be refused" }).then(
                        () => (inUpdate = "applied"),
                        (err: unknown) => (inUpdate = err),
                    );
                    void meshRelease(["canary", "--env", env, "--service", "checkout", "--version", "v4"], thirdDir).then((r) => (upFront = r));
                }
            });
            expect(first.code, describeRun(first, sims)).to.equal(0);
            for (let i = 0; i < 600 && (inUpdate === "pending" || upFront === undefined); i++) {
                await sleep(100);
            }
        } finally {
            await unlock();
        }
        expect(inUpdate, "runner B's update").to.be.instanceOf(DriverError);
        const e = inUpdate as DriverError;
        expect(e.kind).to.equal("concurrent");
        expect(e.message).to.match(new RegExp(`^stack ${env}\\.checkout: another release holds the lease of this stack: mesh-release canary checkout v3`));
        expect(upFront?.code, upFront === undefined ? "never finished" : describeRun(upFront)).to.equal(3);
        expect(String(finished(upFront as CliRun)?.["message"])).to.match(/another release holds the lease of this stack: mesh-release canary checkout v3/);
    });

    it("adding a service, then removing it, through env up: make before break on the real engine", async () => {
        const file = (stack: string): string => path.join(project.workDir, `Pulumi.${stack}.yaml`);
        const edit = (stack: string, change: (config: Record<string, unknown>) => void): void => {
            const doc = parse(fs.readFileSync(file(stack), "utf8")) as { config: Record<string, unknown> };
            change(doc.config);
            fs.writeFileSync(file(stack), stringify(doc));
        };
        const routesOf = (config: Record<string, unknown>): { prefix: string; service: string }[] => (config["mesh-traffic:ingress"] as { routes: { prefix: string; service: string }[] }).routes;
        const cart = `${env}.cart`;
        // Add: the service's stack file and the platform's root route to it.
        fs.copyFileSync(file(`${env}.search`), file(cart));
        edit(cart, (c) => {
            const services = c["mesh-traffic:services"] as Record<string, unknown>;
            c["mesh-traffic:services"] = { cart: services["search"] };
            // search's recorded rollout state is search's: a stack may not record rollouts of a service it does not hold
            delete c["mesh-traffic:rollouts"];
        });
        edit(env, (c) => routesOf(c).push({ prefix: "/cart", service: "cart" }));
        const add = await meshRelease(["env", "up", "--env", env, "--concurrency", "2"], project.workDir);
        expect(add.code, `${add.stdout.slice(-3000)}\n${add.stderr.slice(-2000)}`).to.equal(0);
        const addOrder = add.events.filter((e) => e["type"] === "stack-started").map((e) => `${String(e["phase"])}:${String(e["stack"])}`);
        expect(addOrder.slice(0, 2), "the new service's stack (its delegate) before the platform's root route to it").to.deep.equal([`make:${cart}`, `platform:${env}`]);
        expect((await connectCluster().listIstio("VirtualService", namespace)).map((v) => v.metadata?.name)).to.include("cart-delegate");

        // Remove: the root route first, then the stack file.
        edit(env, (c) => {
            const ingress = c["mesh-traffic:ingress"] as { routes: { service: string }[] };
            ingress.routes = ingress.routes.filter((r) => r.service !== "cart");
        });
        fs.rmSync(file(cart));
        const remove = await meshRelease(["env", "up", "--env", env, "--concurrency", "2"], project.workDir);
        expect(remove.code, `${remove.stdout.slice(-3000)}\n${remove.stderr.slice(-2000)}`).to.equal(0);
        const finishedOrder = remove.events.filter((e) => e["type"] === "stack-finished").map((e) => {
            const r = e["result"] as { phase: string; stack: string; op: string; outcome: string };
            return `${r.phase}:${r.stack}:${r.op}:${r.outcome}`;
        });
        expect(finishedOrder[0], "the platform (root route removed) first").to.equal(`platform:${env}:up:ok`);
        expect(finishedOrder.at(-1), "the removed service's stack destroyed last").to.equal(`break:${cart}:destroy:ok`);
        expect((await connectCluster().listIstio("VirtualService", namespace)).map((v) => v.metadata?.name)).to.not.include("cart-delegate");
    });
});
