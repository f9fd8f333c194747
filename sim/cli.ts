/**
 * `mesh-sim`: the traffic simulator from the command line.
 *
 *   npx ts-node --transpile-only sim/cli.ts --service sample-app --namespace dev \
 *       --kubeconfig /tmp/kubeconfig --behavior v2:errorRate=0.2,latencyMs=50
 *   npx ts-node --transpile-only sim/cli.ts --service sample-app --fixed v1=90,v2=10 --rps 100
 *   npx ts-node --transpile-only sim/cli.ts --service sample-app --namespace dev --istiod 127.0.0.1:15010
 *
 * With --istiod the split follows the routes istiod sends the simulator as a sidecar of the namespace (xDS);
 * with --kubeconfig (and no --istiod) it follows the VirtualService objects read from the API server.
 * --stand-in-endpoints also keeps a WorkloadEntry per Deployment of the namespace (sim/standIn.ts) so that istiod
 * has endpoints where no kubelet runs the Deployments.
 *
 * It prints one JSON line `{"event":"listening","url":...,"target":...}` when it serves, and one
 * `{"event":"stopped",...}` line with the final /stats when it stops (max duration, POST /stop,
 * SIGINT or SIGTERM).
 */
import { Command, InvalidArgumentError } from "commander";
import * as fs from "node:fs";
import { durationMs } from "../components/validation";
import { kubeMeshReader } from "./kube";
import { behaviorPatchSchema, type BehaviorPatch } from "./model";
import type { RequestClass } from "./routing";
import { startSimulator, type SimulatorOptions } from "./simulator";
import { startEndpointStandIn } from "./standIn";

/** `v1=90,v2=10` -> {v1: 90, v2: 10}. */
export function parseWeights(text: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const part of text.split(",").filter((p) => p.trim() !== "")) {
        const m = /^\s*([^=\s]+)\s*=\s*(-?\d+(?:\.\d+)?)\s*$/.exec(part);
        if (m === null) {
            throw new InvalidArgumentError(`${JSON.stringify(part)} is not VERSION=WEIGHT; write e.g. v1=90,v2=10`);
        }
        out[m[1] ?? ""] = Number(m[2]);
    }
    return out;
}

/** `v2:errorRate=0.2,latencyMs=50` -> ["v2", {errorRate: 0.2, latencyMs: 50}]. */
export function parseBehavior(text: string): [string, BehaviorPatch] {
    const colon = text.indexOf(":");
    if (colon <= 0) {
        throw new InvalidArgumentError(`${JSON.stringify(text)} is not VERSION:KEY=VALUE,...; write e.g. v2:errorRate=0.2,latencyMs=50`);
    }
    const version = text.slice(0, colon);
    const raw: Record<string, number> = {};
    for (const part of text.slice(colon + 1).split(",").filter((p) => p.trim() !== "")) {
        const [key, value] = part.split("=");
        const n = Number(value);
        if (key === undefined || value === undefined || value.trim() === "" || !Number.isFinite(n)) {
            throw new InvalidArgumentError(`${JSON.stringify(part)} in --behavior is not KEY=NUMBER`);
        }
        raw[key.trim()] = n;
    }
    const parsed = behaviorPatchSchema.safeParse(raw);
    if (!parsed.success) {
        throw new InvalidArgumentError(
            parsed.error.issues.map((i) => `--behavior ${version}.${i.path.join(".")}: ${i.message}`).join("; "),
        );
    }
    return [version, parsed.data];
}

