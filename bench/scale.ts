/**
 * Scale benchmark, part A: the Pulumi program under Pulumi's runtime mocks (no engine, no cluster) for
 * stacks of N services, each a canary + circuit breaker, built from a generated config through the real
 * parser (stacks/config.ts) and stack builder (stacks/meshStack.ts). Each sample runs in a fresh Node
 * process; sizes alternate within a round so the noise of this shared machine hits every size alike.
 *
 *   node -r ts-node/register/transpile-only bench/scale.ts mocks [--sizes 10,100,500] [--runs 5] [--profile] [--no-write]
 *
 * Prints a table and rewrites the `scale` section of BENCHMARKS.md. `--profile` also runs one
 * `--cpu-prof` sample of the two largest sizes and lists the functions whose time grows fastest with N.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { runChild } from "./lib/child";
import { newestProfile, readFunctionTimes, type FunctionTime } from "./lib/cpuProfile";
import { benchConfig } from "./lib/meshConfig";
import { machineLine, markdownTable, REPO_ROOT, writeSection } from "./lib/report";
import { formatSummary, summarize, type Summary } from "./lib/stats";

/** What one mocks sample measures, ms unless named otherwise. */
export interface MockSample {
    services: number;
    /** Loading the program modules (ts-node transpile + require): paid once per process. */
    importMs: number;
    /** parseStackPlan: zod schema, cross-field rules, the stack's plan and its components' plans at config paths. */
    parseMs: number;
    /** buildMeshStack: constructing every component (synchronous part). */
    constructMs: number;
    /** From the end of construction until every registration reached the mock monitor. */
    settleMs: number;
    /** parse + construct + settle: the program's time for this stack. */
    programMs: number;
    /** Resources registered (components and custom resources). */
    resources: number;
    /** Istio custom resources (networking.istio.io) among them. */
    istioObjects: number;
    /** Resident set size at the end, MiB. */
    rssMiB: number;
}

const SCRIPT = __filename;

/** In the child: one program run under mocks for `n` services; prints the sample as a JSON line. */
async function childMocks(n: number): Promise<void> {
    const t0 = performance.now();
    // The shared mocks helper of the unit tests: records every registration, so we can count them.
    const { setupMocks } = await import("../test/support/mocks");
    const rec = await setupMocks("mesh-traffic", "bench");
    const { parseStackPlan } = await import("../stacks/readConfig");
    const { buildMeshStack } = await import("../stacks/meshStack");
    // @pulumi/kubernetes loads each API group on first use: load them here so *construct* is not module load.
    const k8s = await import("@pulumi/kubernetes");
    const loaded = [k8s.apps.v1.Deployment, k8s.core.v1.Service, k8s.core.v1.Namespace, k8s.apiextensions.CustomResource];
    if (loaded.some((c) => typeof c !== "function")) {
        throw new Error("could not load the @pulumi/kubernetes resource classes the stack uses");
    }
    const raw = benchConfig({ services: n });
    const t1 = performance.now();
    const plan = parseStackPlan("bench", raw);
    const t2 = performance.now();
    buildMeshStack(plan);
    const t3 = performance.now();
    await rec.settled();
    const t4 = performance.now();
    const istio = rec.resources.filter((r) => r.type.includes("networking.istio.io")).length;
    const sample: MockSample = {
        services: n,
        importMs: t1 - t0,
        parseMs: t2 - t1,
        constructMs: t3 - t2,
        settleMs: t4 - t3,
        programMs: t4 - t1,
        resources: rec.resources.length,
        istioObjects: istio,
        rssMiB: process.memoryUsage().rss / 2 ** 20,
    };
    process.stdout.write(`${JSON.stringify(sample)}\n`);
}

interface Args {
    sizes: number[];
    runs: number;
    profile: boolean;
    write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { sizes: [10, 100, 500], runs: 5, profile: false, write: true };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = (): string => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${a} needs a value`);
            return v;
        };
        switch (a) {
            case "--sizes":
                args.sizes = next().split(",").map(Number);
                break;
            case "--runs":
                args.runs = Number(next());
                break;
            case "--profile":
                args.profile = true;
                break;
            case "--no-write":
                args.write = false;
                break;
            default:
                throw new Error(`unknown argument ${a}; usage: bench/scale.ts mocks [--sizes 10,100,500] [--runs 5] [--profile] [--no-write]`);
        }
    }
    if (args.sizes.some((s) => !Number.isInteger(s) || s < 1) || !Number.isInteger(args.runs) || args.runs < 1) {
        throw new Error(`--sizes must be positive integers and --runs a positive integer; got ${args.sizes.join(",")} and ${args.runs}`);
    }
    return args;
}

/** Pure: `t(b)/t(a)` against `b/a`; "linear" when the ratio is within 30 % of N's ratio. */
export function growth(a: { n: number; ms: Summary }, b: { n: number; ms: Summary }): string {
    const ratio = b.ms.median / a.ms.median;
    const linear = b.n / a.n;
    const verdict = ratio > linear * 1.3 ? "superlinear" : ratio < linear * 0.7 ? "sublinear" : "linear";
    return `t(${b.n})/t(${a.n}) = ${ratio.toFixed(2)} vs N ratio ${linear.toFixed(0)}: ${verdict}`;
}

async function profileGrowth(sizes: readonly number[]): Promise<string> {
    const [small, large] = [...sizes].sort((x, y) => x - y).slice(-2);
    if (small === undefined || large === undefined || small === large) {
        return "(profiling needs two sizes)";
    }
    const times: Map<string, FunctionTime>[] = [];
    for (const n of [small, large]) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-bench-prof-"));
        await runChild<MockSample>(SCRIPT, ["--child-mocks", String(n)], { nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`] });
        times.push(readFunctionTimes(newestProfile(dir), REPO_ROOT));
        fs.rmSync(dir, { recursive: true, force: true });
    }
    const [a, b] = times as [Map<string, FunctionTime>, Map<string, FunctionTime>];
    const linear = large / small;
    const rows = [...b.values()]
        .filter((f) => f.ours && f.totalMs >= 20)
        .map((f) => ({ f, before: a.get(f.key)?.totalMs ?? 0 }))
        .sort((x, y) => y.f.totalMs - x.f.totalMs)
        .slice(0, 12)
        .map(({ f, before }) => [
            `\`${f.key}\``,
            before.toFixed(0),
            f.totalMs.toFixed(0),
            before === 0 ? "new" : `${(f.totalMs / before).toFixed(1)} (N: ${linear})`,
        ]);
    return markdownTable(["function (our code, inclusive time)", `ms at ${small}`, `ms at ${large}`, "growth"], rows);
}

