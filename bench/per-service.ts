/**
 * Per-service stacks at scale (issue 9), on the real engine and the local control plane:
 *
 * - `env-up`: `mesh-release env up` of an environment of N services (a platform stack whose ingress root
 *   delegates to N service stacks) with the fan-out at concurrency 1 and 4, in this process as the CLI runs
 *   it (release/env/, PulumiEnvDriver, this package's program inline): wall time and peak memory (this
 *   process + every process under it), against `up` of the single-stack layout holding the same N services.
 * - `step`: one weight step of one service (config set + `up` of its stack, as `mesh-release` does it) in
 *   that environment, median of --steps steps, at each N; and the same step on the single stack of N.
 * - `releases`: 1, 2 and 10 releases of different services of one environment at the same time (the release
 *   library, runRollout with the Pulumi driver and the platform policy overlay; steps 50,100, 1 s interval,
 *   metrics from a constant healthy provider, so the time is the engine's): wall time of all against one alone.
 *
 *   bash bench/run.sh per-service [--sizes 10,100] [--concurrency 1,4] [--all-concurrency-up-to N] [--steps 5]
 *                                 [--releases 1,2,10] [--parts env-up,step,single,releases] [--no-write]
 *
 * Writes section `per-service` of BENCHMARKS.md. Each environment gets its own namespace and stacks, which
 * are not destroyed (the control plane is thrown away); the Services are deleted to give their cluster IPs
 * back (the control plane's service range is a /24: a size above ~250 needs a larger range first).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { PulumiEnvDriver } from "../release/driver/envStacks";
import { withPlatformRelease } from "../release/driver/platform";
import { programFor } from "../release/driver/program";
import { PulumiStackDriver } from "../release/driver/pulumiStack";
import { planEnv } from "../release/env/plan";
import { runFanout } from "../release/env/run";
import type { MetricsProvider } from "../release/metrics/provider";
import { runRollout } from "../release/rollout";
import { readStackFiles } from "../release/target";
import { stackValidator } from "../release/cli";
import { FakeMetrics, HEALTHY } from "../test/unit/release/fakes";
import { tempProjectSettings } from "../test/support/pulumiProject";
import { DirectApplier } from "./lib/direct";
import { memorySampler } from "./lib/memory";
import { BENCH_TRAFFIC_POLICY, benchConfig, benchServiceName } from "./lib/meshConfig";
import { benchProject } from "./lib/project";
import { machineLine, markdownTable, REPO_ROOT, writeSection } from "./lib/report";
import { formatSummary, summarize } from "./lib/stats";

type Part = "env-up" | "step" | "single" | "releases";

interface Args {
    sizes: number[];
    concurrency: number[];
    steps: number;
    releases: number[];
    parts: Part[];
    write: boolean;
    /** Sizes above this run only the highest concurrency (time). Default: every size runs every concurrency. */
    allConcurrencyUpTo: number;
}

const USAGE =
    "usage: bash bench/run.sh per-service [--sizes 10,100] [--concurrency 1,4] [--all-concurrency-up-to N] [--steps 5] [--releases 1,2,10] [--parts env-up,step,single,releases] [--no-write]";

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { sizes: [10, 100], concurrency: [1, 4], steps: 5, releases: [1, 2, 10], parts: ["env-up", "step", "single", "releases"], write: true, allConcurrencyUpTo: Number.POSITIVE_INFINITY };
    const ints = (v: string): number[] => v.split(",").map(Number);
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = argv[i + 1] ?? "";
        if (a === "--sizes") args.sizes = ints(v);
        else if (a === "--concurrency") args.concurrency = ints(v);
        else if (a === "--steps") args.steps = Number(v);
        else if (a === "--releases") args.releases = ints(v);
        else if (a === "--parts") args.parts = v.split(",") as Part[];
        else if (a === "--all-concurrency-up-to") args.allConcurrencyUpTo = Number(v);
        else if (a === "--no-write") {
            args.write = false;
            continue;
        } else throw new Error(`unknown argument ${a}; ${USAGE}`);
        i++;
    }
    const bad = [...args.sizes, ...args.concurrency, ...args.releases, args.steps].some((n) => !Number.isInteger(n) || n < 1);
    if (bad || args.parts.some((p) => !["env-up", "step", "single", "releases"].includes(p))) {
        throw new Error(`bad arguments; ${USAGE}`);
    }
    return args;
}

const BENCH_RELEASE = { steps: [50, 100], interval: "1s", analysis: { minRequests: 10 }, update: { retries: 0, backoff: "1s" } };

