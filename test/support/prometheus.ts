/**
 * A real Prometheus for tests: the `prometheus` binary (Debian package `prometheus`) on a free
 * loopback port, with its own temporary data directory and a scrape config pointing at the given
 * targets (default scrape interval 1 s). `startPrometheus` resolves once Prometheus is ready and
 * every target is up; `stop()` terminates it (SIGTERM, then SIGKILL after a grace period), removes
 * the data directory and leaves no process behind, also when the test process exits early.
 *
 *   const prom = await startPrometheus({ targets: [sim.target] });
 *   const v = await prom.queryScalar('sum(rate(istio_requests_total[5s]))');
 *   await prom.stop();
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";

export const INSTALL_HINT =
    "install it with `apt-get install -y --no-install-recommends prometheus` (Debian package) and make sure no " +
    "system service of it runs (`systemctl disable --now prometheus` where systemd runs), or set PROMETHEUS_BIN " +
    "to the binary";

export interface PrometheusOptions {
    /** Scrape targets as "host:port" (loopback only). */
    targets: string[];
    /** Scrape interval, milliseconds (whole seconds are written as "Ns"). Default 1000. */
    scrapeIntervalMs?: number;
    /** The binary; default $PROMETHEUS_BIN, then `prometheus` on PATH, then /usr/bin/prometheus. */
    binary?: string;
    /** How long to wait for readiness and for every target to be up, milliseconds. Default 20000. */
    readyTimeoutMs?: number;
    /** Wait until every target is up before resolving. Default true. */
    waitForTargets?: boolean;
    /** Job name of the scrape config. Default "mesh-sim". */
    jobName?: string;
    /** Port on 127.0.0.1 (to restart on the same URL). Default: a free port. */
    port?: number;
}

/** One series of an instant vector. */
export interface VectorSample {
    metric: Record<string, string>;
    value: [number, string];
}

export interface PrometheusHandle {
    /** http://127.0.0.1:PORT */
    readonly url: string;
    readonly port: number;
    readonly pid: number;
    readonly dataDir: string;
    /** Instant query; rejects on an HTTP or PromQL error. */
    query(promql: string): Promise<VectorSample[]>;
    /** Instant query reduced to one number: null for an empty result or NaN; rejects for several series. */
    queryScalar(promql: string): Promise<number | null>;
    /** Resolves once every target's last scrape was healthy. */
    waitForTargetsUp(timeoutMs?: number): Promise<void>;
    /** Whether the process is still running. */
    running(): boolean;
    /** The last lines Prometheus logged (for failure messages). */
    logTail(): string;
    /** Terminate Prometheus and remove its data directory. Idempotent. */
    stop(): Promise<void>;
}

/** Where the prometheus binary is, or undefined. */
export function findPrometheus(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const candidates = [
        env["PROMETHEUS_BIN"],
        ...(env["PATH"] ?? "").split(path.delimiter).filter((d) => d !== "").map((d) => path.join(d, "prometheus")),
        "/usr/bin/prometheus",
    ];
    return candidates.find((c): c is string => {
        if (c === undefined || c === "") {
            return false;
        }
        try {
            fs.accessSync(c, fs.constants.X_OK);
            return fs.statSync(c).isFile();
        } catch {
            return false;
        }
    });
}

/** A free TCP port on 127.0.0.1 (bound and released; a race with another process is retried by the caller). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

/** The scrape config Prometheus is started with. Pure. */
export function scrapeConfig(targets: readonly string[], scrapeIntervalMs: number, jobName: string): string {
    const interval = scrapeIntervalMs % 1000 === 0 ? `${scrapeIntervalMs / 1000}s` : `${scrapeIntervalMs}ms`;
    return stringify({
        global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
        scrape_configs: [{ job_name: jobName, metrics_path: "/metrics", static_configs: [{ targets: [...targets] }] }],
    });
}

const LOOPBACK_TARGET = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\]):\d{1,5}$/;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
    if (exitHookInstalled) {
        return;
    }
    exitHookInstalled = true;
    // A test that crashes or forgets stop() must not leave Prometheus running.
    process.on("exit", () => {
        for (const child of live) {
            child.kill("SIGKILL");
        }
    });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function getJson(url: string, timeoutMs = 2000): Promise<unknown> {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as unknown;
    if (!res.ok) {
        throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    }
    return body;
}

