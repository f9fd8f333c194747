/**
 * Route-table benchmark (issue 19): the Pulumi program's time under Pulumi's runtime mocks for one service whose
 * routing VirtualService has N http routes (URI-prefix routes to the stable subset, each with a timeout and retries,
 * then `{ release: <svc> }`: the service's pins and weighted catch-all), against the same service with 1 route.
 * Built through the real parser (stacks/config.ts: the zod schema of Istio's specs, the reference checks) and stack
 * builder; each sample in a fresh Node process, sizes alternating within a round.
 *
 *   node -r ts-node/register/transpile-only bench/routes.ts mocks [--sizes 1,50,1000] [--runs 5] [--no-write]
 *
 * Prints a table and rewrites the `routes` section of BENCHMARKS.md.
 *
 * `engine` mode: a canary weight step on the real engine (Pulumi CLI, Node.js language host, Kubernetes provider,
 * the local kube-apiserver) of the same service with N routes, one stack per size, steps alternating between the
 * sizes within a round, each step as mesh-release makes it (PulumiStackDriver: config write + `pulumi up`), the live
 * VirtualService read back after each step, and `kubectl apply --server-side` of the same object beside it:
 *
 *   bash bench/run.sh routes engine [--sizes 1,50] [--runs 5] [--no-write]      (section `routes-engine`)
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { stringify } from "yaml";
import { PulumiStackDriver } from "../release/driver/pulumiStack";
import { runChild } from "./lib/child";
import { catchAllWeights, DirectApplier, type ApplyObject } from "./lib/direct";
import { benchProject, type BenchProject } from "./lib/project";
import { machineLine, markdownTable, writeSection } from "./lib/report";
import { formatRatio, formatSummary, summarize, type Summary } from "./lib/stats";

interface RouteSample {
    routes: number;
    parseMs: number;
    constructMs: number;
    settleMs: number;
    programMs: number;
    /** http routes of the emitted VirtualService. */
    emittedRoutes: number;
}

const SCRIPT = __filename;

/** The stack config of one service with `n` routes (n - 1 prefix routes, then its release). */
export function routesConfig(n: number, canaryWeight = 10): Record<string, unknown> {
    const http: Record<string, unknown>[] = [];
    for (let i = 0; i < n - 1; i++) {
        http.push({
            name: `r${i}`,
            match: [{ uri: { prefix: `/api/v1/r${i}/` } }],
            route: [{ destination: { host: "shop", subset: "stable" } }],
            timeout: "5s",
            retries: { attempts: 2, perTryTimeout: "2s", retryOn: "5xx,reset" },
        });
    }
    http.push({ release: "shop" });
    return {
        namespace: "bench",
        createNamespace: false,
        skipAwait: true,
        services: { shop: { image: "shop:{version}", port: 8080, stable: { version: "v1" }, canary: { version: "v2", weight: canaryWeight }, pins: [{ header: "x-canary", exact: "1" }] } },
        routing: { virtualServices: { shop: { hosts: ["shop"], http } } },
    };
}

async function childMocks(n: number): Promise<void> {
    const { setupMocks } = await import("../test/support/mocks");
    const rec = await setupMocks("mesh-traffic", "bench");
    const { parseStackConfig } = await import("../stacks/readConfig");
    const { buildMeshStack } = await import("../stacks/meshStack");
    const k8s = await import("@pulumi/kubernetes");
    if (typeof k8s.apiextensions.CustomResource !== "function" || typeof k8s.apps.v1.Deployment !== "function") {
        throw new Error("could not load the @pulumi/kubernetes resource classes the stack uses");
    }
    // The Istio spec schemas are built on first use: build them here, so *parse* is the per-stack cost.
    parseStackConfig("bench", routesConfig(1));
    const raw = routesConfig(n);
    const t1 = performance.now();
    const cfg = parseStackConfig("bench", raw);
    const t2 = performance.now();
    buildMeshStack(cfg);
    const t3 = performance.now();
    await rec.settled();
    const t4 = performance.now();
    const vs = rec.resources.find((r) => r.type === "kubernetes:networking.istio.io/v1:VirtualService");
    const emitted = ((vs?.inputs["spec"] as { http?: unknown[] } | undefined)?.http ?? []).length;
    const sample: RouteSample = { routes: n, parseMs: t2 - t1, constructMs: t3 - t2, settleMs: t4 - t3, programMs: t4 - t1, emittedRoutes: emitted };
    process.stdout.write(`${JSON.stringify(sample)}\n`);
}

function parseArgs(argv: readonly string[]): { sizes: number[]; runs: number; write: boolean } {
    const args = { sizes: [1, 50, 1000], runs: 5, write: true };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--sizes") args.sizes = (argv[++i] ?? "").split(",").map(Number);
        else if (a === "--runs") args.runs = Number(argv[++i]);
        else if (a === "--no-write") args.write = false;
        else throw new Error(`unknown argument ${String(a)}; usage: bench/routes.ts mocks [--sizes 1,50,1000] [--runs 5] [--no-write]`);
    }
    if (args.sizes.some((s) => !Number.isInteger(s) || s < 1) || !Number.isInteger(args.runs) || args.runs < 1) {
        throw new Error(`--sizes must be positive integers and --runs a positive integer; got ${args.sizes.join(",")} and ${args.runs}`);
    }
    return args;
}

