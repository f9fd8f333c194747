/**
 * Per-service stacks at scale (issue 9), on the real engine and the local control plane:
 *
 * - `env-up`: `mesh-release env up` of an environment of N services (a platform stack whose ingress root
 *   delegates to N service stacks) with the fan-out at concurrency 1 and 4, in this process as the CLI runs
 *   it (release/env/, PulumiEnvDriver, this package's program inline): wall time and peak memory (this
 *   process + every process under it), against `up` of the single-stack layout holding the same N services.
 * - `step`: one weight step of one service (config set + `up` of its stack, as `mesh-release` does it) in
 *   each environment, median of --steps steps, interleaved across the sizes (10, 100, 1000, then reversed) so
 *   that drift in machine load hits every size alike; and the same step on the single stack of N. Each step is
 *   followed by the same change written straight to the API server, to copies of the objects the step changes
 *   (found by an unmeasured first step): a server-side apply from a warm client and `kubectl apply --server-side`.
 * - `--secrets passphrase,hashivault`: every environment (and single stack) once per secrets provider: the
 *   passphrase, or `hashivault://mesh-bench`, a KMS served by the loopback Vault transit stand-in
 *   (test/support/vaultTransit.ts, tests and benches only), written into each stack file as `secretsprovider` (the
 *   driver creates the stack with it); the platform stack's outputs a service stack reads are then unwrapped by a
 *   KMS request, not a second passphrase derivation.
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
 *                                 [--release-interval 1s] [--secrets passphrase,hashivault] [--section per-service] [--no-write]
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
import { startVaultTransit, type VaultTransit } from "../test/support/vaultTransit";
import { atWeight, changedObjects, directCopies, DirectApplier, kubectlApply, type ApplyObject } from "./lib/direct";
import { cpuMeter, cores } from "./lib/cpu";
import { memorySampler } from "./lib/memory";
import { BENCH_TRAFFIC_POLICY, benchConfig, benchServiceName } from "./lib/meshConfig";
import { assertSecretsProvider, benchProject } from "./lib/project";
import { loadAverage, loadLine, machineLine, markdownTable, REPO_ROOT, writeSection } from "./lib/report";
import { formatRatio, formatSummary, summarize } from "./lib/stats";

type Part = "env-up" | "step" | "single" | "releases" | "langhost";
const PARTS: readonly Part[] = ["env-up", "step", "single", "releases", "langhost"];
type Secrets = "passphrase" | "hashivault";
const SECRETS: readonly Secrets[] = ["passphrase", "hashivault"];
/** The transit key of the `hashivault` environments (one KMS key; each stack's data key is its own, wrapped by it). */
const KMS_KEY = "mesh-bench";

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
    /** The secrets providers the env-up, step and single parts run with, each its own environments. Default passphrase. */
    secrets: Secrets[];
    /** BENCHMARKS.md section to write. Default `per-service`. */
    section: string;
}

const USAGE =
    "usage: bash bench/run.sh per-service [--sizes 10,100] [--concurrency 1,4] [--all-concurrency-up-to N] [--steps 5] [--releases 1,2,10] [--parts env-up,step,single,releases,langhost] [--single-up-to N] [--deployed-up-to K] [--release-steps 50,100] [--release-interval 1s] [--secrets passphrase,hashivault] [--section per-service] [--no-write]";

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { sizes: [10, 100], concurrency: [1, 4], steps: 5, releases: [1, 2, 10], parts: [...PARTS], write: true, allConcurrencyUpTo: Number.POSITIVE_INFINITY, singleUpTo: Number.POSITIVE_INFINITY, deployedUpTo: Number.POSITIVE_INFINITY, releaseSteps: [50, 100], releaseInterval: "1s", secrets: ["passphrase"], section: "per-service" };
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
        else if (a === "--secrets") args.secrets = v.split(",") as Secrets[];
        else if (a === "--section") args.section = v;
        else if (a === "--no-write") {
            args.write = false;
            continue;
        } else throw new Error(`unknown argument ${a}; ${USAGE}`);
        i++;
    }
    const bad = [...args.sizes, ...args.concurrency, ...args.releases, ...args.releaseSteps, args.steps].some((n) => !Number.isInteger(n) || n < 1) || !/^\d+(ms|s|m)$/.test(args.releaseInterval);
    if (bad || args.parts.some((p) => !PARTS.includes(p)) || args.secrets.length === 0 || args.secrets.some((x) => !SECRETS.includes(x)) || !/^[a-z0-9-]+$/.test(args.section)) {
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

/**
 * A project dir with a platform stack `env` and N service stacks `env.svc-0000`... (files only). With `secretsProvider`
 * every file names it (`secretsprovider:`), and the driver creates each stack with it.
 */
function writeEnvironment(env: string, n: number, release: Record<string, unknown>, secretsProvider?: string): string {
    const workDir = fs.mkdtempSync(path.join(process.env["MESH_BENCH_WORK"] ?? os.tmpdir(), "mesh-bench-env-"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(workDir, "node_modules"), "dir");
    const repoProject = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), stringify(tempProjectSettings(repoProject, workDir)));
    const names = Array.from({ length: n }, (_, i) => benchServiceName(i));
    const file = (stack: string, config: Record<string, unknown>): void =>
        fs.writeFileSync(
            path.join(workDir, `Pulumi.${stack}.yaml`),
            stringify({ ...(secretsProvider !== undefined ? { secretsprovider: secretsProvider } : {}), config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`mesh-traffic:${k}`, v])) }),
        );
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

