/**
 * The traffic simulator as a loopback HTTP server:
 * - GET  /metrics  Istio's standard metrics in the Prometheus text format, for Prometheus to scrape.
 * - GET  /stats    JSON: requests generated and served per version, routing in force, behaviors.
 * - GET  /control  the per-version behaviors; POST /control {"v2": {"errorRate": 0.2, "latencyMs": 50}}
 *                  merges them (400 with every problem when the body is invalid).
 * - POST /weights  {"v1": 80, "v2": 20}: new fixed weights (fixed-weights mode only, else 409).
 * - POST /stop     stops the simulator.
 * - GET  /healthz  "ok".
 * The split follows fixed weights, or the routes istiod sends the simulator as an xDS client (a sidecar of the
 * service's namespace: `xds`), or the VirtualService/DestinationRule objects read from an API server every
 * `pollIntervalMs` (`meshReader`; kept for runs without istiod, e.g. the unit tests and `mesh-sim --kubeconfig`).
 * It stops itself after `maxDurationMs`.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import { Redactor } from "../contract/redact";
import type { MeshReader } from "./kube";
import { controlSchema, type BehaviorPatch, TrafficModel, type TrafficStats, type VersionBehavior } from "./model";
import { mulberry32 } from "./rng";
import { planFromMesh, planFromWeights, type RequestClass, type RoutingPlan, type ServiceRef } from "./routing";
import { sidecarNode, TYPE, XdsClient } from "./xds/client";
import { planFromXds } from "./xds/plan";

/** Where the simulator reads its routes from istiod. */
export interface XdsSource {
    /** istiod's plaintext xDS address, host:port. */
    address: string;
    /** The Service port whose routes are followed. */
    port: number;
    /** Labels of the simulated calling workload. Default {app: <sourceWorkload>}. */
    labels?: Record<string, string>;
}

export interface SimulatorOptions {
    service: ServiceRef;
    /** Requests per second. Default 100. */
    rps?: number;
    /** RNG seed: the same seed and timing give the same traffic. Default 1. */
    seed?: number;
    /** Fixed relative weights per version, e.g. {v1: 90, v2: 10}. Exactly one of this and `meshReader`. */
    fixedWeights?: Record<string, number>;
    /** Live mode: reads the namespace's VirtualServices and DestinationRules. */
    meshReader?: MeshReader;
    /** xDS mode: the split follows the routes istiod sends a sidecar of the service's namespace. */
    xds?: XdsSource;
    /** Live mode poll period, milliseconds. Default 500. */
    pollIntervalMs?: number;
    /** Live mode: version for routes without a subset; default the "stable" subset's version. */
    defaultVersion?: string;
    /** Live and xDS modes: request classes carrying headers (A/B approximation). Default none. */
    requestMix?: RequestClass[];
    /** Initial per-version behaviors. Default: every version healthy, 20 ms. */
    behaviors?: Record<string, BehaviorPatch>;
    /** Calling workload name in the metrics. Default "loadgenerator". */
    sourceWorkload?: string;
    /** The simulator stops itself after this long, milliseconds. Default 900000 (15 min). */
    maxDurationMs?: number;
    /** Port on 127.0.0.1; 0 picks a free one. Default 0. */
    port?: number;
    /** Loopback address to bind. Default "127.0.0.1"; anything not loopback is refused. */
    host?: string;
    /** Traffic generation tick, milliseconds. Default 50. */
    tickMs?: number;
}

/** What /stats returns. */
export interface SimulatorStats extends TrafficStats {
    service: ServiceRef;
    startedAt: string;
    elapsedMs: number;
    rps: number;
    seed: number;
    mode: "fixed" | "live" | "xds";
    routing: {
        source: string;
        outcomes: RoutingPlan["outcomes"];
        /** Successful API server reads (live mode). */
        polls: number;
        /** Failed API server reads (live mode); the last plan stays in force. */
        pollErrors: number;
        lastPollError?: string;
        /** xDS mode: responses received per resource type, and the stream's error if it ended. */
        xds?: { received: Record<string, number>; error?: string; lastUpdateAt?: string };
    };
    behaviors: Record<string, VersionBehavior>;
}