async function mainMocks(argv: readonly string[]): Promise<void> {
    const args = parseArgs(argv);
    const samples = new Map<number, RouteSample[]>(args.sizes.map((s) => [s, []]));
    for (let round = 0; round < args.runs; round++) {
        for (const n of round % 2 === 0 ? args.sizes : [...args.sizes].reverse()) {
            const s = await runChild<RouteSample>(SCRIPT, ["--child-mocks", String(n)]);
            samples.get(n)?.push(s);
            process.stderr.write(`round ${round + 1}/${args.runs} N=${n}: program ${s.programMs.toFixed(0)} ms\n`);
        }
    }
    const program = new Map<number, Summary>();
    const rows = args.sizes.map((n) => {
        const ss = samples.get(n) ?? [];
        const s = (f: (x: RouteSample) => number): Summary => summarize(ss.map(f));
        program.set(n, s((x) => x.programMs));
        return [String(n), String(ss[0]?.emittedRoutes ?? 0), formatSummary(s((x) => x.parseMs)), formatSummary(s((x) => x.constructMs)), formatSummary(s((x) => x.settleMs)), formatSummary(s((x) => x.programMs))];
    });
    const base = program.get(Math.min(...args.sizes));
    const ratios = [...program.entries()].filter(([n]) => n !== Math.min(...args.sizes)).map(([n, ms]) => `- ${n} routes: ${base === undefined ? "?" : (ms.median / base.median).toFixed(1)}x the program time of ${Math.min(...args.sizes)}`);
    const command = `node -r ts-node/register/transpile-only bench/routes.ts mocks --sizes ${args.sizes.join(",")} --runs ${args.runs}`;
    const body = [
        "## Routes: program time of one service by the size of its route table (mocks)",
        "",
        machineLine(),
        "",
        `Command: \`${command}\``,
        "",
        `Median (min–max) of ${args.runs} runs, each in a fresh Node process. One service (stable v1, canary v2 at 10 %, a header pin) ` +
            "routed by a `routing` VirtualService of N http routes: N - 1 URI-prefix routes (timeout, retries) and its `release` route " +
            "(the pin and the weighted catch-all), so *emitted* is N + 1. *parse* = `parseStackConfig` (Istio's spec schemas, the " +
            "reference checks, the components' plans), *construct* = `buildMeshStack`, *settle* = until every registration reached the mock monitor.",
        "",
        markdownTable(["routes", "emitted http routes", "parse ms", "construct ms", "settle ms", "program ms"], rows),
        "",
        ...ratios,
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("routes", body);
        process.stderr.write("wrote the routes section of BENCHMARKS.md\n");
    }
}

interface EngineSize {
    n: number;
    project: BenchProject;
    driver: PulumiStackDriver;
    namespace: string;
    weight: number;
    kubectlFile: string;
    steps: number[];
    kubectl: number[];
}

/** Writes `vs` (the live routing VirtualService, re-weighted) as `<name>-kubectl` with kubectl: a script's step. */
function kubectlStep(file: string, vs: ApplyObject, weight: number): number {
    const spec = structuredClone(vs["spec"]) as { http?: { route?: { destination?: { subset?: string }; weight?: number }[] }[] };
    for (const h of spec.http ?? []) {
        const subsets = (h.route ?? []).map((r) => r.destination?.subset);
        if (subsets.includes("stable") && subsets.includes("canary")) {
            for (const r of h.route ?? []) r.weight = r.destination?.subset === "canary" ? weight : 100 - weight;
        }
    }
    const obj = { apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: `${vs.metadata.name}-kubectl`, namespace: vs.metadata.namespace }, spec };
    fs.writeFileSync(file, stringify(obj));
    const t = performance.now();
    execFileSync("kubectl", ["apply", "--server-side", "--force-conflicts", "--field-manager", "mesh-bench-kubectl", "-f", file], { stdio: ["ignore", "ignore", "pipe"] });
    return performance.now() - t;
}