async function mainMocks(argv: readonly string[]): Promise<void> {
    const args = parseArgs(argv);
    const samples = new Map<number, MockSample[]>(args.sizes.map((s) => [s, []]));
    for (let round = 0; round < args.runs; round++) {
        // Alternate the order each round so no size always runs first (cold disk cache, a neighbour's build).
        const order = round % 2 === 0 ? args.sizes : [...args.sizes].reverse();
        for (const n of order) {
            const s = await runChild<MockSample>(SCRIPT, ["--child-mocks", String(n)]);
            samples.get(n)?.push(s);
            process.stderr.write(`round ${round + 1}/${args.runs} N=${n}: program ${s.programMs.toFixed(0)} ms, ${s.resources} resources\n`);
        }
    }
    const rows: string[][] = [];
    const program = new Map<number, Summary>();
    for (const n of args.sizes) {
        const ss = samples.get(n) ?? [];
        const first = ss[0];
        if (first === undefined) continue;
        const s = (f: (x: MockSample) => number): Summary => summarize(ss.map(f));
        const prog = s((x) => x.programMs);
        program.set(n, prog);
        rows.push([
            String(n),
            `${first.resources} (${first.istioObjects} Istio)`,
            formatSummary(s((x) => x.parseMs)),
            formatSummary(s((x) => x.constructMs)),
            formatSummary(s((x) => x.settleMs)),
            formatSummary(prog),
            formatSummary(s((x) => x.programMs / n), 2),
            formatSummary(s((x) => x.importMs)),
            formatSummary(s((x) => x.rssMiB)),
        ]);
    }
    const table = markdownTable(
        ["services", "resources", "parse ms", "construct ms", "settle ms", "program ms", "ms / service", "module load ms", "RSS MiB"],
        rows,
    );
    const sorted = [...program.entries()].sort((x, y) => x[0] - y[0]);
    const fits = sorted.slice(1).map(([n, ms], i) => {
        const [pn, pms] = sorted[i] as [number, Summary];
        return `- ${growth({ n: pn, ms: pms }, { n, ms })}`;
    });
    const prof = args.profile ? await profileGrowth(args.sizes) : undefined;
    const command = `node -r ts-node/register/transpile-only bench/scale.ts mocks --sizes ${args.sizes.join(",")} --runs ${args.runs}${args.profile ? " --profile" : ""}`;
    const body = [
        "## Scale A: program time under Pulumi mocks",
        "",
        machineLine(),
        "",
        `Command: \`${command}\``,
        "",
        `Each cell is median (min–max) of ${args.runs} runs, each in a fresh Node process, sizes alternating within a round. ` +
            "A service is a canary (weight 10) + circuit breaker (connection pool + outlier detection): a DestinationRule, " +
            "a VirtualService, two Deployments and a Service, plus the Canary and Workloads components; the namespace is one more. " +
            "*parse* = `parseStackPlan` (zod, rules, the stack's plan and its components' plans), *construct* = `buildMeshStack`, " +
            "*settle* = until every registration reached the mock monitor; *program* = the three. Module load (ts-node transpile) is paid once per process and not in *program*.",
        "",
        table,
        "",
        "Growth of the program time with N (linear = the ratio of the Ns):",
        "",
        ...fits,
        ...(prof === undefined ? [] : ["", "CPU profile (`--cpu-prof`, one run per size), our functions by inclusive time:", "", prof]),
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("scale", body);
        process.stderr.write("wrote the scale section of BENCHMARKS.md\n");
    }
}

async function main(): Promise<void> {
    const [mode, ...rest] = process.argv.slice(2);
    switch (mode) {
        case "--child-mocks":
            await childMocks(Number(rest[0]));
            return;
        case "mocks":
            await mainMocks(rest);
            return;
        default:
            throw new Error(`usage: bench/scale.ts mocks [--sizes 10,100,500] [--runs 5] [--profile] [--no-write]`);
    }
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