export interface Simulator {
    /** http://127.0.0.1:PORT */
    readonly url: string;
    readonly port: number;
    /** "host:port", as a Prometheus scrape target. */
    readonly target: string;
    stats(): SimulatorStats;
    /** Merge per-version behaviors (same validation as POST /control). */
    control(patch: unknown): void;
    /** Replace the fixed weights (fixed-weights mode only). */
    setWeights(weights: Record<string, number>): void;
    /** Stop generating traffic, close the server. Idempotent. */
    stop(): Promise<void>;
    /** Resolves with the reason when the simulator stops ("stopped", "max duration reached"). */
    readonly stopped: Promise<string>;
}

/** A request that is valid but does not fit the simulator's mode (HTTP 409). */
export class ConflictError extends Error {
    override name = "ConflictError";
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** Validate options, collecting every problem: returns messages naming value, rule and fix. */
export function validateSimulatorOptions(o: SimulatorOptions): string[] {
    const problems: string[] = [];
    const sources = [o.fixedWeights, o.meshReader, o.xds].filter((x) => x !== undefined).length;
    if (sources !== 1) {
        problems.push("exactly one of fixedWeights, meshReader and xds must be given (fixed weights, the live API server, or istiod)");
    }
    if (o.xds !== undefined && !/^[^:\s]+:\d{1,5}$/.test(o.xds.address)) {
        problems.push(`xds.address is ${JSON.stringify(o.xds.address)}; it must be host:port of istiod's plaintext xDS port`);
    }
    if (o.host !== undefined && !LOOPBACK.test(o.host)) {
        problems.push(`host is ${o.host}; it must be a loopback address (127.0.0.0/8, ::1 or localhost)`);
    }
    const positive = (name: string, v: number | undefined, max: number): void => {
        if (v !== undefined && !(Number.isFinite(v) && v > 0 && v <= max)) {
            problems.push(`${name} is ${v}; it must be a number greater than 0 and at most ${max}`);
        }
    };
    positive("rps", o.rps, 100_000);
    positive("pollIntervalMs", o.pollIntervalMs, 60_000);
    positive("maxDurationMs", o.maxDurationMs, 24 * 3_600_000);
    positive("tickMs", o.tickMs, 1_000);
    if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) {
        problems.push(`port is ${o.port}; it must be an integer from 0 to 65535 (0 picks a free port)`);
    }
    if (o.fixedWeights !== undefined) {
        try {
            planFromWeights(o.fixedWeights);
        } catch (e) {
            problems.push((e as Error).message);
        }
    }
    if (o.behaviors !== undefined) {
        problems.push(...zodProblems("behaviors", controlSchema.safeParse(o.behaviors)));
    }
    return problems;
}

function zodProblems(root: string, r: z.ZodSafeParseResult<unknown>): string[] {
    if (r.success) {
        return [];
    }
    return r.error.issues.map((i) => `${[root, ...i.path.map(String)].join(".")}: ${i.message}`);
}

/** The poll errors' redactor: their secrets are not known here, so credential-shaped text is masked. */
const pollRedactor = new Redactor({ credentialShapes: true });

/**
 * A poll error for /stats: free of credentials (a kubeconfig token must never reach /stats), with its causes,
 * redacted before it is cut to 300 characters.
 */
