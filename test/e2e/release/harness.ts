/**
 * The release e2e environment: a stack of our program on the local control plane (test/support/pulumiProject.ts),
 * istiod translating its objects (test/support/istiod.ts; a WorkloadEntry per Deployment stands in for its pods),
 * the traffic simulator following the routes istiod sends it over xDS as a sidecar of the namespace, and a real
 * Prometheus scraping the simulator, with the stack's `release` policy pointing at it. Each traffic shift waits,
 * before its analysis window, until istiod holds the new VirtualService, the simulator routes by it and every proxy
 * of the namespace has ACKed it ({@link ReleaseEnv.propagation} keeps the times). Rollouts run through the release
 * library (`runCanary`) with the real Pulumi engine (PulumiStackDriver) and the Prometheus provider, exactly as
 * the CLI wires them, in this process or in a child process (canaryChild.ts) that a test can SIGKILL.
 *
 * Needs the environment scripts/e2e.sh sets up (toolchain, KUBECONFIG, PULUMI_*).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { PulumiStackDriver } from "../../../release/driver/pulumiStack";
import { programFor } from "../../../release/driver/program";
import type { ReleaseEvent } from "../../../release/core/events";
import type { RolloutAction } from "../../../release/core/machine";
import { prometheusForPolicy } from "../../../release/metrics/prometheus";
import { stackValidator } from "../../../release/env/check";
import { collectReport } from "../../../release/report/collect";
import { writeReportFiles } from "../../../release/report/file";
import { runRollout, type ReleaseDeps, type RolloutResult, type RoutingStep } from "../../../release/rollout";
import { kubeGatewayRouteLister, kubeLiveReader } from "../../../release/driver/kubeLive";
import { startSimulator, type Simulator } from "../../../sim/simulator";
import { connectCluster, type Cluster } from "../../support/cluster";
import { ensureIstiod, IstiodDebug, startEndpointStandIn, type EndpointStandIn } from "../../support/istiod";
import { startPrometheus, type PrometheusHandle } from "../../support/prometheus";
import { projectStack, REPO_ROOT, type ProjectStack } from "../../support/pulumiProject";

export const SERVICE = "sample-app";

/** What a child process or a second driver needs to reach the same stack. */
export interface StackRef {
    stackName: string;
    workDir: string;
}

/** Environment for the Pulumi CLI and the program (the same projectStack gives its workspace). */
export function pulumiEnv(): Record<string, string> {
    return {
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_NODEJS_TRANSPILE_ONLY: "true",
        PULUMI_NODEJS_TSCONFIG_PATH: path.join(REPO_ROOT, "tsconfig.json"),
    };
}

/** The release library's dependencies as the CLI builds them: Pulumi stack driver + Prometheus provider. */
export function releaseDeps(ref: StackRef, emit: (e: ReleaseEvent) => void, extra: Partial<ReleaseDeps> = {}): ReleaseDeps {
    const driver = new PulumiStackDriver({
        stackName: ref.stackName,
        workDir: ref.workDir,
        pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"],
        // what the CLI's default (--program auto) picks for a project running this package's program
        program: programFor("auto", ref.workDir),
        envVars: pulumiEnv(),
        // What the CLI prints as `mesh-release: ...` on stderr: surfaced as a warning event here.
        onNotice: (message) => emit({ type: "warning", message, at: new Date().toISOString(), stack: ref.stackName, service: SERVICE }),
    });
    return {
        driver,
        metrics: prometheusForPolicy,
        emit,
        validate: stackValidator,
        // The live-split check before each window, as the CLI wires it (the API server of $KUBECONFIG).
        live: { read: kubeLiveReader() },
        ...extra,
    };
}

