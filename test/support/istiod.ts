/**
 * istiod (pilot-discovery from the pinned istio.io/istio module) in the e2e tests: started outside the cluster
 * against the local kube-apiserver by `scripts/local-cluster.sh start-istiod`, read through its debug port.
 *
 * - {@link ensureIstiod}: the running istiod of this e2e run. scripts/e2e.sh starts it when pilot-discovery is
 *   built; on a cold machine it builds pilot-discovery in the background (MESH_ISTIOD_BUILD_RC_FILE appears when
 *   that build ends) and the first test that needs istiod waits for the build, then starts it. A failed build
 *   fails the test with the end of the build log.
 * - {@link startAmbientIstiod}: a second istiod of this run with ambient mode on (`start-istiod --ambient`), for the
 *   waypoint checks only; the run's istiod stays as it is.
 * - startEndpointStandIn (sim/standIn.ts, re-exported): a WorkloadEntry per Deployment stands in for its pods.
 * - {@link IstiodDebug}: the debug endpoints (syncz, configz, push_status, config_dump) and the log.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { awaitBackgroundBuild, logTail } from "./backgroundBuild";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const BUILD_PILOT = "bash scripts/toolchain.sh build pilot-discovery";

export interface IstiodHandle {
    /** Plaintext xDS, host:port. */
    xdsAddress: string;
    debugUrl: string;
    monitoringUrl: string;
    /** istiod's log file. */
    logFile: string;
    /** Milliseconds from launch to /ready, as scripts/local-cluster.sh measured it. */
    startupMs: number;
}

/** The handle from MESH_ISTIOD_* in `env`, of the istiod named `name` (its log DIR/NAME.log, its files DIR/NAME/). */
function fromEnv(env: NodeJS.ProcessEnv, name = "istiod"): IstiodHandle | undefined {
    const xds = env["MESH_ISTIOD_XDS_ADDRESS"];
    const debug = env["MESH_ISTIOD_DEBUG_URL"];
    const dir = env["MESH_CLUSTER_DIR"];
    if (!xds || !debug || !dir) return undefined;
    const startup = path.join(dir, name, "startup-ms");
    return {
        xdsAddress: xds,
        debugUrl: debug,
        monitoringUrl: env["MESH_ISTIOD_MONITORING_URL"] ?? "",
        logFile: path.join(dir, `${name}.log`),
        startupMs: fs.existsSync(startup) ? Number(fs.readFileSync(startup, "utf8").trim()) : NaN,
    };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        execFile(cmd, args, { cwd: REPO_ROOT, env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : -1;
            resolve({ code, stdout, stderr });
        });
    });
}

/** How long to wait for a background pilot-discovery build: MESH_ISTIOD_WAIT_S, default 1800 s. */
export function istiodWaitMs(env: NodeJS.ProcessEnv = process.env): number {
    const s = Number(env["MESH_ISTIOD_WAIT_S"] ?? "");
    return Number.isFinite(s) && s > 0 ? s * 1000 : 1_800_000;
}

let starting: Promise<IstiodHandle> | undefined;

/**
 * The istiod of this e2e run (see the file comment): already started by scripts/e2e.sh, or started here once the
 * background pilot-discovery build has finished. Throws, never skips, saying how to build pilot-discovery.
 */
export function ensureIstiod(env: NodeJS.ProcessEnv = process.env): Promise<IstiodHandle> {
    const ready = fromEnv(env);
    if (ready !== undefined) return Promise.resolve(ready);
    starting ??= startIstiod(env).catch((e: unknown) => {
        starting = undefined;
        throw e;
    });
    return starting;
}

const SCRIPT = path.join(REPO_ROOT, "scripts", "local-cluster.sh");

/** The cluster dir of this e2e run, or a message saying how to get one. */
function clusterDir(env: NodeJS.ProcessEnv): string {
    const dir = env["MESH_CLUSTER_DIR"];
    if (!dir) throw new Error("MESH_CLUSTER_DIR is not set: run the e2e tests with `npm run test:e2e` (scripts/e2e.sh starts the control plane)");
    return dir;
}