export function pollErrorText(e: unknown): string {
    return pollRedactor.describeError(e, { name: true }).slice(0, 300);
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
    const problems = validateSimulatorOptions(opts);
    if (problems.length > 0) {
        throw new Error(`invalid simulator options:\n- ${problems.join("\n- ")}`);
    }
    const seed = opts.seed ?? 1;
    const rps = opts.rps ?? 100;
    const model = new TrafficModel({
        service: opts.service,
        rps,
        rng: mulberry32(seed),
        sourceWorkload: opts.sourceWorkload ?? "loadgenerator",
    });
    for (const [version, patch] of Object.entries(opts.behaviors ?? {})) {
        model.patchBehavior(version, patch);
    }
    const mode: "fixed" | "live" | "xds" = opts.fixedWeights !== undefined ? "fixed" : opts.xds !== undefined ? "xds" : "live";
    const routing = { polls: 0, pollErrors: 0, lastPollError: undefined as string | undefined };
    if (opts.fixedWeights !== undefined) {
        model.setPlan(planFromWeights(opts.fixedWeights));
    }

    const startedAt = Date.now();
    let stopping = false;
    let timers: NodeJS.Timeout[] = [];
    let resolveStopped: (reason: string) => void = () => undefined;
    const stopped = new Promise<string>((resolve) => {
        resolveStopped = resolve;
    });

    const poll = async (): Promise<void> => {
        const reader = opts.meshReader;
        if (reader === undefined || stopping) {
            return;
        }
        try {
            const objs = await reader(opts.service.namespace);
            model.setPlan(
                planFromMesh({
                    service: opts.service,
                    ...objs,
                    defaultVersion: opts.defaultVersion,
                    requestMix: opts.requestMix,
                }),
            );
            routing.polls += 1;
        } catch (e) {
            routing.pollErrors += 1;
            routing.lastPollError = pollErrorText(e);
        }
    };

    let xdsClient: XdsClient | undefined;
    let xdsLastUpdate: number | undefined;
    if (opts.xds !== undefined) {
        const src = opts.xds;
        const client = new XdsClient({
            address: src.address,
            node: sidecarNode({
                namespace: opts.service.namespace,
                podName: `mesh-sim-${process.pid}-${seed}`,
                // Not the address of any workload: istiod must not take the simulator for one of them.
                ip: `10.255.${(process.pid >> 8) & 255}.${process.pid & 255}`,
                labels: src.labels ?? { app: opts.sourceWorkload ?? "loadgenerator" },
            }),
        });
        xdsClient = client;
        const replan = (): void => {
            model.setPlan(
                planFromXds({
                    service: opts.service,
                    port: src.port,
                    routeConfigs: client.resources(TYPE.route),
                    clusters: client.resources(TYPE.cluster),
                    endpoints: client.resources(TYPE.endpoint),
                    requestMix: opts.requestMix,
                }),
            );
            routing.polls += 1;
            xdsLastUpdate = Date.now();
        };
        client.onUpdate(replan);
    }

    const stats = (): SimulatorStats => {
        const plan = model.currentPlan();
        return {
            service: opts.service,
            startedAt: new Date(startedAt).toISOString(),
            elapsedMs: Date.now() - startedAt,
            rps,
            seed,
            mode,
            ...model.stats(),
            routing: {
                source: plan.source,
                outcomes: plan.outcomes,
                ...routing,
                ...(xdsClient === undefined
                    ? {}
                    : {
                          xds: {
                              received: { ...xdsClient.received },
                              ...(xdsClient.error === undefined ? {} : { error: pollErrorText(xdsClient.error) }),
                              ...(xdsLastUpdate === undefined ? {} : { lastUpdateAt: new Date(xdsLastUpdate).toISOString() }),
                          },
                      }),
            },
            behaviors: model.allBehaviors(),
        };
    };

    const control = (patch: unknown): void => {
        const parsed = controlSchema.safeParse(patch);
        if (!parsed.success) {
            throw new Error(`invalid control body:\n- ${zodProblems("body", parsed).join("\n- ")}`);
        }
        for (const [version, p] of Object.entries(parsed.data)) {
            model.patchBehavior(version, p);
        }
    };

    const setWeights = (weights: Record<string, number>): void => {
        if (mode !== "fixed") {
            throw new ConflictError(`weights follow ${mode === "xds" ? "istiod's routes" : "the live VirtualService"}; POST /weights needs the fixed-weights mode`);
        }
        model.setPlan(planFromWeights(weights));
    };

    const server = http.createServer((req, res) => {
        handle(req, res, { model, stats, control, setWeights, stop: () => void stop("stopped by POST /stop") });
    });

    // Initial read before traffic starts, so the first requests follow the live split.
    await poll();
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
        });
    });
    const port = (server.address() as AddressInfo).port;
    const host = opts.host ?? "127.0.0.1";

    let last = performance.now();
    const tick = (): void => {
        const now = performance.now();
        model.advance(now - last);
        last = now;
    };
    timers.push(setInterval(tick, opts.tickMs ?? 50));
    if (mode === "live") {
        let polling = false;
        timers.push(
            setInterval(() => {
                if (!polling) {
                    polling = true;
                    void poll().finally(() => {
                        polling = false;
                    });
                }
            }, opts.pollIntervalMs ?? 500),
        );
    }
    timers.push(setTimeout(() => void stop("max duration reached"), opts.maxDurationMs ?? 900_000));

    async function stop(reason = "stopped"): Promise<void> {
        if (stopping) {
            await stopped;
            return;
        }
        stopping = true;
        timers.forEach((t) => clearTimeout(t));
        timers = [];
        xdsClient?.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        resolveStopped(reason);
    }

    const hostForUrl = host.includes(":") ? `[${host}]` : host;
    return {
        url: `http://${hostForUrl}:${port}`,
        port,
        target: `${hostForUrl}:${port}`,
        stats,
        control,
        setWeights,
        stop: () => stop(),
        stopped,
    };
}