/** A project dir with a platform stack `env` and N service stacks `env.svc-0000`... (files only). */
function writeEnvironment(env: string, n: number): string {
    const workDir = fs.mkdtempSync(path.join(process.env["MESH_BENCH_WORK"] ?? os.tmpdir(), "mesh-bench-env-"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(workDir, "node_modules"), "dir");
    const repoProject = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), stringify(tempProjectSettings(repoProject, workDir)));
    const names = Array.from({ length: n }, (_, i) => benchServiceName(i));
    const file = (stack: string, config: Record<string, unknown>): void =>
        fs.writeFileSync(path.join(workDir, `Pulumi.${stack}.yaml`), stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`mesh-traffic:${k}`, v])) }));
    file(env, {
        layout: "platform",
        namespace: env,
        skipAwait: true,
        ingress: { enabled: true, hosts: [`${env}.bench.local`], tls: { mode: "SIMPLE", credentialName: "bench-tls" }, routes: names.map((s) => ({ prefix: `/${s}`, service: s })) },
        release: BENCH_RELEASE,
    });
    for (const s of names) {
        file(`${env}.${s}`, {
            layout: "service",
            platformStack: env,
            skipAwait: true,
            services: { [s]: { image: "registry.local/bench/app:{version}", port: 8080, stable: { version: "v1" }, canary: { version: "v2", weight: 0 }, trafficPolicy: BENCH_TRAFFIC_POLICY } },
        });
    }
    return workDir;
}