export interface ReleaseEnvOptions {
    /** Simulated requests per second. */
    rps: number;
    /**
     * The stack's `release` policy, given the URL of the Prometheus started for it, e.g.
     * {@link e2eRelease}`(steps, interval)`.
     */
    release: (prometheusUrl: string) => Record<string, unknown>;
    /** Namespace prefix (a random suffix is added). Default "mesh-rel". */
    namespacePrefix?: string;
    /** The namespace as it is (no suffix), e.g. the dev stack's own `mesh-dev`. Default: {@link namespacePrefix} + suffix. */
    namespace?: string;
    /** Stack name. Default `e2e-<8 hex>` (test/support/pulumiProject.ts). */
    stackName?: string;
    /** Simulator seed. Default 4. */
    seed?: number;
    /** The simulator stops by itself after this long, ms. Default 20 minutes. */
    maxDurationMs?: number;
    /** Prometheus' scrape interval, ms. Default 1000 (test/support/prometheus.ts). */
    scrapeIntervalMs?: number;
    /**
     * The stack's routing API. Default "istio" (Pulumi.dev.yaml as it is). "gateway-api": the same stack with
     * `routingApi: gateway-api`, less what that mode refuses (its egress host and the service's retries).
     */
    routingApi?: RoutingApi;
}

export type RoutingApi = "istio" | "gateway-api";

/** Pulumi.dev.yaml's config in Gateway API mode: `routingApi: gateway-api`, without the egress host and the retries that mode refuses. */
export function gatewayApiEdit(c: Record<string, unknown>): void {
    c["routingApi"] = "gateway-api";
    delete c["egress"];
    const svc = (c["services"] as Record<string, Record<string, unknown>> | undefined)?.[SERVICE];
    delete svc?.["retries"];
}

/** The kind and resourceVersion of the live object that carries a service's split: its VirtualService, or in Gateway API mode its mesh HTTPRoute. */
let httpRoutes: ReturnType<typeof kubeGatewayRouteLister> | undefined;
async function splitObject(routingApi: RoutingApi, cluster: Cluster, namespace: string, service: string): Promise<{ kind: string; name: string; resourceVersion: string }> {
    if (routingApi === "gateway-api") {
        // $KUBECONFIG, as the cluster's
        httpRoutes ??= kubeGatewayRouteLister();
        const hr = (await (await httpRoutes)(namespace)).find((r) => r.kind === "HTTPRoute" && r.metadata?.name === service) as { metadata?: { resourceVersion?: string } } | undefined;
        return { kind: "HTTPRoute", name: service, resourceVersion: hr?.metadata?.resourceVersion ?? "0" };
    }
    const vs = await cluster.getIstio("VirtualService", namespace, service);
    return { kind: "VirtualService", name: service, resourceVersion: vs?.metadata.resourceVersion ?? "0" };
}

/** The e2e release policy: the given steps and interval, the seed's thresholds, fast timeouts and retries. */
export function e2eRelease(steps: number[], interval: string): (prometheusUrl: string) => Record<string, unknown> {
    return (url) => ({
        steps,
        interval,
        analysis: { successRate: 95, latencyP95Ms: 1000, minRequests: 10, failureLimit: 0, inconclusiveLimit: 2, errorLimit: 1 },
        prometheus: { url, timeout: "1s" },
        update: { retries: 1, backoff: "1s" },
    });
}

/** How long one traffic shift took to be in effect, ms after its `pulumi up` finished. */
export interface Propagation {
    stepIndex: number;
    weight: number;
    /** istiod holds the VirtualService (Gateway API mode: the HTTPRoute) at the API server's resourceVersion. */
    configMs: number;
    /** The simulator routes the canary's share by istiod's routes (traffic follows from its next tick, 50 ms). */
    routesMs: number;
    /** ...and every proxy of the namespace has ACKed what istiod sent (its sync status). */
    syncedMs: number;
}

/** How long a shift may take to be in effect before the step fails: MESH_E2E_ROUTING_TIMEOUT_S, default 30 s. */
export const ROUTING_TIMEOUT_MS = Number(process.env["MESH_E2E_ROUTING_TIMEOUT_S"] ?? "") > 0 ? Number(process.env["MESH_E2E_ROUTING_TIMEOUT_S"]) * 1000 : 30_000;

/** The canary version's share of the simulator's traffic (percent, rounded), from its current routes. */
export function simShare(sim: Simulator, version: string): number {
    return Math.round(sim.stats().routing.outcomes.filter((o) => o.kind === "version" && o.version === version).reduce((s, o) => s + o.share, 0) * 100);
}