interface Handlers {
    model: TrafficModel;
    stats: () => SimulatorStats;
    control: (patch: unknown) => void;
    setWeights: (w: Record<string, number>) => void;
    stop: () => void;
}

const MAX_BODY = 64 * 1024;
const weightsSchema = z.record(z.string(), z.number());

function send(res: http.ServerResponse, status: number, body: unknown, type = "application/json"): void {
    const text = typeof body === "string" ? body : `${JSON.stringify(body, null, 2)}\n`;
    res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
    res.end(text);
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
        let text = "";
        req.setEncoding("utf8");
        req.on("data", (chunk: string) => {
            text += chunk;
            if (text.length > MAX_BODY) {
                reject(new Error(`body is larger than ${MAX_BODY} bytes`));
                req.destroy();
            }
        });
        req.on("end", () => {
            try {
                resolve(JSON.parse(text) as unknown);
            } catch {
                reject(new Error("body is not valid JSON"));
            }
        });
        req.on("error", reject);
    });
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, h: Handlers): void {
    const path = (req.url ?? "/").split("?")[0];
    const route = `${req.method ?? "GET"} ${path}`;
    const withBody = (fn: (body: unknown) => unknown): void => {
        readJson(req)
            .then((body) => send(res, 200, fn(body)))
            .catch((e: Error) => send(res, e instanceof ConflictError ? 409 : 400, { error: e.message }));
    };
    switch (route) {
        case "GET /metrics":
            send(res, 200, h.model.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
            return;
        case "GET /stats":
            send(res, 200, h.stats());
            return;
        case "GET /control":
            send(res, 200, h.model.allBehaviors());
            return;
        case "POST /control":
            withBody((body) => {
                h.control(body);
                return h.model.allBehaviors();
            });
            return;
        case "POST /weights":
            withBody((body) => {
                const parsed = weightsSchema.safeParse(body);
                if (!parsed.success) {
                    throw new Error(`invalid weights body:\n- ${zodProblems("body", parsed).join("\n- ")}`);
                }
                h.setWeights(parsed.data);
                return h.model.currentPlan();
            });
            return;
        case "POST /stop":
            res.on("finish", () => h.stop());
            send(res, 200, { stopping: true });
            return;
        case "GET /healthz":
            send(res, 200, "ok\n", "text/plain");
            return;
        default:
            send(res, 404, { error: `no route ${route}; see GET /metrics, /stats, /control, POST /control, /weights, /stop` });
    }
}
