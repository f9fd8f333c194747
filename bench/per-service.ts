/**
 * Per-service stacks at scale (issue 9), on the real engine and the local control plane:
 *
 * - `env-up`: `mesh-release env up` of an environment of N services (a platform stack whose ingress root
 *   delegates to N service stacks) with the fan-out at concurrency 1 and 4, in this process as the CLI runs
 *   it (release/env/, PulumiEnvDriver, this package's program inline): wall time and peak memory (this
 *   process + every process under it), against `up` of the single-stack layout holding the same N services.
 * - `step`: one weight step of one service (config set + `up` of its stack, as `mesh-release` does it) in
 *   each environment, median of --steps steps, interleaved across the sizes (10, 100, 1000, then reversed) so
 *   that drift in machine load hits every size alike; and the same step on the single stack of N.
 * - `single`: `up` of the single-stack layout holding the same N services (sizes up to --single-up-to).
 * - `langhost`: the largest environment's platform stack and one service stack updated once more through the
 *   CLI's Node language host (the project's own program, not inline), with the size of the config the CLI
 *   hands it in one environment variable (Linux caps one at 128 KiB: pulumi/pulumi#8680).
 * - `releases`: 1, 2 and 10 releases of different services of one environment at the same time (the release
 *   library, runRollout with the Pulumi driver and the platform policy overlay; steps --release-steps (50,100),
 *   analysis interval --release-interval (1s), metrics from a constant healthy provider, so the time is the
 *   engine's): wall time and CPU time of all against one alone, and the floor the cores set (N releases need N
 *   times one's CPU). At 1 s the releases are CPU-bound (the cores decide); at an interval like Flagger's
 *   default (1m) they mostly wait, as real rollouts do.
 *
 *   bash bench/run.sh per-service [--sizes 10,100] [--concurrency 1,4] [--all-concurrency-up-to N] [--steps 5]
 *                                 [--releases 1,2,10] [--parts env-up,step,single,releases,langhost]
 *                                 [--single-up-to N] [--deployed-up-to K] [--release-steps 50,100]
 *                                 [--release-interval 1s] [--no-write]
 *   --deployed-up-to K: above K services an environment declares all N (root routes to every one) but deploys
 *   only the platform and K service stacks (the env-up row says so): the weight step and the language host see
 *   the platform at full size without N stack updates (about 3-4 CPU s each: 1,000 take about 35 minutes of 2 cores).
 *
 * Writes section `per-service` of BENCHMARKS.md. Each environment gets its own namespace and stacks, kept
 * until the end (the control plane is thrown away); a second Service range (ServiceCIDR 10.1.0.0/16) makes
 * room for every environment's Services at once.
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
import { readStackFiles } from "../release/env/target";
import { stackValidator } from "../release/env/check";
import { FakeMetrics, HEALTHY } from "../test/unit/release/fakes";
import { tempProjectSettings } from "../test/support/pulumiProject";
import { DirectApplier } from "./lib/direct";
import { cpuMeter, cores } from "./lib/cpu";
import { memorySampler } from "./lib/memory";
import { BENCH_TRAFFIC_POLICY, benchConfig, benchServiceName } from "./lib/meshConfig";
import { benchProject } from "./lib/project";
import { machineLine, markdownTable, REPO_ROOT, writeSection } from "./lib/report";
import { formatSummary, summarize } from "./lib/stats";

type Part = "env-up" | "step" | "single" | "releases" | "langhost";
const PARTS: readonly Part[] = ["env-up", "step", "single", "releases", "langhost"];

interface Args {
    sizes: number[];
    concurrency: number[];
    steps: number;
    releases: number[];
    parts: Part[];
    write: boolean;
    /** Sizes above this run only the highest concurrency (time). Default: every size runs every concurrency. */
    allConcurrencyUpTo: number;
    /** The single-stack layout runs only at sizes up to this. Default: every size. */
    singleUpTo: number;
    /**
     * Above this many services, an environment declares all N (the platform's root routes delegate to every one)
     * but only the platform and this many service stacks are deployed: what a weight step or the language host
     * depends on (the platform's output, the root routes) is at full size without N stack updates. Default: all.
     */
    deployedUpTo: number;
    /** The release policy's steps and interval for the `releases` part (and every environment's platform stack). */
    releaseSteps: number[];
    releaseInterval: string;
}