export interface ReleaseEnv extends StackRef {
    readonly project: ProjectStack;
    readonly namespace: string;
    readonly sim: Simulator;
    /** Every traffic shift's time to take effect, in order. */
    readonly propagation: Propagation[];
    /** The gate the release waits on after a shift of `version` (see the file comment). */
    awaitRouting(version: string): (step: RoutingStep) => Promise<void>;
    prom(): PrometheusHandle;
    /** Stop Prometheus (SIGTERM, as an outage). */
    stopPrometheus(): Promise<void>;
    /** Start Prometheus again on the same URL (the stack's policy keeps pointing at it). */
    restartPrometheus(): Promise<void>;
    /** One rollout in this process (`action`: canary, the default, or rollback/promote/abort of `version`); events collected. */
    canary(version: string, extra?: Partial<ReleaseDeps>, onEvent?: (e: ReleaseEvent) => void, action?: RolloutAction): Promise<Run>;
    dispose(): Promise<void>;
}

export interface Run {
    result: RolloutResult;
    events: ReleaseEvent[];
}

export async function startReleaseEnv(opts: ReleaseEnvOptions): Promise<ReleaseEnv> {
    const namespace = opts.namespace ?? `${opts.namespacePrefix ?? "mesh-rel"}-${randomBytes(4).toString("hex")}`;
    const routingApi = opts.routingApi ?? "istio";
    const istiod = await ensureIstiod();
    const debug = new IstiodDebug(istiod);
    const cluster = connectCluster();
    const sim = await startSimulator({
        service: { name: SERVICE, namespace },
        rps: opts.rps,
        seed: opts.seed ?? 4,
        xds: { address: istiod.xdsAddress, port: 8080 },
        maxDurationMs: opts.maxDurationMs ?? 20 * 60_000,
    });
    const standIn: EndpointStandIn = await startEndpointStandIn(cluster.kubeConfig, namespace);
    const propagation: Propagation[] = [];
    const awaitRouting = (version: string) => async (step: RoutingStep): Promise<void> => {
        const t0 = Date.now();
        await standIn.sync();
        const configMs = await debug.waitSynced(step.namespace, [await splitObject(routingApi, cluster, step.namespace, step.service)], ROUTING_TIMEOUT_MS, 20)
            .then(() => Date.now() - t0);
        while (simShare(sim, version) !== step.weight) {
            if (Date.now() - t0 > ROUTING_TIMEOUT_MS) {
                throw new Error(`the simulator's routes from istiod give ${version} ${simShare(sim, version)} %, not ${step.weight} %, ` +
                    `${ROUTING_TIMEOUT_MS} ms after the update (routing: ${JSON.stringify(sim.stats().routing)})`);
            }
            await new Promise((r) => setTimeout(r, 10));
        }
        const routesMs = Date.now() - t0;
        await debug.waitSynced(step.namespace, [], Math.max(1000, ROUTING_TIMEOUT_MS - routesMs), 20);
        propagation.push({ stepIndex: step.stepIndex, weight: step.weight, configMs, routesMs, syncedMs: Date.now() - t0 });
    };
    let prom: PrometheusHandle | undefined;
    let project: ProjectStack | undefined;
    try {
        prom = await startPrometheus({ targets: [sim.target], scrapeIntervalMs: opts.scrapeIntervalMs });
        const promUrl = prom.url;
        project = await projectStack({
            ...(opts.stackName !== undefined ? { stackName: opts.stackName } : {}),
            namespace,
            edit: (c) => {
                c["release"] = opts.release(promUrl);
                if (routingApi === "gateway-api") gatewayApiEdit(c);
            },
            envVars: pulumiEnv(),
        });
        const p = project;
        await p.stack.up({ onOutput: p.log });
        const port = prom.port;
        const ref: StackRef = { stackName: p.stackName, workDir: p.workDir };
        return {
            ...ref,
            project: p,
            namespace,
            sim,
            propagation,
            awaitRouting,
            prom: () => {
                if (prom === undefined) {
                    throw new Error("Prometheus is not running");
                }
                return prom;
            },
            stopPrometheus: async () => {
                await prom?.stop();
            },
            restartPrometheus: async () => {
                await prom?.stop();
                prom = await startPrometheus({ targets: [sim.target], port, scrapeIntervalMs: opts.scrapeIntervalMs });
            },
            canary: async (version, extra = {}, onEvent, action = "canary") => {
                const events: ReleaseEvent[] = [];
                const result = await runRollout(
                    { action, service: SERVICE, version },
                    releaseDeps(
                        ref,
                        (e) => {
                            events.push(e);
                            onEvent?.(e);
                        },
                        { awaitRouting: awaitRouting(version), ...extra },
                    ),
                );
                return { result, events };
            },
            dispose: async () => {
                await p.dispose().catch(() => undefined);
                await standIn.stop();
                await prom?.stop();
                await sim.stop();
            },
        };
    } catch (err) {
        await project?.dispose().catch(() => undefined);
        await standIn.stop();
        await prom?.stop();
        await sim.stop();
        throw err;
    }
}