interface ApiResponse<T> {
    status: "success" | "error";
    data: T;
    error?: string;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusHandle> {
    const binary = opts.binary ?? findPrometheus();
    if (binary === undefined) {
        throw new Error(`prometheus binary not found on PATH or at /usr/bin/prometheus; ${INSTALL_HINT}`);
    }
    const bad = opts.targets.filter((t) => !LOOPBACK_TARGET.test(t));
    if (opts.targets.length === 0 || bad.length > 0) {
        throw new Error(
            `targets are ${JSON.stringify(opts.targets)}; give at least one, each a loopback host:port such as 127.0.0.1:9100`,
        );
    }
    const scrapeIntervalMs = opts.scrapeIntervalMs ?? 1000;
    const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
    let lastError = "";
    for (let attempt = 1; attempt <= 3; attempt++) {
        try {
            return await startOnce(binary, opts, scrapeIntervalMs, readyTimeoutMs);
        } catch (e) {
            lastError = (e as Error).message;
            // Only a lost port race is worth another try, and only for a port we picked.
            if (opts.port !== undefined || !/address already in use/i.test(lastError)) {
                break;
            }
        }
    }
    throw new Error(lastError);
}

async function startOnce(
    binary: string,
    opts: PrometheusOptions,
    scrapeIntervalMs: number,
    readyTimeoutMs: number,
): Promise<PrometheusHandle> {
    installExitHook();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-prometheus-"));
    const dataDir = path.join(dir, "data");
    const configFile = path.join(dir, "prometheus.yml");
    fs.writeFileSync(configFile, scrapeConfig(opts.targets, scrapeIntervalMs, opts.jobName ?? "mesh-sim"));
    const port = opts.port ?? (await freePort());
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
        binary,
        [
            `--config.file=${configFile}`,
            `--storage.tsdb.path=${dataDir}`,
            `--web.listen-address=127.0.0.1:${port}`,
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    live.add(child);
    const log: string[] = [];
    const keep = (chunk: Buffer): void => {
        log.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
        log.splice(0, Math.max(0, log.length - 40));
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let exited = false;
    const exitedPromise = new Promise<void>((resolve) => {
        child.once("exit", () => {
            exited = true;
            live.delete(child);
            resolve();
        });
    });
    const spawnError = new Promise<never>((_, reject) => child.once("error", reject));
    spawnError.catch(() => undefined);

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
        stopping ??= (async () => {
            if (!exited) {
                child.kill("SIGTERM");
                const killed = await Promise.race([exitedPromise.then(() => true), sleep(5000).then(() => false)]);
                if (!killed) {
                    child.kill("SIGKILL");
                    await exitedPromise;
                }
            }
            fs.rmSync(dir, { recursive: true, force: true });
        })();
        return stopping;
    };
    const logTail = (): string => log.slice(-10).join("\n");

    const query = async (promql: string): Promise<VectorSample[]> => {
        const body = (await getJson(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)) as ApiResponse<{
            resultType: string;
            result: VectorSample[] | [number, string];
        }>;
        if (body.status !== "success") {
            throw new Error(`query ${promql} failed: ${body.error ?? "unknown error"}`);
        }
        if (body.data.resultType === "scalar") {
            return [{ metric: {}, value: body.data.result as [number, string] }];
        }
        return body.data.result as VectorSample[];
    };
    const queryScalar = async (promql: string): Promise<number | null> => {
        const result = await query(promql);
        if (result.length > 1) {
            throw new Error(`query ${promql} returned ${result.length} series; expected one`);
        }
        const v = result[0] === undefined ? NaN : Number(result[0].value[1]);
        return Number.isNaN(v) ? null : v;
    };
    const waitForTargetsUp = async (timeoutMs = readyTimeoutMs): Promise<void> => {
        const deadline = Date.now() + timeoutMs;
        let seen = "no answer yet";
        while (Date.now() < deadline) {
            try {
                const body = (await getJson(`${url}/api/v1/targets?state=active`)) as ApiResponse<{
                    activeTargets: { scrapeUrl: string; health: string; lastError: string }[];
                }>;
                const targets = body.data.activeTargets;
                seen = targets.map((t) => `${t.scrapeUrl}: ${t.health} ${t.lastError}`.trim()).join("; ");
                if (targets.length === opts.targets.length && targets.every((t) => t.health === "up")) {
                    return;
                }
            } catch (e) {
                seen = (e as Error).message;
            }
            await sleep(100);
        }
        throw new Error(`Prometheus targets not up after ${timeoutMs} ms: ${seen}`);
    };

    try {
        const deadline = Date.now() + readyTimeoutMs;
        for (;;) {
            if (exited) {
                throw new Error(`prometheus exited during start-up:\n${logTail()}`);
            }
            if (Date.now() > deadline) {
                throw new Error(`prometheus not ready after ${readyTimeoutMs} ms:\n${logTail()}`);
            }
            const ok = await Promise.race([
                fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
                    (r) => r.ok,
                    () => false,
                ),
                spawnError,
            ]);
            if (ok) {
                break;
            }
            await sleep(50);
        }
        if (opts.waitForTargets ?? true) {
            await waitForTargetsUp();
        }
    } catch (e) {
        await stop();
        const message = (e as NodeJS.ErrnoException).code === "ENOENT" ? `${binary} not found; ${INSTALL_HINT}` : (e as Error).message;
        throw new Error(message);
    }

    return {
        url,
        port,
        pid: child.pid ?? -1,
        dataDir,
        query,
        queryScalar,
        waitForTargetsUp,
        running: () => !exited,
        logTail,
        stop,
    };
}