const USAGE =
    "usage: bash bench/run.sh per-service [--sizes 10,100] [--concurrency 1,4] [--all-concurrency-up-to N] [--steps 5] [--releases 1,2,10] [--parts env-up,step,single,releases,langhost] [--single-up-to N] [--deployed-up-to K] [--release-steps 50,100] [--release-interval 1s] [--no-write]";

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { sizes: [10, 100], concurrency: [1, 4], steps: 5, releases: [1, 2, 10], parts: [...PARTS], write: true, allConcurrencyUpTo: Number.POSITIVE_INFINITY, singleUpTo: Number.POSITIVE_INFINITY, deployedUpTo: Number.POSITIVE_INFINITY, releaseSteps: [50, 100], releaseInterval: "1s" };
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
        else if (a === "--single-up-to") args.singleUpTo = Number(v);
        else if (a === "--deployed-up-to") args.deployedUpTo = Number(v);
        else if (a === "--release-steps") args.releaseSteps = ints(v);
        else if (a === "--release-interval") args.releaseInterval = v;
        else if (a === "--no-write") {
            args.write = false;
            continue;
        } else throw new Error(`unknown argument ${a}; ${USAGE}`);
        i++;
    }
    const bad = [...args.sizes, ...args.concurrency, ...args.releases, ...args.releaseSteps, args.steps].some((n) => !Number.isInteger(n) || n < 1) || !/^\d+(ms|s|m)$/.test(args.releaseInterval);
    if (bad || args.parts.some((p) => !PARTS.includes(p))) {
        throw new Error(`bad arguments; ${USAGE}`);
    }
    return args;
}

/** The platform's release policy: the bench's steps and interval (--release-steps, --release-interval). */
const benchRelease = (args: Pick<Args, "releaseSteps" | "releaseInterval">): Record<string, unknown> => ({
    steps: args.releaseSteps,
    interval: args.releaseInterval,
    analysis: { minRequests: 10 },
    update: { retries: 0, backoff: "1s" },
});