/** `local-cluster.sh start-istiod --dir DIR ...extra`; the export lines it printed, into `into`. */
async function runStartIstiod(env: NodeJS.ProcessEnv, extra: string[], into: NodeJS.ProcessEnv): Promise<void> {
    const res = await run("bash", [SCRIPT, "start-istiod", "--dir", clusterDir(env), ...extra], env, 180_000);
    if (res.code !== 0) {
        throw new Error(`scripts/local-cluster.sh start-istiod ${extra.join(" ")} failed (exit ${res.code}); build pilot-discovery with \`${BUILD_PILOT}\` if it is missing:\n${res.stderr}${logTail(env["MESH_ISTIOD_BUILD_LOG"])}`);
    }
    for (const m of res.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)) {
        into[m[1] ?? ""] = m[2] ?? "";
    }
}

async function startIstiod(env: NodeJS.ProcessEnv): Promise<IstiodHandle> {
    clusterDir(env);
    const buildLog = env["MESH_ISTIOD_BUILD_LOG"];
    await awaitBackgroundBuild({ tool: "pilot-discovery", rcFile: env["MESH_ISTIOD_BUILD_RC_FILE"], log: buildLog, waitMs: istiodWaitMs(env), buildCommand: BUILD_PILOT });
    await runStartIstiod(env, [], env);
    const h = fromEnv(env);
    if (h === undefined) throw new Error("start-istiod printed no MESH_ISTIOD_* lines");
    return h;
}

/** A second istiod with ambient mode on; `stop` ends it. */
export interface AmbientIstiod extends IstiodHandle {
    stop(): Promise<void>;
}

/**
 * A second istiod beside the run's (`start-istiod --ambient`: PILOT_ENABLE_AMBIENT, its ambient index on, which
 * keys what a waypoint gets), against the same API server, for the waypoint checks; the run's istiod is left as
 * it is. Waits for pilot-discovery as {@link ensureIstiod} does. Call `stop` when done (`local-cluster.sh stop`
 * stops it too).
 */
export async function startAmbientIstiod(env: NodeJS.ProcessEnv = process.env): Promise<AmbientIstiod> {
    await ensureIstiod(env);
    const dir = clusterDir(env);
    const own: NodeJS.ProcessEnv = { MESH_CLUSTER_DIR: dir };
    await runStartIstiod(env, ["--ambient"], own);
    const h = fromEnv(own, "istiod-ambient");
    if (h === undefined) throw new Error("start-istiod --ambient printed no MESH_ISTIOD_* lines");
    return {
        ...h,
        stop: async () => {
            const res = await run("bash", [SCRIPT, "stop-istiod", dir, "--ambient"], env, 60_000);
            if (res.code !== 0) throw new Error(`scripts/local-cluster.sh stop-istiod --ambient failed (exit ${res.code}):\n${res.stderr}`);
        },
    };
}

/** One proxy in istiod's /debug/syncz. */
export interface SyncStatus {
    proxy: string;
    proxy_type?: string;
    cluster_sent?: string;
    cluster_acked?: string;
    listener_sent?: string;
    listener_acked?: string;
    route_sent?: string;
    route_acked?: string;
    endpoint_sent?: string;
    endpoint_acked?: string;
}

/** A config istiod holds (/debug/configz). */
export interface IstiodConfig {
    kind: string;
    metadata: { name: string; namespace: string; resourceVersion?: string; generation?: number };
}

/** istiod's debug port. */
export class IstiodDebug {
    constructor(readonly h: IstiodHandle) {}