/** `x-canary=true@0.1` -> {share: 0.1, headers: {"x-canary": "true"}}. */
export function parseHeaderMix(text: string): RequestClass {
    const m = /^([A-Za-z0-9-]+)=([^@]*)@(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(text);
    if (m === null) {
        throw new InvalidArgumentError(`${JSON.stringify(text)} is not HEADER=VALUE@SHARE with SHARE in 0..1; write e.g. x-canary=true@0.1`);
    }
    return { share: Number(m[3]), headers: { [(m[1] ?? "").toLowerCase()]: m[2] ?? "" } };
}

function durationArg(flag: string): (text: string) => number {
    return (text) => {
        const ms = durationMs(text);
        if (ms === undefined || ms <= 0) {
            throw new InvalidArgumentError(`${flag} ${JSON.stringify(text)} is not a positive duration such as 500ms, 30s or 15m`);
        }
        return ms;
    };
}

function number(flag: string): (text: string) => number {
    return (text) => {
        const n = Number(text);
        if (text.trim() === "" || !Number.isFinite(n)) {
            throw new InvalidArgumentError(`${flag} ${JSON.stringify(text)} is not a number`);
        }
        return n;
    };
}

interface CliOptions {
    service: string;
    namespace: string;
    fixed?: Record<string, number>;
    istiod?: string;
    servicePort: number;
    kubeconfig?: string;
    context?: string;
    rps: number;
    seed: number;
    port: number;
    host: string;
    maxDuration: number;
    pollInterval: number;
    defaultVersion?: string;
    behavior: [string, BehaviorPatch][];
    headerMix: RequestClass[];
    sourceWorkload: string;
    urlFile?: string;
    standInEndpoints?: boolean;
}

export function buildCommand(): Command {
    return new Command("mesh-sim")
        .description("Simulated mesh traffic exporting Istio's standard metrics for Prometheus (loopback only)")
        .requiredOption("--service <name>", "Kubernetes Service whose traffic is simulated")
        .option("--namespace <ns>", "namespace of the Service and its mesh objects", "default")
        .option("--fixed <weights>", "fixed weights per version (no API server), e.g. v1=90,v2=10", parseWeights)
        .option("--istiod <host:port>", "follow the routes istiod sends over plaintext xDS (e.g. $MESH_ISTIOD_XDS_ADDRESS)")
        .option("--service-port <n>", "with --istiod: the Service port whose routes are followed", number("--service-port"), 8080)
        .option("--kubeconfig <path>", "without --istiod: kubeconfig of the API server to poll (default $KUBECONFIG)")
        .option("--context <name>", "kubeconfig context")
        .option("--rps <n>", "requests per second", number("--rps"), 100)
        .option("--seed <n>", "RNG seed", number("--seed"), 1)
        .option("--port <n>", "port on the loopback address, 0 = free port", number("--port"), 0)
        .option("--host <addr>", "loopback address to bind", "127.0.0.1")
        .option("--max-duration <d>", "stop after this long", durationArg("--max-duration"), 900_000)
        .option("--poll-interval <d>", "API server poll period", durationArg("--poll-interval"), 500)
        .option("--default-version <v>", "version for routes without a subset (default: the stable subset's)")
        .option(
            "--behavior <spec>",
            "per-version behavior, repeatable: v2:errorRate=0.2,latencyMs=50,latencyJitter=0.1,errorCode=500,overflowRate=0",
            (v: string, prev: [string, BehaviorPatch][]) => [...prev, parseBehavior(v)],
            [] as [string, BehaviorPatch][],
        )
        .option(
            "--header-mix <spec>",
            "share of requests carrying a header, repeatable: x-canary=true@0.1",
            (v: string, prev: RequestClass[]) => [...prev, parseHeaderMix(v)],
            [] as RequestClass[],
        )
        .option("--source-workload <name>", "calling workload in the metrics", "loadgenerator")
        .option("--url-file <path>", "write the simulator's URL to this file once it listens")
        .option("--stand-in-endpoints", "keep a WorkloadEntry per Deployment of the namespace (no kubelet here; uses --kubeconfig)");
}

/** CLI options -> simulator options (the kubeconfig is read here, once). */
export async function toSimulatorOptions(o: CliOptions): Promise<SimulatorOptions> {
    const source =
        o.fixed !== undefined
            ? { fixedWeights: o.fixed }
            : o.istiod !== undefined
              ? { xds: { address: o.istiod, port: o.servicePort } }
              : { meshReader: await kubeMeshReader(o.kubeconfig, o.context) };
    const behaviors: Record<string, BehaviorPatch> = {};
    for (const [version, patch] of o.behavior) {
        behaviors[version] = { ...behaviors[version], ...patch };
    }
    return {
        service: { name: o.service, namespace: o.namespace },
        rps: o.rps,
        seed: o.seed,
        port: o.port,
        host: o.host,
        maxDurationMs: o.maxDuration,
        pollIntervalMs: o.pollInterval,
        defaultVersion: o.defaultVersion,
        requestMix: o.headerMix,
        behaviors,
        sourceWorkload: o.sourceWorkload,
        ...source,
    };
}

export async function main(argv: string[]): Promise<number> {
    const cmd = buildCommand();
    cmd.parse(argv);
    const o = cmd.opts<CliOptions>();
    const sim = await startSimulator(await toSimulatorOptions(o));
    if (o.standInEndpoints === true) {
        const k8s = await import("@kubernetes/client-node");
        const kc = new k8s.KubeConfig();
        if (o.kubeconfig === undefined) kc.loadFromDefault();
        else kc.loadFromFile(o.kubeconfig);
        if (o.context !== undefined) kc.setCurrentContext(o.context);
        const standIn = await startEndpointStandIn(kc, o.namespace, { portName: "http" });
        void sim.stopped.then(() => standIn.stop());
    }
    const urlFile = o.urlFile;
    if (urlFile !== undefined) {
        fs.writeFileSync(urlFile, `${sim.url}\n`);
    }
    process.stdout.write(`${JSON.stringify({ event: "listening", url: sim.url, target: sim.target, pid: process.pid })}\n`);
    const onSignal = (): void => void sim.stop();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const reason = await sim.stopped;
    process.stdout.write(`${JSON.stringify({ event: "stopped", reason, stats: sim.stats() })}\n`);
    return 0;
}

if (require.main === module) {
    main(process.argv).then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`mesh-sim: ${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(2);
        },
    );
}