/** A project dir with a platform stack `env` and N service stacks `env.svc-0000`... (files only). */
function writeEnvironment(env: string, n: number, release: Record<string, unknown>): string {
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
        release,
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

async function envUp(workDir: string, env: string, concurrency: number, deployed = Number.POSITIVE_INFINITY): Promise<{ ms: number; peakMiB: number; failed: string[] }> {
    const driver = new PulumiEnvDriver({ workDir, program: programFor("auto", workDir), pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
    // as `mesh-release env up` does (release/cli/env.ts): the stacks the backend holds, so a new one is created with `stack init` alone
    const full = planEnv(env, "up", readStackFiles(workDir), await driver.deployed());
    // --deployed-up-to: the platform and the first K service stacks only
    const keep = new Set([env, ...Array.from({ length: Math.min(deployed, 1e6) }, (_, i) => `${env}.${benchServiceName(i)}`)]);
    const plan = { ...full, phases: full.phases.map((p) => ({ ...p, stacks: p.stacks.filter((s) => keep.has(s.stack)) })) };
    const mem = memorySampler(true);
    const t0 = performance.now();
    const result = await runFanout(plan, driver, { concurrency });
    const ms = performance.now() - t0;
    return { ms, peakMiB: mem.stop(), failed: result.results.filter((r) => r.outcome !== "ok").map((r) => `${r.stack}: ${r.summary}`) };
}

/** `steps` weight steps of one service through the release driver (config set + up); ms each. */
async function weightSteps(driver: PulumiStackDriver, service: string, steps: number, first = 0): Promise<number[]> {
    const out: number[] = [];
    for (let i = first; i < first + steps; i++) {
        const t0 = performance.now();
        await driver.write([{ path: ["services", service, "canary", "weight"], value: i % 2 === 0 ? 10 : 20 }]);
        await driver.update({ message: `bench step ${i}` });
        out.push(performance.now() - t0);
    }
    return out;
}

/** Bytes of the config the CLI hands its Node language host in one environment variable (PULUMI_CONFIG). */
function langhostConfigBytes(workDir: string, stack: string): number {
    const doc = parse(fs.readFileSync(path.join(workDir, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    // the CLI passes every value as a string: objects as their JSON
    const flat = Object.fromEntries(Object.entries(doc.config ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    return Buffer.byteLength(`PULUMI_CONFIG=${JSON.stringify(flat)}`);
}

/** Linux's limit on one environment string (MAX_ARG_STRLEN, 32 pages of 4 KiB): a longer PULUMI_CONFIG fails the language host's exec with E2BIG. */
const MAX_ARG_STRLEN = 131_072;

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const rows: string[][] = [];
    const notes: string[] = [];
    const stepRows: string[][] = [];
    const langRows: string[][] = [];
    const say = (t: string): void => void process.stderr.write(`[per-service ${new Date().toISOString().slice(11, 19)}] ${t}\n`);
    const id = randomBytes(2).toString("hex");
    const direct = new DirectApplier();
    // scripts/local-cluster.sh serves a /24 of cluster IPs (254 Services); a second range (ServiceCIDR, GA since
    // Kubernetes 1.33) makes room for every environment of the run at once (1,000 services and more).
    await direct.apply({ apiVersion: "networking.k8s.io/v1", kind: "ServiceCIDR", metadata: { name: "mesh-bench-extra" }, spec: { cidrs: ["10.1.0.0/16"] } });

    /** One driver per mesh size whose weight steps are measured, interleaved so that load drift hits every size alike. */
    const stepDrivers: { n: number; label: string; driver: PulumiStackDriver }[] = [];
    const largest: { workDir: string; env: string; n: number } = { workDir: "", env: "", n: 0 };
    for (const n of args.sizes) {
        if (!args.parts.includes("env-up") && !args.parts.includes("step")) break;
        const all = args.parts.includes("env-up") && n <= args.allConcurrencyUpTo;
        let stepEnv: { workDir: string; env: string } | undefined;
        for (const c of all ? args.concurrency : [Math.max(...args.concurrency)]) {
            const env = `pb${id}-${n}-c${c}`;
            const workDir = writeEnvironment(env, n, benchRelease(args));
            say(`env up: ${n} services, concurrency ${c} (${env})`);
            const cpu = cpuMeter();
            const deployed = Math.min(n, args.deployedUpTo);
            const r = await envUp(workDir, env, c, deployed);
            const cpuS = cpu.stop();
            say(`  ${(r.ms / 1000).toFixed(1)} s, ${cpuS.toFixed(0)} CPU s, peak ${r.peakMiB.toFixed(0)} MiB, ${r.failed.length} failed`);
            if (r.failed.length > 0) notes.push(`env up ${n} services at concurrency ${c}: ${r.failed.length} stacks failed, e.g. ${r.failed[0]}`);
            const layout = deployed < n ? `per-service, fan-out concurrency ${c}; ${n} declared, the platform + ${deployed} service stacks deployed` : `per-service, fan-out concurrency ${c}`;
            rows.push([String(n), layout, String(deployed + 1), (r.ms / 1000).toFixed(1), ((r.ms / 1000 / (deployed + 1)) * c).toFixed(2), cpuS.toFixed(0), r.peakMiB.toFixed(0), String(r.failed.length)]);
            stepEnv = { workDir, env };
        }
        if (stepEnv === undefined) continue;
        if (n >= largest.n) Object.assign(largest, { ...stepEnv, n });
        const svc = benchServiceName(0);
        const driver = new PulumiStackDriver({ stackName: `${stepEnv.env}.${svc}`, workDir: stepEnv.workDir, program: programFor("auto", stepEnv.workDir), pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
        const partial = Math.min(n, args.deployedUpTo) < n ? ` (${Math.min(n, args.deployedUpTo)} of ${n} service stacks deployed)` : "";
        stepDrivers.push({ n, label: `per-service (the service's own stack)${partial}`, driver });
    }
    for (const n of args.sizes) {
        if (!args.parts.includes("single") || n > args.singleUpTo) continue;
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
        const cpu = cpuMeter();
        const t0 = performance.now();
        let failed = 0;
        try {
            await stack.up({ refresh: false });
        } catch (err) {
            failed = 1;
            notes.push(`single-stack up of ${n} services failed: ${String(err).split("\n").find((l) => /error/i.test(l)) ?? String(err).slice(0, 200)}`);
        }
        const ms = performance.now() - t0;
        rows.push([String(n), "single stack (inline program)", "1", (ms / 1000).toFixed(1), "-", cpu.stop().toFixed(0), mem.stop().toFixed(0), String(failed)]);
        say(`  ${(ms / 1000).toFixed(1)} s`);
        const bytes = langhostConfigBytes(project.workDir, project.stackName);
        langRows.push([`single stack of ${n} services`, String(bytes), bytes < MAX_ARG_STRLEN ? "fits" : "exceeds: the language host cannot start", "-"]);
        if (args.parts.includes("step") && failed === 0) {
            const driver = new PulumiStackDriver({ stackName: project.stackName, workDir: project.workDir, program: inline, pulumiRoot: project.pulumiRoot, envVars: envVars() });
            stepDrivers.push({ n, label: "single stack of the whole mesh", driver });
        }
    }
    if (args.parts.includes("step")) {
        const samples = new Map(stepDrivers.map((d) => [d, [] as number[]]));
        for (let i = 0; i < args.steps; i++) {
            // interleaved (10, 100, 1000, 10, ...) and reversed every other round: drift in machine load hits every size
            for (const d of i % 2 === 0 ? stepDrivers : [...stepDrivers].reverse()) {
                const [ms] = await weightSteps(d.driver, benchServiceName(0), 1, i);
                samples.get(d)?.push(ms ?? 0);
                say(`step ${i + 1}/${args.steps}, ${d.label}, mesh of ${d.n}: ${((ms ?? 0) / 1000).toFixed(2)} s`);
            }
        }
        for (const d of stepDrivers) stepRows.push([String(d.n), d.label, formatSummary(summarize((samples.get(d) ?? []).map((x) => x / 1000)), 2)]);
        const own = stepDrivers.filter((d) => d.label.startsWith("per-service")).map((d) => ({ n: d.n, median: summarize(samples.get(d) ?? [0]).median }));
        const first = own[0];
        const last = own[own.length - 1];
        if (first !== undefined && last !== undefined && last.n !== first.n) {
            notes.push(`weight step of one service's own stack, mesh of ${last.n} vs mesh of ${first.n}: ${((last.median / first.median - 1) * 100).toFixed(1)} % (medians; the goal is within 10 %)`);
        }
    }
    if (args.parts.includes("langhost") && largest.n > 0) {
        // the stacks are up already: these are updates with no changes, run by the CLI's Node language host
        // (the project's own program, `main` in Pulumi.yaml, compiled by ts-node), not the inline program
        for (const stack of [largest.env, `${largest.env}.${benchServiceName(Math.min(largest.n, args.deployedUpTo) - 1)}`]) {
            const bytes = langhostConfigBytes(largest.workDir, stack);
            const driver = new PulumiStackDriver({ stackName: stack, workDir: largest.workDir, program: { kind: "local" }, pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
            say(`language host: up of ${stack} (${bytes} bytes of config)`);
            const t0 = performance.now();
            let outcome: string;
            try {
                await driver.update({ message: "bench: through the CLI's language host" });
                outcome = "ok";
            } catch (err) {
                outcome = `failed: ${String(err).split("\n").find((l) => /error/i.test(l)) ?? String(err).slice(0, 160)}`;
            }
            const what = stack === largest.env ? `platform stack, ${largest.n} root routes` : "one service stack";
            langRows.push([`${what} (environment of ${largest.n})`, String(bytes), bytes < MAX_ARG_STRLEN ? "fits" : "exceeds", `${outcome}, ${((performance.now() - t0) / 1000).toFixed(1)} s`]);
            say(`  ${outcome}`);
        }
    }

    const releaseRows: string[][] = [];
    if (args.parts.includes("releases")) {
        const max = Math.max(...args.releases);
        const env = `pb${id}-rel`;
        const workDir = writeEnvironment(env, max, benchRelease(args));
        say(`releases: environment of ${max} services`);
        const up = await envUp(workDir, env, 4);
        if (up.failed.length > 0) throw new Error(`env up for the releases failed: ${up.failed.join("; ")}`);
        let round = 0;
        let alone: { ms: number; cpuS: number } | undefined;
        for (const r of args.releases) {
            round++;
            const version = `v${round + 2}`;
            const metrics: MetricsProvider = new FakeMetrics(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`v${i + 1}`, HEALTHY])));
            const cpu = cpuMeter();
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
            const cpuS = cpu.stop();
            const outcomes = results.map((x) => x.outcome);
            const promoted = outcomes.filter((o) => o === "promoted").length;
            alone ??= r === 1 ? { ms, cpuS } : undefined;
            say(`  ${r} concurrent: ${(ms / 1000).toFixed(1)} s, ${cpuS.toFixed(0)} CPU s, ${promoted}/${r} promoted`);
            if (promoted < r) notes.push(`${r} concurrent releases: ${results.filter((x) => x.outcome !== "promoted").map((x) => x.message).join("; ").slice(0, 300)}`);
            // the floor: r releases need r times one release's CPU, shared by the machine's cores
            const floor = alone !== undefined ? Math.max(alone.ms / 1000, (r * alone.cpuS) / cores()) : undefined;
            releaseRows.push([String(r), (ms / 1000).toFixed(1), cpuS.toFixed(0), `${promoted}/${r}`, alone !== undefined ? `${(ms / alone.ms).toFixed(2)}x` : "-", floor !== undefined && alone !== undefined ? `${(floor / (alone.ms / 1000)).toFixed(2)}x` : "-"]);
        }
    }

    const cmd = `bash bench/run.sh per-service ${process.argv.slice(2).join(" ")}`.trim();
    const body = [
        "## Per-service stacks: environment up, weight step, concurrent releases",
        "",
        `Command: \`${cmd}\` (file state backend, this package's program inline unless said, local control plane ${process.env["MESH_ISTIOD_XDS_ADDRESS"] !== undefined ? "with" : "without"} istiod). ${machineLine()}`,
        "",
        ...(rows.length > 0
            ? [
                  "`up` of a whole environment of N services (wall time; s per stack × concurrency = the time one stack's `up` took; CPU s = this process and every process it reaped; peak memory = this process + every process under it, sampled every 100 ms):",
                  "",
                  markdownTable(["N services", "layout", "stacks", "wall s", "s per stack × c", "CPU s", "peak MiB", "failed stacks"], rows),
                  "",
              ]
            : []),
        ...(stepRows.length > 0 ? [`One weight step of one service (config set + \`up\`), median (min–max) of ${args.steps}, interleaved across the sizes, seconds:`, "", markdownTable(["mesh of N services", "stack updated", "step s"], stepRows), ""] : []),
        ...(langRows.length > 0
            ? [
                  `The CLI's Node language host gets a stack's whole config in one environment variable, which Linux caps at ${MAX_ARG_STRLEN} bytes (pulumi/pulumi#8680). Config size per stack and an \`up\` run by the language host (the project's own program, not inline):`,
                  "",
                  markdownTable(["stack", "PULUMI_CONFIG bytes", `vs ${MAX_ARG_STRLEN}`, "up through the language host"], langRows),
                  "",
              ]
            : []),
        ...(releaseRows.length > 0
            ? [
                  `Releases of different services of one environment at the same time (steps ${args.releaseSteps.join(",")}, ${args.releaseInterval} interval, healthy metrics from a constant provider; floor = max(one alone, N × one release's CPU s / ${cores()} cores), what the cores allow at best):`,
                  "",
                  markdownTable(["releases at once", "wall s", "CPU s", "promoted", "vs one alone", "floor vs one alone"], releaseRows),
                  "",
              ]
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