async function mainEngine(argv: readonly string[]): Promise<void> {
    const args = parseArgs(argv.length === 0 ? ["--sizes", "1,50"] : argv.includes("--sizes") ? argv : ["--sizes", "1,50", ...argv]);
    const id = randomBytes(3).toString("hex");
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-bench-routes-"));
    const direct = new DirectApplier();
    const sizes: EngineSize[] = [];
    try {
        for (const n of args.sizes) {
            const namespace = `mesh-bench-routes-${n}-${id}`;
            const stackName = `bench-routes-${n}-${id}`;
            const config = { ...routesConfig(n, 20), namespace, createNamespace: true };
            const project = await benchProject({ stackName, config });
            const t0 = performance.now();
            const first = await project.stack.up({ refresh: false });
            process.stderr.write(`N=${n}: initial up ${((performance.now() - t0) / 1000).toFixed(1)} s, ${JSON.stringify(first.summary.resourceChanges)}\n`);
            const driver = new PulumiStackDriver({ stackName, workDir: project.workDir, pulumiRoot: project.pulumiRoot, envVars: project.use("ts-transpile") });
            sizes.push({ n, project, driver, namespace, weight: 20, kubectlFile: path.join(tmp, `vs-${n}.yaml`), steps: [], kubectl: [] });
        }
        const step = async (s: EngineSize): Promise<{ stepMs: number; kubectlMs: number; routes: number }> => {
            s.weight = s.weight === 20 ? 10 : 20;
            const t0 = performance.now();
            await s.driver.write([{ path: ["services", "shop", "canary", "weight"], value: s.weight }]);
            await s.driver.update({ message: `bench routes step ${s.weight}` });
            const stepMs = performance.now() - t0;
            const live = await direct.read({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "shop", namespace: s.namespace } });
            const w = catchAllWeights(live);
            if (w?.canary !== s.weight) {
                throw new Error(`N=${s.n}: after the step the live VirtualService shop has canary weight ${String(w?.canary)}, expected ${s.weight}`);
            }
            const routes = ((live as { spec?: { http?: unknown[] } } | undefined)?.spec?.http ?? []).length;
            const kubectlMs = kubectlStep(s.kubectlFile, live as ApplyObject, s.weight);
            return { stepMs, kubectlMs, routes };
        };
        const emitted = new Map<number, number>();
        for (const s of sizes) {
            const w = await step(s); // warm-up: not counted
            emitted.set(s.n, w.routes);
            process.stderr.write(`warm-up N=${s.n}: step ${w.stepMs.toFixed(0)} ms (not counted)\n`);
        }
        for (let round = 0; round < args.runs; round++) {
            for (const s of round % 2 === 0 ? sizes : [...sizes].reverse()) {
                const r = await step(s);
                s.steps.push(r.stepMs);
                s.kubectl.push(r.kubectlMs);
                process.stderr.write(`round ${round + 1}/${args.runs} N=${s.n}: step ${r.stepMs.toFixed(0)} ms, kubectl ${r.kubectlMs.toFixed(0)} ms\n`);
            }
        }
        reportEngine(args, sizes, emitted);
    } finally {
        for (const s of sizes) {
            await s.project.dispose().catch((err: unknown) => process.stderr.write(`dispose of N=${s.n} failed: ${String(err)}\n`));
        }
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

function reportEngine(args: { sizes: number[]; runs: number; write: boolean }, sizes: readonly EngineSize[], emitted: ReadonlyMap<number, number>): void {
    const base = sizes[0];
    const baseStep = base === undefined ? undefined : summarize(base.steps);
    const rows = sizes.map((s) => {
        const st = summarize(s.steps);
        const ku = summarize(s.kubectl);
        return [String(s.n), String(emitted.get(s.n) ?? 0), formatSummary(st), baseStep === undefined ? "–" : formatRatio(st, baseStep), formatSummary(ku), formatRatio(st, ku)];
    });
    const command = `bash bench/run.sh routes engine --sizes ${args.sizes.join(",")} --runs ${args.runs}`;
    const body = [
        "## Routes: a weight step on the real engine by the size of the route table",
        "",
        machineLine(),
        "",
        `Command: \`${command}\` (starts the local control plane and runs \`bench/routes.ts engine\`).`,
        "",
        "The service of the section above (a `routing` VirtualService of N http routes ending in its `release` route), one stack per " +
            "size in the single layout, on the real engine (Pulumi CLI, Node.js language host, ts-node transpile-only, the Kubernetes " +
            "provider, the local kube-apiserver). A step moves `services.shop.canary.weight` between 10 and 20 as mesh-release does " +
            "(PulumiStackDriver: the config write and `pulumi up`); the live VirtualService is read back and must show the new weight. " +
            "*kubectl apply* is `kubectl apply --server-side` of the same VirtualService (a copy) after each step. Median (min–max) of " +
            `${args.runs} rounds after one unmeasured warm-up step per size; in each round every size steps once (order alternating), ` +
            "so the ratios compare samples taken side by side.",
        "",
        markdownTable(["routes", "http routes in the live VirtualService", "step ms", `step / step of ${base?.n ?? "?"} route(s)`, "kubectl apply ms", "step / kubectl"], rows),
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("routes-engine", body);
        process.stderr.write("wrote the routes-engine section of BENCHMARKS.md\n");
    }
}

async function main(): Promise<void> {
    const [mode, ...rest] = process.argv.slice(2);
    if (mode === "--child-mocks") return childMocks(Number(rest[0]));
    if (mode === "mocks") return mainMocks(rest);
    if (mode === "engine") return mainEngine(rest);
    throw new Error("usage: bench/routes.ts mocks [--sizes 1,50,1000] [--runs 5] [--no-write] | engine [--sizes 1,50] [--runs 5] [--no-write] (engine: through bench/run.sh routes engine)");
}

if (require.main === module) {
    main().catch((err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
        process.exitCode = 1;
    });
}