/** The `services.<svc>.canary.weight` of weight step `i` (10, 20, 10, ...; the unmeasured first step is i = -1: 20). */
const stepWeight = (i: number): number => (i % 2 === 0 ? 10 : 20);

/** `steps` weight steps of one service through the release driver (config set + up); ms each. */
async function weightSteps(driver: PulumiStackDriver, service: string, steps: number, first = 0): Promise<number[]> {
    const out: number[] = [];
    for (let i = first; i < first + steps; i++) {
        const t0 = performance.now();
        await driver.write([{ path: ["services", service, "canary", "weight"], value: stepWeight(i) }]);
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

/** One stack whose weight steps are measured, and the copies of the objects its step changes (the direct and kubectl writes). */
interface StepTarget {
    n: number;
    label: string;
    secrets: Secrets;
    namespace: string;
    driver: PulumiStackDriver;
    copies: ApplyObject[];
}

const secretsLabel = (s: Secrets): string => (s === "hashivault" ? `\`hashivault://${KMS_KEY}\` (KMS stand-in)` : "passphrase");

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const loadAtStart = loadAverage();
    let vault: VaultTransit | undefined;
    if (args.secrets.includes("hashivault") && args.parts.some((p) => p === "env-up" || p === "step" || p === "single")) {
        vault = await startVaultTransit();
        // every CLI process inherits this process's environment: VAULT_ADDR + VAULT_TOKEN reach gocloud's hashivault keeper
        Object.assign(process.env, vault.env);
    }
    try {
        await measure(args, loadAtStart, vault);
    } finally {
        await vault?.close();
    }
}

async function measure(args: Args, loadAtStart: string, vault: VaultTransit | undefined): Promise<void> {
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
    const providerOf = (secrets: Secrets): string | undefined => (secrets === "hashivault" ? (vault?.secretsProvider(KMS_KEY) ?? "") : undefined);
    const suffix = (secrets: Secrets): string => (secrets === "hashivault" ? "-kms" : "");

    /** One driver per mesh size whose weight steps are measured, interleaved so that load drift hits every size alike. */
    const stepDrivers: Omit<StepTarget, "copies">[] = [];
    const largest: { workDir: string; env: string; n: number } = { workDir: "", env: "", n: 0 };
    for (const n of args.sizes) {
        if (!args.parts.includes("env-up") && !args.parts.includes("step")) break;
        for (const secrets of args.secrets) {
            const all = args.parts.includes("env-up") && n <= args.allConcurrencyUpTo;
            let stepEnv: { workDir: string; env: string } | undefined;
            for (const c of all ? args.concurrency : [Math.max(...args.concurrency)]) {
                const env = `pb${id}-${n}-c${c}${suffix(secrets)}`;
                const provider = providerOf(secrets);
                const workDir = writeEnvironment(env, n, benchRelease(args), provider);
                say(`env up: ${n} services, concurrency ${c}, secrets ${secrets} (${env})`);
                const cpu = cpuMeter();
                const deployed = Math.min(n, args.deployedUpTo);
                const r = await envUp(workDir, env, c, deployed);
                const cpuS = cpu.stop();
                say(`  ${(r.ms / 1000).toFixed(1)} s, ${cpuS.toFixed(0)} CPU s, peak ${r.peakMiB.toFixed(0)} MiB, ${r.failed.length} failed`);
                if (r.failed.length > 0) notes.push(`env up ${n} services at concurrency ${c} (${secrets}): ${r.failed.length} stacks failed, e.g. ${r.failed[0]}`);
                if (provider !== undefined) {
                    // what is measured as a KMS environment must not be passphrase stacks (a stack init without the provider makes one)
                    for (const stack of [env, ...Array.from({ length: deployed }, (_, i) => `${env}.${benchServiceName(i)}`)]) assertSecretsProvider(workDir, stack, provider);
                }
                const what = deployed < n ? `per-service, fan-out concurrency ${c}; ${n} declared, the platform + ${deployed} service stacks deployed` : `per-service, fan-out concurrency ${c}`;
                rows.push([String(n), `${what}; secrets ${secretsLabel(secrets)}`, String(deployed + 1), (r.ms / 1000).toFixed(1), ((r.ms / 1000 / (deployed + 1)) * c).toFixed(2), cpuS.toFixed(0), r.peakMiB.toFixed(0), String(r.failed.length)]);
                stepEnv = { workDir, env };
            }
            if (stepEnv === undefined) continue;
            if (n >= largest.n && secrets === args.secrets[0]) Object.assign(largest, { ...stepEnv, n });
            const svc = benchServiceName(0);
            const driver = new PulumiStackDriver({ stackName: `${stepEnv.env}.${svc}`, workDir: stepEnv.workDir, program: programFor("auto", stepEnv.workDir), pulumiRoot: process.env["MESH_TOOLCHAIN_DIR"], envVars: envVars() });
            const partial = Math.min(n, args.deployedUpTo) < n ? ` (${Math.min(n, args.deployedUpTo)} of ${n} service stacks deployed)` : "";
            stepDrivers.push({ n, label: `per-service (the service's own stack)${partial}`, secrets, namespace: stepEnv.env, driver });
        }
    }
    for (const n of args.sizes) {
        if (!args.parts.includes("single") || n > args.singleUpTo) continue;
        for (const secrets of args.secrets) {
            const namespace = `pb${id}-${n}-single${suffix(secrets)}`;
            say(`single-stack up: ${n} services, secrets ${secrets}`);
            const provider = providerOf(secrets);
            const project = await benchProject({ stackName: namespace, config: benchConfig({ services: n, namespace, weight: 0 }), ...(provider !== undefined ? { secretsProvider: provider } : {}) });
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
                notes.push(`single-stack up of ${n} services (${secrets}) failed: ${String(err).split("\n").find((l) => /error/i.test(l)) ?? String(err).slice(0, 200)}`);
            }
            const ms = performance.now() - t0;
            rows.push([String(n), `single stack (inline program); secrets ${secretsLabel(secrets)}`, "1", (ms / 1000).toFixed(1), "-", cpu.stop().toFixed(0), mem.stop().toFixed(0), String(failed)]);
            say(`  ${(ms / 1000).toFixed(1)} s`);
            if (secrets === args.secrets[0]) {
                const bytes = langhostConfigBytes(project.workDir, project.stackName);
                langRows.push([`single stack of ${n} services`, String(bytes), bytes < MAX_ARG_STRLEN ? "fits" : "exceeds: the language host cannot start", "-"]);
            }
            if (args.parts.includes("step") && failed === 0) {
                const driver = new PulumiStackDriver({ stackName: project.stackName, workDir: project.workDir, program: inline, pulumiRoot: project.pulumiRoot, envVars: envVars() });
                stepDrivers.push({ n, label: "single stack of the whole mesh", secrets, namespace, driver });
            }
        }
    }
    if (args.parts.includes("step")) {
        const kubectlFile = path.join(process.env["MESH_BENCH_WORK"] ?? os.tmpdir(), `mesh-bench-kubectl-${id}`, "objects.yaml");
        const targets: StepTarget[] = [];
        for (const d of stepDrivers) {
            // an unmeasured first step (canary 0 -> 20): opens the workspace, and names the objects a step changes
            const listVs = (): Promise<ApplyObject[]> => direct.list("networking.istio.io/v1", "VirtualService", d.namespace);
            const before = await listVs();
            await weightSteps(d.driver, benchServiceName(0), 1, -1);
            const changed = changedObjects(before, await listVs()).filter((o) => !o.metadata.name.endsWith("-direct"));
            if (changed.length === 0) throw new Error(`the first weight step of ${d.label} (mesh of ${d.n}, ${d.secrets}) changed no VirtualService in ${d.namespace}`);
            const copies = directCopies(changed, d.namespace);
            await direct.applyAll(atWeight(copies, stepWeight(-1))); // warm: discovery cached, connection open, objects exist
            kubectlApply(atWeight(copies, stepWeight(-1)), kubectlFile);
            say(`warm-up step, ${d.label}, mesh of ${d.n}, ${d.secrets}: it changes ${changed.map((o) => o.metadata.name).join(", ")}`);
            targets.push({ ...d, copies });
        }
        const samples = new Map(targets.map((d) => [d, { step: [] as number[], cpu: [] as number[], direct: [] as number[], kubectl: [] as number[] }]));
        for (let i = 0; i < args.steps; i++) {
            // interleaved (10, 100, 1000, 10, ...) and reversed every other round: drift in machine load hits every size
            for (const d of i % 2 === 0 ? targets : [...targets].reverse()) {
                const s = samples.get(d);
                if (s === undefined) continue;
                const cpu = cpuMeter();
                const [ms] = await weightSteps(d.driver, benchServiceName(0), 1, i);
                s.cpu.push(cpu.stop());
                s.step.push(ms ?? 0);
                const objects = atWeight(d.copies, stepWeight(i));
                const td = performance.now();
                await direct.applyAll(objects);
                s.direct.push(performance.now() - td);
                s.kubectl.push(kubectlApply(objects, kubectlFile));
                say(`step ${i + 1}/${args.steps}, ${d.label}, mesh of ${d.n}, ${d.secrets}: ${((ms ?? 0) / 1000).toFixed(2)} s, direct ${s.direct.at(-1)?.toFixed(0)} ms, kubectl ${s.kubectl.at(-1)?.toFixed(0)} ms`);
            }
        }
        for (const d of targets) {
            const s = samples.get(d);
            if (s === undefined) continue;
            const step = summarize(s.step);
            const dir = summarize(s.direct);
            const kub = summarize(s.kubectl);
            stepRows.push([
                String(d.n),
                d.label,
                secretsLabel(d.secrets),
                `${d.copies.length} (${d.copies.map((c) => c.metadata.name.replace(/-direct$/, "")).join(", ")})`,
                formatSummary(summarize(s.step.map((x) => x / 1000)), 2),
                formatSummary(summarize(s.cpu), 2),
                formatSummary(dir, 1),
                formatRatio(step, dir),
                formatSummary(kub),
                formatRatio(step, kub),
            ]);
        }
        for (const secrets of args.secrets) {
            const own = targets.filter((d) => d.label.startsWith("per-service") && d.secrets === secrets).map((d) => ({ n: d.n, median: summarize(samples.get(d)?.step ?? [0]).median }));
            const first = own[0];
            const last = own[own.length - 1];
            if (first !== undefined && last !== undefined && last.n !== first.n) {
                notes.push(`weight step of one service's own stack (${secrets}), mesh of ${last.n} vs mesh of ${first.n}: ${((last.median / first.median - 1) * 100).toFixed(1)} % (medians; the goal is within 10 %)`);
            }
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
        `## Per-service stacks: environment up, weight step, concurrent releases${args.section === "per-service" ? "" : ` (${args.parts.join(", ")}; secrets: ${args.secrets.join(", ")})`}`,
        "",
        `Command: \`${cmd}\` (file state backend, this package's program inline unless said, local control plane ${process.env["MESH_ISTIOD_XDS_ADDRESS"] !== undefined ? "with" : "without"} istiod). ${machineLine()} ${loadLine(loadAtStart)}`,
        "",
        ...(rows.length > 0
            ? [
                  "`up` of a whole environment of N services (wall time; s per stack × concurrency = the time one stack's `up` took; CPU s = this process and every process it reaped; peak memory = this process + every process under it, sampled every 100 ms):",
                  "",
                  markdownTable(["N services", "layout", "stacks", "wall s", "s per stack × c", "CPU s", "peak MiB", "failed stacks"], rows),
                  "",
              ]
            : []),
        ...(stepRows.length > 0
            ? [
                  `One weight step of one service (config set + \`up\`), median (min–max) of ${args.steps} after one unmeasured step, interleaved across the sizes` +
                      `${args.secrets.length > 1 ? " and secrets providers" : ""}. After each step the same change is written straight to the API server, to ` +
                      "copies (`<name>-direct`) of the objects that step changes: *direct SSA* a server-side apply patch each from a warm " +
                      "`@kubernetes/client-node` client (a controller's case), *kubectl apply* `kubectl apply --server-side` of the same objects " +
                      "(a script's case); the ratios compare samples taken side by side. *CPU s* = this process (the inline program" +
                      `${vault !== undefined ? ", the KMS stand-in" : ""}) and the CLI processes it reaped (the CLI reaps the provider).` +
                      (vault !== undefined
                          ? ` \`hashivault://${KMS_KEY}\`: every stack of the environment created with that secrets provider (its file's \`secretsprovider\`), a transit key of the loopback Vault stand-in (test/support/vaultTransit.ts; tests and benches only), instead of the passphrase.`
                          : ""),
                  "",
                  markdownTable(["mesh of N services", "stack updated", "secrets", "objects the step changes", "step s", "CPU s per step", "direct SSA ms", "step / direct", "kubectl apply ms", "step / kubectl"], stepRows),
                  "",
              ]
            : []),
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
        writeSection(args.section, body);
    }
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