const envVars = (): Record<string, string> => ({ PULUMI_SKIP_UPDATE_CHECK: "true", PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" });

async function envUp(workDir: string, env: string, concurrency: number): Promise<{ ms: number; peakMiB: number; failed: string[] }> {
    const driver = new PulumiEnvDriver({ workDir, program: programFor("auto", workDir), pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
    const plan = planEnv(env, "up", readStackFiles(workDir), []);
    const mem = memorySampler(true);
    const t0 = performance.now();
    const result = await runFanout(plan, driver, { concurrency });
    const ms = performance.now() - t0;
    return { ms, peakMiB: mem.stop(), failed: result.results.filter((r) => r.outcome !== "ok").map((r) => `${r.stack}: ${r.summary}`) };
}

/** `steps` weight steps of one service through the release driver (config set + up); ms each. */
async function weightSteps(driver: PulumiStackDriver, service: string, steps: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < steps; i++) {
        const t0 = performance.now();
        await driver.write([{ path: ["services", service, "canary", "weight"], value: i % 2 === 0 ? 10 : 20 }]);
        await driver.update({ message: `bench step ${i}` });
        out.push(performance.now() - t0);
    }
    return out;
}

async function freeServices(namespace: string): Promise<void> {
    const direct = new DirectApplier();
    const svcs = await direct.list("v1", "Service", namespace).catch(() => []);
    await Promise.all(svcs.map((o) => direct.remove({ apiVersion: "v1", kind: "Service", metadata: { name: o.metadata.name, namespace } })));
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const rows: string[][] = [];
    const notes: string[] = [];
    const stepRows: string[][] = [];
    const say = (t: string): void => void process.stderr.write(`[per-service ${new Date().toISOString().slice(11, 19)}] ${t}\n`);
    const id = randomBytes(2).toString("hex");

    for (const n of args.sizes) {
        let stepEnv: { workDir: string; env: string } | undefined;
        if (args.parts.includes("env-up") || args.parts.includes("step")) {
            const all = args.parts.includes("env-up") && n <= args.allConcurrencyUpTo;
            for (const c of all ? args.concurrency : [Math.max(...args.concurrency)]) {
                const env = `pb${id}-${n}-c${c}`;
                const workDir = writeEnvironment(env, n);
                say(`env up: ${n} services, concurrency ${c} (${env})`);
                const r = await envUp(workDir, env, c);
                say(`  ${(r.ms / 1000).toFixed(1)} s, peak ${r.peakMiB.toFixed(0)} MiB, ${r.failed.length} failed`);
                if (r.failed.length > 0) notes.push(`env up ${n} services at concurrency ${c}: ${r.failed.length} stacks failed, e.g. ${r.failed[0]}`);
                rows.push([String(n), `per-service, fan-out concurrency ${c}`, String(n + 1), (r.ms / 1000).toFixed(1), r.peakMiB.toFixed(0), String(r.failed.length)]);
                stepEnv = { workDir, env };
            }
        }
        if (args.parts.includes("step") && stepEnv !== undefined) {
            const svc = benchServiceName(0);
            const base = new PulumiStackDriver({ stackName: `${stepEnv.env}.${svc}`, workDir: stepEnv.workDir, program: programFor("auto", stepEnv.workDir), pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
            const ms = await weightSteps(base, svc, args.steps);
            say(`step, per-service, mesh of ${n}: ${ms.map((x) => (x / 1000).toFixed(1)).join(", ")} s`);
            stepRows.push([String(n), "per-service (the service's own stack)", formatSummary(summarize(ms.map((x) => x / 1000)), 2)]);
        }
        if (stepEnv !== undefined) await freeServices(stepEnv.env);
        if (args.parts.includes("single")) {
            const namespace = `pb${id}-${n}-single`;
            say(`single-stack up: ${n} services`);
            const project = await benchProject({ stackName: namespace, config: benchConfig({ services: n, namespace, weight: 0 }) });
            const pulumiCommand = await PulumiCommand.get({ root: project.pulumiRoot });
            const inline = programFor("inline", project.workDir);
            const stack = await LocalWorkspace.selectStack(
                { stackName: project.stackName, projectName: "mesh-traffic", program: inline.kind === "inline" ? inline.program : async () => ({}) },
                { workDir: project.workDir, pulumiCommand, envVars: envVars() },
            );
            const mem = memorySampler(true);
            const t0 = performance.now();
            let failed = 0;
            try {
                await stack.up({ refresh: false });
            } catch (err) {
                failed = 1;
                notes.push(`single-stack up of ${n} services failed: ${String(err).split("\n").find((l) => /error/i.test(l)) ?? String(err).slice(0, 200)}`);
            }
            const ms = performance.now() - t0;
            rows.push([String(n), "single stack (inline program)", "1", (ms / 1000).toFixed(1), mem.stop().toFixed(0), String(failed)]);
            say(`  ${(ms / 1000).toFixed(1)} s`);
            if (args.parts.includes("step") && failed === 0) {
                const driver = new PulumiStackDriver({ stackName: project.stackName, workDir: project.workDir, program: inline, pulumiRoot: project.pulumiRoot, envVars: envVars() });
                const steps = await weightSteps(driver, benchServiceName(0), args.steps);
                say(`step, single stack of ${n}: ${steps.map((x) => (x / 1000).toFixed(1)).join(", ")} s`);
                stepRows.push([String(n), "single stack of the whole mesh", formatSummary(summarize(steps.map((x) => x / 1000)), 2)]);
            }
            await freeServices(namespace);
        }
    }

    const releaseRows: string[][] = [];
    if (args.parts.includes("releases")) {
        const max = Math.max(...args.releases);
        const env = `pb${id}-rel`;
        const workDir = writeEnvironment(env, max);
        say(`releases: environment of ${max} services`);
        const up = await envUp(workDir, env, 4);
        if (up.failed.length > 0) throw new Error(`env up for the releases failed: ${up.failed.join("; ")}`);
        let round = 0;
        let alone: number | undefined;
        for (const r of args.releases) {
            round++;
            const version = `v${round + 2}`;
            const metrics: MetricsProvider = new FakeMetrics(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`v${i + 1}`, HEALTHY])));
            const t0 = performance.now();
            const results = await Promise.all(
                Array.from({ length: r }, (_, i) => {
                    const svc = benchServiceName(i);
                    const own = new PulumiStackDriver({ stackName: `${env}.${svc}`, workDir, program: programFor("auto", workDir), pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
                    const platform = new PulumiStackDriver({ stackName: env, workDir, pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
                    return runRollout({ action: "canary", service: svc, version }, { driver: withPlatformRelease(own, platform), metrics: () => metrics, emit: () => undefined, validate: stackValidator });
                }),
            );
            const ms = performance.now() - t0;
            const outcomes = results.map((x) => x.outcome);
            const promoted = outcomes.filter((o) => o === "promoted").length;
            alone ??= r === 1 ? ms : undefined;
            say(`  ${r} concurrent: ${(ms / 1000).toFixed(1)} s, ${promoted}/${r} promoted`);
            if (promoted < r) notes.push(`${r} concurrent releases: ${results.filter((x) => x.outcome !== "promoted").map((x) => x.message).join("; ").slice(0, 300)}`);
            releaseRows.push([String(r), (ms / 1000).toFixed(1), `${promoted}/${r}`, alone !== undefined ? `${(ms / alone).toFixed(2)}x` : "-"]);
        }
        await freeServices(env);
    }

    const cmd = `bash bench/run.sh per-service ${process.argv.slice(2).join(" ")}`.trim();
    const body = [
        "## Per-service stacks: environment up, weight step, concurrent releases",
        "",
        `Command: \`${cmd}\` (file state backend, this package's program inline, local control plane). ${machineLine()}`,
        "",
        ...(rows.length > 0
            ? ["`up` of a whole environment of N services (wall time; peak memory = this process + every process under it, sampled every 100 ms):", "", markdownTable(["N services", "layout", "stacks", "wall s", "peak MiB", "failed stacks"], rows), ""]
            : []),
        ...(stepRows.length > 0 ? [`One weight step of one service (config set + \`up\`), median (min–max) of ${args.steps}, seconds:`, "", markdownTable(["mesh of N services", "stack updated", "step s"], stepRows), ""] : []),
        ...(releaseRows.length > 0
            ? ["Releases of different services of one environment at the same time (steps 50,100, 1 s interval, healthy metrics from a constant provider):", "", markdownTable(["releases at once", "wall s", "promoted", "vs one alone"], releaseRows), ""]
            : []),
        ...(notes.length > 0 ? ["Notes:", "", ...notes.map((n) => `- ${n}`), ""] : []),
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("per-service", body);
    }
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
