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
 */
import { performance } from "node:perf_hooks";
import { runChild } from "./lib/child";
import { machineLine, markdownTable, writeSection } from "./lib/report";
import { formatSummary, summarize, type Summary } from "./lib/stats";

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
export function routesConfig(n: number): Record<string, unknown> {
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
        services: { shop: { image: "shop:{version}", port: 8080, stable: { version: "v1" }, canary: { version: "v2", weight: 10 }, pins: [{ header: "x-canary", exact: "1" }] } },
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

async function main(): Promise<void> {
    const [mode, ...rest] = process.argv.slice(2);
    if (mode === "--child-mocks") return childMocks(Number(rest[0]));
    if (mode === "mocks") return mainMocks(rest);
    throw new Error("usage: bench/routes.ts mocks [--sizes 1,50,1000] [--runs 5] [--no-write]");
}

if (require.main === module) {
    main().catch((err: unknown) => {
        process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
        process.exitCode = 1;
    });
}