    async json<T>(pathAndQuery: string): Promise<T> {
        const res = await fetch(`${this.h.debugUrl}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
        const text = await res.text();
        if (!res.ok) throw new Error(`istiod ${pathAndQuery}: HTTP ${res.status}: ${text.slice(0, 500)}`);
        try {
            return JSON.parse(text) as T;
        } catch {
            throw new Error(`istiod ${pathAndQuery}: not JSON: ${text.slice(0, 500)}`);
        }
    }

    syncz(namespace?: string): Promise<SyncStatus[]> {
        return this.json<SyncStatus[]>(`/debug/syncz${namespace === undefined ? "" : `?namespace=${encodeURIComponent(namespace)}`}`);
    }

    async configz(namespace: string): Promise<IstiodConfig[]> {
        const all = await this.json<IstiodConfig[]>("/debug/configz");
        return all.filter((c) => c.metadata.namespace === namespace);
    }

    /** The last push context's problems: metric -> key -> message (pilot_vservice_dup_domain, pilot_eds_no_instances, ...). */
    pushStatus(): Promise<Record<string, unknown>> {
        return this.json<Record<string, unknown>>("/debug/push_status");
    }

    /** Envoy-style config dump istiod would send the connected proxy `proxyId`. */
    configDump(proxyId: string): Promise<{ configs: Record<string, unknown>[] }> {
        return this.json(`/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`);
    }

    /** Bytes of the log so far (to read only what comes after). */
    logOffset(): number {
        return fs.existsSync(this.h.logFile) ? fs.statSync(this.h.logFile).size : 0;
    }

    /** Log lines from `offset`. */
    logSince(offset: number): string[] {
        if (!fs.existsSync(this.h.logFile)) return [];
        return fs.readFileSync(this.h.logFile).subarray(offset).toString("utf8").split("\n").filter((l) => l !== "");
    }

    /** Warning and error lines of the log from `offset` that mention `namespace`. */
    problemsFor(namespace: string, offset: number): string[] {
        return this.logSince(offset).filter((l) => /\t(warn|error)\t/.test(l) && l.includes(namespace));
    }

    /**
     * Waits until istiod has read the given objects at (at least) the given resourceVersions (configz) and every
     * proxy of `namespace` has ACKed the newest clusters, listeners and routes sent to it (syncz). Resolves with
     * the milliseconds it took; rejects after `timeoutMs` saying what was not synced.
     */
    async waitSynced(namespace: string, objects: readonly { kind: string; name: string; resourceVersion: string }[], timeoutMs = 30_000, pollMs = 50): Promise<number> {
        const t0 = Date.now();
        let why = "";
        while (Date.now() - t0 < timeoutMs) {
            why = await this.notSynced(namespace, objects);
            if (why === "") return Date.now() - t0;
            await new Promise((r) => setTimeout(r, pollMs));
        }
        throw new Error(`istiod did not report the config of ${namespace} as synced within ${timeoutMs} ms: ${why}`);
    }

    /** "" when synced (see waitSynced), else what is not. */
    async notSynced(namespace: string, objects: readonly { kind: string; name: string; resourceVersion: string }[]): Promise<string> {
        const have = await this.configz(namespace);
        for (const o of objects) {
            const c = have.find((x) => x.kind === o.kind && x.metadata.name === o.name);
            if (c === undefined) return `istiod does not hold ${o.kind} ${namespace}/${o.name}`;
            if (Number(c.metadata.resourceVersion ?? 0) < Number(o.resourceVersion)) {
                return `istiod holds ${o.kind} ${namespace}/${o.name} at resourceVersion ${c.metadata.resourceVersion}, the API server at ${o.resourceVersion}`;
            }
        }
        for (const p of await this.syncz(namespace)) {
            for (const t of ["cluster", "listener", "route"] as const) {
                const sent = p[`${t}_sent`];
                const acked = p[`${t}_acked`];
                if (sent !== undefined && sent !== "" && sent !== acked) return `proxy ${p.proxy} has not ACKed the ${t}s sent (${sent} vs ${acked ?? "none"})`;
            }
        }
        return "";
    }
}

export { startEndpointStandIn, type EndpointStandIn } from "../../sim/standIn";