/** Milliseconds from the first traffic shift's update start to the end of the rollback update; undefined if either is missing. */
export function shiftToRollbackMs(events: readonly ReleaseEvent[]): number | undefined {
    const first = events.find((e) => e.type === "update-started" && e.purpose === "shift");
    const done = events.find((e) => e.type === "update-finished" && e.purpose === "rollback" && e.ok);
    return first !== undefined && done !== undefined ? Date.parse(done.at) - Date.parse(first.at) : undefined;
}

/** Writes the run's report page (HTML + JSON) to $MESH_E2E_REPORT_DIR, when set; returns the HTML path. */
export function keepReport(name: string, events: readonly ReleaseEvent[]): string | undefined {
    const dir = process.env["MESH_E2E_REPORT_DIR"];
    const report = collectReport(events);
    if (dir === undefined || dir === "" || report === undefined) {
        return undefined;
    }
    return writeReportFiles(report, path.join(dir, `${name}.html`)).html;
}

export interface CliRun {
    /** Exit code (null when killed by a signal). */
    code: number | null;
    stdout: string;
    stderr: string;
}

/** Process groups of the mesh-release runs started by {@link meshRelease} that have not exited. */
const running = new Set<number>();

/**
 * Ends the mesh-release runs a test left running (it timed out or failed while one ran): SIGTERM to each process
 * group (mesh-release cancels its update and releases its locks), SIGKILL after `graceMs`. A run left behind would
 * hold its stack, and the next test on that stack would find it locked. Returns how many groups it signalled.
 */
export async function endMeshReleaseRuns(graceMs = 20_000): Promise<number> {
    const groups = [...running];
    const signal = (pid: number, sig: NodeJS.Signals): void => {
        try {
            process.kill(-pid, sig);
        } catch {
            running.delete(pid); // the group is gone
        }
    };
    groups.forEach((pid) => signal(pid, "SIGTERM"));
    const until = Date.now() + graceMs;
    while (running.size > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
    }
    [...running].forEach((pid) => signal(pid, "SIGKILL"));
    return groups.length;
}

// A root hook (harness.ts is loaded by every release e2e file that runs the CLI): after each test, no run is left.
if (typeof afterEach === "function") {
    afterEach(async function () {
        if (running.size > 0) {
            this.timeout(60_000);
            const n = await endMeshReleaseRuns();
            console.log(`      [e2e] ended ${n} mesh-release run(s) left running by "${this.currentTest?.title ?? "?"}" (${this.currentTest?.state ?? "?"})`);
        }
    });
}

/**
 * `npx mesh-release <args>` in the project dir `cwd`, as a user types it there (the project's node_modules link
 * the package's bin), with this process's environment (scripts/e2e.sh's: MESH_TOOLCHAIN_DIR, PULUMI_BACKEND_URL,
 * the passphrase, KUBECONFIG). `--no-install` only forbids npx a registry download should the bin be missing.
 * Asynchronous: the simulator and istiod's client run in this process and must keep running meanwhile.
 * `onLine` sees each line of stdout as it comes (with `--json`, one event a line).
 */
export function meshRelease(cwd: string, args: readonly string[], onLine?: (line: string) => void): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        // Its own process group, so that a test that times out can end it with its children (npx, node, pulumi).
        const child = spawn("npx", ["--no-install", "mesh-release", ...args], { cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
        if (child.pid !== undefined) {
            const pid = child.pid;
            running.add(pid);
            child.once("exit", () => running.delete(pid));
        }
        let stdout = "";
        let stderr = "";
        let pending = "";
        child.stdout.on("data", (c: Buffer) => {
            stdout += c.toString();
            pending += c.toString();
            const lines = pending.split("\n");
            pending = lines.pop() ?? "";
            lines.forEach((l) => onLine?.(l));
        });
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.once("error", reject);
        child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
}
