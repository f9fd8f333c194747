/**
 * Safety of a bad release, on the real engine, and the sequential analysis' error rates offline.
 *
 * Real engine (`bench/run.sh safety ...`): the traffic simulator at --rps requests/s (default 100) following
 * the VirtualService live in the API server, a real Prometheus scraping it, and the release library
 * (`runCanary` with the Pulumi stack driver and the Prometheus provider, wired as the CLI wires them, see
 * test/e2e/release/harness.ts) on a stack of our program on the local control plane.
 *
 * - Bad canaries, three cases (--cases): `errors20` (20 % errors), `errors8` (8 % errors against the 5 %
 *   threshold) and `slowp95` (slow only in the tail: latency uniform in 60..1140 ms, p95 ~1086 ms against
 *   1000 ms, median 600 ms). Time from the first shift's update start to the end of the rollback update, and
 *   the requests the bad version served (the simulator's counters, read once it has seen the rollback), for
 *   three policies replayed by the same driver on the same traffic, runs alternating:
 *   *ours*       our default policy as an unchanged config file runs it (issue 21): steps 2,10,25,50,75,100,
 *                `release.analysis.mode: auto` (sequential, a starved test passes on its point estimate; alpha 0.05),
 *   *old*        the default before issue 21: steps 10,25,50,75,100, fixed window, failureLimit 0,
 *   *flagger*    Flagger's documented defaults (interval 1m, threshold 5, stepWeight 10, maxWeight 50):
 *                steps 10,20,30,40,50, failureLimit 4 (the 5th failed check rolls back; a failed check holds
 *                the weight, as in Flagger), fixed window.
 *   All judge with the same thresholds (success rate >= 95 %, p95 <= 1000 ms, >= 10 requests). Every interval
 *   is divided by --scale (default 10: 1m -> 6s) and so is Prometheus' scrape interval (15 s, a common real
 *   setting -> 1.5 s), so early detection is not credited with a scrape rate real users do not have. The
 *   "scaled back" figures multiply the time and the bad requests of each analysis wait by --scale again and
 *   keep the updates as measured (for the sequential policy that is pessimistic: at real intervals each
 *   scrape carries --scale times the requests, so the bound is crossed after fewer scrapes).
 * - Healthy canaries: --healthy-runs rollouts (default 50) of a healthy version with our default policy
 *   (same scale); each must be promoted. Stops early when --budget-min is used up, and says how many ran.
 *
 * Offline (`node -r ts-node/register/transpile-only bench/safety.ts --offline`, no cluster): the seeded
 * simulation of release/sequential/simulate.ts at real intervals (60 s windows, a look every 15 s): the
 * false-rollback rate of 10,000 healthy rollouts with its 95 % interval against alpha, how often a healthy
 * canary ends Inconclusive at low traffic, and the detection time of the three bad cases (at --rps and at
 * 5 req/s), each for the default policy (auto, 2 % first step) and the strict sequential mode at 10 %.
 *
 *   bench/run.sh safety [--runs 3] [--cases errors20,errors8,slowp95] [--healthy-runs 50] [--scale 10] [--rps 100] [--budget-min 45] [--no-write]
 */
import { performance } from "node:perf_hooks";
import { releaseSchema } from "../contract/release";
import type { ReleaseEvent } from "../release/core/events";
import { simulateFixedRollout, simulateMany, wilsonInterval, type SimulatedRollout, type SimulationParams } from "../release/sequential/simulate";
import { runCanary } from "../release/rollout";
import { mulberry32 } from "../sim/rng";
import { releaseDeps, SERVICE, shiftToRollbackMs, startReleaseEnv, type ReleaseEnv } from "../test/e2e/release/harness";
import { machineLine, markdownTable, writeSection } from "./lib/report";
import { formatRatio, formatSummary, summarize, type Summary } from "./lib/stats";

interface Policy {
    id: "ours" | "old" | "flagger";
    label: string;
    steps: number[];
    /** Unscaled interval, ms. */
    intervalMs: number;
    failureLimit: number;
    mode: "auto" | "fixed" | "sequential";
}

/** release.steps' default (contract/release.ts). */
const DEFAULT_STEPS: readonly number[] = releaseSchema.parse({}).steps;

const POLICIES: readonly Policy[] = [
    { id: "ours", label: "ours, the default (auto; steps 2,10,25,50,75,100; interval 60s; alpha 0.05)", steps: [...DEFAULT_STEPS], intervalMs: 60_000, failureLimit: 0, mode: "auto" },
    { id: "old", label: "ours, the old default (fixed window; steps 10,25,50,75,100; interval 60s)", steps: [10, 25, 50, 75, 100], intervalMs: 60_000, failureLimit: 0, mode: "fixed" },
    { id: "flagger", label: "Flagger default (interval 1m, threshold 5, stepWeight 10, maxWeight 50)", steps: [10, 20, 30, 40, 50], intervalMs: 60_000, failureLimit: 4, mode: "fixed" },
];

interface Case {
    id: "errors20" | "errors8" | "slowp95";
    label: string;
    behavior: Record<string, number>;
    /** The same case for the offline simulation: error rate and share slower than 1000 ms. */
    model: { errorRate: number; slowRate: number };
}

const CASES: readonly Case[] = [
    { id: "errors20", label: "20 % errors", behavior: { errorRate: 0.2 }, model: { errorRate: 0.2, slowRate: 0 } },
    { id: "errors8", label: "8 % errors (threshold 5 %)", behavior: { errorRate: 0.08 }, model: { errorRate: 0.08, slowRate: 0 } },
    // latency uniform in 600 * [0.1, 1.9] ms: p95 = 600 * 1.81 = 1086 ms, median 600 ms; 13 % over 1000 ms
    { id: "slowp95", label: "slow only at p95 (p95 1086 ms, median 600 ms; limit 1000 ms)", behavior: { latencyMs: 600, latencyJitter: 0.9 }, model: { errorRate: 0, slowRate: 140 / 1080 } },
];

/** A real mesh's Prometheus scrape interval, ms (divided by --scale like every interval). */
const REAL_SCRAPE_MS = 15_000;

interface Args {
    runs: number;
    cases: Case[];
    healthyRuns: number;
    scale: number;
    rps: number;
    budgetMin: number;
    write: boolean;
    offline: boolean;
    /** --offline --bad-only: print the bad-requests comparison with Flagger's default and write nothing. */
    badOnly: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { runs: 3, cases: [...CASES], healthyRuns: 50, scale: 10, rps: 100, budgetMin: 45, write: true, offline: false, badOnly: false };
    const usage = "usage: bench/run.sh safety [--runs 3] [--cases errors20,errors8,slowp95] [--healthy-runs 50] [--scale 10] [--rps 100] [--budget-min 45] [--no-write]; or --offline [--bad-only]";
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const num = (): number => {
            const v = Number(argv[++i]);
            if (!Number.isFinite(v) || v < 0) throw new Error(`${a} needs a non-negative number; ${usage}`);
            return v;
        };
        switch (a) {
            case "--runs": args.runs = num(); break;
            case "--healthy-runs": args.healthyRuns = num(); break;
            case "--scale": args.scale = num(); break;
            case "--rps": args.rps = num(); break;
            case "--budget-min": args.budgetMin = num(); break;
            case "--no-write": args.write = false; break;
            case "--offline": args.offline = true; break;
            case "--bad-only": args.badOnly = true; args.write = false; break;
            case "--cases": {
                const ids = String(argv[++i] ?? "").split(",");
                args.cases = ids.map((id) => {
                    const c = CASES.find((x) => x.id === id);
                    if (c === undefined) throw new Error(`--cases: unknown case ${JSON.stringify(id)}; one of ${CASES.map((x) => x.id).join(", ")}`);
                    return c;
                });
                break;
            }
            default: throw new Error(`unknown argument ${a}; ${usage}`);
        }
    }
    if (args.scale < 1 || POLICIES.some((p) => p.intervalMs / args.scale < 1000)) {
        throw new Error(`--scale is ${args.scale}; it must be >= 1 and leave every interval >= 1s (60s / scale)`);
    }
    return args;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const goDuration = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`);

/** One event with the time it arrived and the canary's served count at that moment. */
interface Mark {
    e: ReleaseEvent;
    t: number;
    served: number;
}

interface BadRun {
    policy: Policy["id"];
    caseId: Case["id"];
    outcome: string;
    shiftToRollbackMs: number;
    badServed: number;
    badErrors: number;
    /** Time and bad requests inside the analysis waits (what --scale shrinks). */
    waitMs: number;
    waitServed: number;
    analyses: number;
    maxWeight: number;
    /** Sequential: ms into the first step's window when it stopped. */
    stoppedAfterMs?: number;
}

function startEnv(args: Args): Promise<ReleaseEnv> {
    return startReleaseEnv({
        rps: args.rps,
        namespacePrefix: "mesh-bench-safety",
        seed: 7,
        maxDurationMs: 3 * 3600_000,
        scrapeIntervalMs: REAL_SCRAPE_MS / args.scale,
        // Our defaults for the checks; steps, interval, mode and failureLimit are set per run.
        release: (url) => ({ interval: "60s", prometheus: { url, timeout: "2s", scrapeInterval: goDuration(REAL_SCRAPE_MS / args.scale) } }),
    });
}

async function rollout(env: ReleaseEnv, args: Args, policy: Policy, version: string): Promise<{ marks: Mark[]; outcome: string; message: string }> {
    await env.project.setConfigPath("release.analysis.failureLimit", policy.failureLimit);
    await env.project.setConfigPath("release.analysis.mode", policy.mode);
    const marks: Mark[] = [];
    const served = (): number => env.sim.stats().versions[version]?.served ?? 0;
    const result = await runCanary(
        {
            service: SERVICE,
            version,
            overrides: { steps: policy.steps.join(","), interval: goDuration(policy.intervalMs / args.scale) },
        },
        releaseDeps(env, (e) => marks.push({ e, t: performance.now(), served: served() }), { awaitRouting: env.awaitRouting(version) }),
    );
    return { marks, outcome: result.outcome, message: result.message };
}

function badRun(policy: Policy, c: Case, marks: readonly Mark[], outcome: string, finalServed: number, finalErrors: number): BadRun {
    const events = marks.map((m) => m.e);
    const ms = shiftToRollbackMs(events);
    let waitMs = 0;
    let waitServed = 0;
    marks.forEach((m, i) => {
        if (m.e.type !== "analysis-waiting") return;
        const end = marks.slice(i + 1).find((x) => x.e.type === "analysis");
        if (end !== undefined) {
            waitMs += end.t - m.t;
            waitServed += end.served - m.served;
        }
    });
    const analyses = events.filter((e) => e.type === "analysis").length;
    const maxWeight = Math.max(0, ...events.flatMap((e) => (e.type === "step-applied" ? [e.weight] : [])));
    const stop = events.find((e): e is Extract<ReleaseEvent, { type: "analysis-look" }> => e.type === "analysis-look" && e.decision === "fail");
    return {
        policy: policy.id,
        caseId: c.id,
        outcome,
        shiftToRollbackMs: ms ?? NaN,
        badServed: finalServed,
        badErrors: finalErrors,
        waitMs,
        waitServed,
        analyses,
        maxWeight,
        stoppedAfterMs: stop?.elapsedMs,
    };
}

interface HealthyRun {
    version: string;
    outcome: string;
    ms: number;
    message: string;
}

async function realEngine(args: Args): Promise<void> {
    const t0 = performance.now();
    process.stderr.write(`starting simulator (${args.rps} req/s), Prometheus (scrape every ${REAL_SCRAPE_MS / args.scale} ms) and the stack\n`);
    const env = await startEnv(args);
    const bad: BadRun[] = [];
    const healthy: HealthyRun[] = [];
    let versionNo = 100;
    try {
        for (let round = 0; round < args.runs; round++) {
            for (const c of args.cases) {
                const order = round % 2 === 0 ? POLICIES : [...POLICIES].reverse();
                for (const policy of order) {
                    const version = `v${++versionNo}`;
                    env.sim.control({ [version]: c.behavior });
                    const { marks, outcome, message } = await rollout(env, args, policy, version);
                    await sleep(1000); // the simulator polls every 250 ms: let it see the rollback
                    const st = env.sim.stats().versions[version];
                    const r = badRun(policy, c, marks, outcome, st?.served ?? 0, st?.errors ?? 0);
                    bad.push(r);
                    process.stderr.write(
                        `bad round ${round + 1}/${args.runs} ${c.id} ${policy.id} ${version}: ${outcome} in ${(r.shiftToRollbackMs / 1000).toFixed(1)} s, ` +
                            `${r.badServed} bad requests (${r.badErrors} errors), ${r.analyses} analyses, max weight ${r.maxWeight}%` +
                            `${r.stoppedAfterMs !== undefined ? `, stopped ${(r.stoppedAfterMs / 1000).toFixed(1)} s into the window` : ""} (${message})\n`,
                    );
                    if (outcome !== "rolled-back") {
                        process.stderr.write(`WARNING: the ${policy.id} rollout of the bad ${version} (${c.id}) ended ${outcome}, not rolled back\n`);
                    }
                }
            }
        }
        const ours = POLICIES[0] as Policy;
        const deadline = t0 + args.budgetMin * 60_000;
        for (let i = 0; i < args.healthyRuns; i++) {
            if (performance.now() > deadline) {
                process.stderr.write(`--budget-min ${args.budgetMin} used up after ${i} healthy runs\n`);
                break;
            }
            const version = `v${++versionNo}`;
            env.sim.control({ [version]: { errorRate: 0 } });
            const th = performance.now();
            const { outcome, message } = await rollout(env, args, ours, version);
            healthy.push({ version, outcome, ms: performance.now() - th, message });
            process.stderr.write(`healthy ${i + 1}/${args.healthyRuns} ${version}: ${outcome} in ${((performance.now() - th) / 1000).toFixed(1)} s (${message})\n`);
        }
    } finally {
        process.stderr.write("removing the stack, Prometheus and the simulator\n");
        await env.project.dispose().catch((err: unknown) => process.stderr.write(`dispose failed: ${String(err)}\n`));
        await env.dispose(); // Prometheus and the simulator (the stack's dispose above is idempotent)
    }
    reportRealEngine(args, bad, healthy, (performance.now() - t0) / 1000);
}

function reportRealEngine(args: Args, bad: readonly BadRun[], healthy: readonly HealthyRun[], wallS: number): void {
    const f = args.scale;
    type Row = { time: Summary; served: Summary; errors: Summary; timeBack: Summary; servedBack: Summary; analyses: Summary; n: number; rolledBack: number };
    const stats = (rs: readonly BadRun[]): Row => ({
        n: rs.length,
        rolledBack: rs.filter((r) => r.outcome === "rolled-back").length,
        time: summarize(rs.map((r) => r.shiftToRollbackMs / 1000)),
        served: summarize(rs.map((r) => r.badServed)),
        errors: summarize(rs.map((r) => r.badErrors)),
        timeBack: summarize(rs.map((r) => (r.shiftToRollbackMs + (f - 1) * r.waitMs) / 1000)),
        servedBack: summarize(rs.map((r) => r.badServed + (f - 1) * r.waitServed)),
        analyses: summarize(rs.map((r) => r.analyses)),
    });
    const sections: string[] = [];
    for (const c of args.cases) {
        const per = new Map<Policy["id"], Row>();
        for (const p of POLICIES) {
            const rs = bad.filter((r) => r.policy === p.id && r.caseId === c.id);
            if (rs.length > 0) per.set(p.id, stats(rs));
        }
        const rows = POLICIES.flatMap((p) => {
            const s = per.get(p.id);
            if (s === undefined) return [];
            return [[p.label, `${s.rolledBack}/${s.n}`, formatSummary(s.analyses), formatSummary(s.time, 1), formatSummary(s.served), formatSummary(s.errors), formatSummary(s.timeBack, 0), formatSummary(s.servedBack)]];
        });
        const seq = per.get("ours");
        const fl = per.get("flagger");
        const fx = per.get("old");
        const stopped = bad.filter((r) => r.policy === "ours" && r.caseId === c.id && r.stoppedAfterMs !== undefined).map((r) => (r.stoppedAfterMs ?? 0) / 1000);
        const lines = [
            `### ${c.label}`,
            "",
            markdownTable(["policy", "rolled back", "analyses", "time s (measured)", "bad requests (measured)", "of which errors", `time s (scaled back x${f})`, `bad requests (scaled back x${f})`], rows),
            "",
        ];
        if (seq !== undefined && fl !== undefined) {
            lines.push(
                `Our default / Flagger's (medians, same run): bad requests measured ${formatRatio(seq.served, fl.served)}, scaled back ${formatRatio(seq.servedBack, fl.servedBack)}; ` +
                    `time to rollback measured ${formatRatio(seq.time, fl.time)}, scaled back ${formatRatio(seq.timeBack, fl.timeBack)}` +
                    (fx !== undefined ? `. Our default / the old default: bad requests measured ${formatRatio(seq.served, fx.served)}, scaled back ${formatRatio(seq.servedBack, fx.servedBack)}` : "") +
                    (stopped.length > 0 ? `. Our default's step stopped ${formatSummary(summarize(stopped), 1)} s into its ${(60 / f).toFixed(0)} s window.` : "."),
            );
        }
        sections.push(lines.join("\n"));
    }
    const promoted = healthy.filter((h) => h.outcome === "promoted").length;
    const certain = healthy.filter((h) => h.outcome === "rolled-back" && h.message.includes("certain failure")).length;
    const inconclusive = healthy.filter((h) => h.outcome === "rolled-back" && !h.message.includes("certain failure")).length;
    const other = healthy.length - promoted - certain - inconclusive;
    const command = `bench/run.sh safety --runs ${args.runs} --cases ${args.cases.map((c) => c.id).join(",")} --healthy-runs ${args.healthyRuns} --scale ${f} --rps ${args.rps} --budget-min ${args.budgetMin}`;
    const body = [
        "## Safety of a bad release (real engine)",
        "",
        machineLine(),
        "",
        `Command: \`${command}\` (local control plane, real Pulumi engine, simulator, real Prometheus; ${wallS.toFixed(0)} s wall time).`,
        "",
        `The release library (\`runCanary\`, Pulumi stack driver, Prometheus provider, as the CLI wires them) on a stack of our program (Pulumi.dev.yaml, sample-app), ` +
            `the simulator at ${args.rps} req/s following the live VirtualService. All policies judge with the same thresholds (success rate >= 95 %, p95 <= 1000 ms, >= 10 requests); ` +
            "Flagger's replay: steps 10,20,30,40,50, a failed check holds the weight, the 5th failed check rolls back (failureLimit 4), fixed window. " +
            `**Every interval is divided by ${f}** (60s -> ${60 / f}s) for every policy, **and so is Prometheus' scrape interval** (${REAL_SCRAPE_MS / 1000} s, a common real setting -> ${REAL_SCRAPE_MS / f / 1000} s; ` +
            "the sequential analysis looks once per scrape, so it gets no more looks than it would at real intervals). The *measured* columns are what ran. " +
            `The *scaled back* columns multiply the time and the bad requests of every analysis wait by ${f} and keep the Pulumi updates as measured ` +
            "(an estimate of the real-interval figures, not a measurement; pessimistic for the sequential policy, whose bound is crossed after a number of requests, not of scrapes). " +
            "*Time* runs from the first shift's update start to the end of the rollback update; *bad requests* are the requests the bad version served (successful or not), " +
            "counted by the simulator until it had seen the rollback. Each cell: median (min–max) of the runs; policies alternate within each round.",
        "",
        ...sections.flatMap((s) => [s, ""]),
        `Healthy canaries (0 % errors, our default policy, same scale): ${healthy.length} of ${args.healthyRuns} requested runs ran` +
            (healthy.length < args.healthyRuns ? ` (the --budget-min ${args.budgetMin} time budget ran out)` : "") +
            `; ${promoted} promoted, **${certain} false rollbacks** (certain failure), ${inconclusive} rolled back as Inconclusive${other > 0 ? `, ${other} ended otherwise` : ""}` +
            (healthy.length > 0 ? `; rollout time ${formatSummary(summarize(healthy.map((h) => h.ms / 1000)), 1)} s.` : "."),
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("safety", body);
        process.stderr.write("wrote the safety section of BENCHMARKS.md\n");
    }
}

/** The offline figures: seeded simulations of release/sequential/simulate.ts at real intervals. */
function offline(args: Args): void {
    const t0 = performance.now();
    const thresholds = { alpha: 0.05, successRate: 95, latencyP95Ms: 1000, minRequests: 10 };
    const common = { rps: 100, windowMs: 60_000, lookMs: REAL_SCRAPE_MS, inconclusiveLimit: 2, canary: { errorRate: 0.005, slowRate: 0.01 }, stable: { errorRate: 0.005, slowRate: 0.01 } };
    // The default (auto mode, release.steps' default) and the strict sequential mode at the old steps.
    const policies: { label: string; base: SimulationParams }[] = [
        { label: `the default (auto; steps ${DEFAULT_STEPS.join(",")})`, base: { ...common, policy: { ...thresholds, steps: DEFAULT_STEPS.length, pointEstimateWhenStarved: true }, weights: [...DEFAULT_STEPS] } },
        { label: "sequential (strict; steps 10,25,50,75,100)", base: { ...common, policy: { ...thresholds, steps: 5 }, weights: [10, 25, 50, 75, 100] } },
    ];
    const runs = 10_000;
    const pct = (x: number, n: number): string => `${((100 * x) / n).toFixed(1)} %`;
    const healthyLines = policies.flatMap(({ label, base }) => {
        const healthy = simulateMany(base, runs, mulberry32(2026));
        const ci = wilsonInterval(healthy.failed, runs);
        const edge = simulateMany({ ...base, canary: { errorRate: 0.05, slowRate: 0.05 }, stable: { errorRate: 0.05, slowRate: 0.05 } }, runs, mulberry32(2027));
        const edgeCi = wilsonInterval(edge.failed, runs);
        return [
            `- ${label}, healthy (canary = stable: 0.5 % errors, 1 % slow), 100 req/s: ${runs.toLocaleString("en-US")} rollouts, **${healthy.failed} false rollbacks: ` +
                `${(healthy.failed / runs).toFixed(4)} (95 % interval ${ci.low.toFixed(4)}–${ci.high.toFixed(4)}) against alpha 0.05**; ${healthy.promoted} promoted, ${healthy.inconclusive} Inconclusive. ` +
                `At the null's edge (both versions exactly at the thresholds: 5 % errors, 5 % slow): ${edge.failed} false rollbacks (${(edge.failed / runs).toFixed(4)}, ` +
                `95 % interval ${edgeCi.low.toFixed(4)}–${edgeCi.high.toFixed(4)}), ${edge.promoted} promoted.`,
        ];
    });
    const lowRows = [1, 2, 3, 5, 10, 20, 50, 100].map((rps) => {
        const cells = policies.flatMap(({ base }) =>
            [0, 0.01].map((errorRate) => {
                const v = { errorRate, slowRate: errorRate };
                const r = simulateMany({ ...base, rps, canary: v, stable: v }, 2000, mulberry32(rps));
                const w = wilsonInterval(r.inconclusive, 2000);
                return `${pct(r.inconclusive, 2000)} (${(100 * w.low).toFixed(1)}–${(100 * w.high).toFixed(1)}); promoted ${pct(r.promoted, 2000)}`;
            }),
        );
        return [String(rps), ...cells];
    });
    const detRows = [args.rps, 5].flatMap((rps) =>
        CASES.flatMap((c) =>
            policies.map(({ label, base }) => {
                const r = simulateMany({ ...base, rps, canary: c.model, stable: { errorRate: 0, slowRate: 0.01 } }, 2000, mulberry32(31));
                const t = summarize(r.results.map((x) => x.timeMs / 1000));
                const sorted = r.results.map((x) => x.timeMs / 1000).sort((a, b) => a - b);
                const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
                const served = summarize(r.results.map((x) => x.canaryRequests));
                return [`${rps}`, c.label, label, `${r.failed}/2000`, `${r.promoted}/2000`, `${r.results.filter((x) => x.stepIndex === 0).length}/2000`, `${q(0.1)} / ${t.median} / ${q(0.9)} / ${t.max}`, formatSummary(served)];
            }),
        ),
    );
    const command = "node -r ts-node/register/transpile-only bench/safety.ts --offline";
    const body = [
        "## Sequential analysis offline: false rollbacks, Inconclusive at low traffic, detection time",
        "",
        machineLine(),
        "",
        `Command: \`${command}\` (${((performance.now() - t0) / 1000).toFixed(0)} s; no cluster). The seeded simulation of release/sequential/simulate.ts runs the same \`judgeStep\` as mesh-release, ` +
            "for two policies: the default (mode auto: sequential looks, and a threshold test too starved for evidence passes on its point estimate at the window's end) and the strict sequential mode at the old steps. " +
            "60 s windows, a look every 15 s (a real scrape interval), alpha 0.05, success rate >= 95 %, p95 <= 1000 ms, minRequests 10, inconclusiveLimit 2; " +
            "each request goes to the canary with the step's weight, fails with its version's error rate and is slower than 1000 ms with its version's slow rate.",
        "",
        ...healthyLines,
        "",
        "A healthy canary at low traffic: how often the rollout ends Inconclusive (rolled back after 3 Inconclusive windows of a step), 2,000 rollouts per cell:",
        "",
        markdownTable(
            [
                "req/s (all versions)",
                "default: Inconclusive (95 % interval), 0 % errors, nothing slow",
                "default: both versions at 1 % errors and 1 % slow",
                "strict sequential at 10 %: 0 % errors",
                "strict sequential at 10 %: 1 % errors and 1 % slow",
            ],
            lowRows,
        ),
        "",
        `Bad canaries at ${args.rps} and 5 req/s (stable at 0 % errors, 1 % slow), 2,000 rollouts each: detection time from the first step's start, in seconds (looks every 15 s).`,
        "",
        markdownTable(["req/s", "case", "policy", "stopped (certain failure)", "promoted", "stopped at the first step", "detection s: p10 / median / p90 / max", "canary requests served before the stop: median (min–max)"], detRows),
        "",
        ...badVsFlagger(),
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("safety-offline", body);
        process.stderr.write("wrote the safety-offline section of BENCHMARKS.md\n");
    }
}

/**
 * Pulumi update times, s, for the bad-requests model: 1 s, a step of the default driver on a quiet 2-core VM (939 ms,
 * issue 21 part 3's `bench/run.sh step-latency --runs 5 --variants inline`); 7.5 s, an update in the loaded real-engine
 * safety run of 17:07 UTC (its measured time to rollback less its analysis waits, over its two updates).
 */
const UPDATE_S: readonly number[] = [1, 7.5];

/**
 * The bad requests a bad canary is served at real intervals, offline, for our default, the tries of issue 21 part 4 and
 * Flagger's default: the requests the canary served while analysed (seeded simulation, looks every 15 s), plus those
 * served while an update is applied (a shift after the first keeps the previous weight, the rollback the stopped step's
 * weight, for `u` seconds each; the first shift serves nothing before its route exists).
 */
function badVsFlagger(): string[] {
    const runs = 2000;
    const thresholds = { alpha: 0.05, successRate: 95, latencyP95Ms: 1000, minRequests: 10 };
    const stable = { errorRate: 0, slowRate: 0.01 };
    type Sim = (rps: number, canary: { errorRate: number; slowRate: number }, seed: number) => { rs: SimulatedRollout[]; weights: readonly number[] };
    const seq = (weights: readonly number[], lookMs: number): Sim => (rps, canary, seed) => ({
        weights,
        rs: simulateMany({ policy: { ...thresholds, steps: weights.length, pointEstimateWhenStarved: true }, weights, rps, windowMs: 60_000, lookMs, inconclusiveLimit: 2, canary, stable }, runs, mulberry32(seed)).results,
    });
    const fixed = (weights: readonly number[], failureLimit: number): Sim => (rps, canary, seed) => {
        const rng = mulberry32(seed);
        const p = { weights, rps, windowMs: 60_000, maxErrorRate: 0.05, maxSlowRate: 0.05, minRequests: 10, failureLimit, inconclusiveLimit: 2, canary };
        return { weights, rs: Array.from({ length: runs }, () => simulateFixedRollout(p, rng)) };
    };
    const policies: { label: string; sim: Sim }[] = [
        { label: `ours, the default (auto; steps ${DEFAULT_STEPS.join(",")})`, sim: seq(DEFAULT_STEPS, REAL_SCRAPE_MS) },
        { label: "try: a 1 % first step (auto; steps 1,10,25,50,75,100)", sim: seq([1, 10, 25, 50, 75, 100], REAL_SCRAPE_MS) },
        { label: "try: looks every 5 s (a 5 s scrape; the default's steps)", sim: seq(DEFAULT_STEPS, 5_000) },
        { label: "ours, the old default (fixed window; steps 10,25,50,75,100)", sim: fixed([10, 25, 50, 75, 100], 0) },
        { label: "Flagger default (steps 10,20,30,40,50; 5th failed check rolls back)", sim: fixed([10, 20, 30, 40, 50], 4) },
    ];
    const updateShare = (r: SimulatedRollout, weights: readonly number[]): number =>
        (weights.slice(0, r.stepIndex).reduce((a, w) => a + w, 0) + (weights[r.stepIndex] ?? 100)) / 100;
    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const [rps, c] of [...CASES.map((x) => [100, x] as const), [5, CASES[0] as Case] as const]) {
        const results = policies.map((p) => ({ p, ...p.sim(rps, c.model, 31) }));
        const bad = (x: (typeof results)[number], u: number): number[] => x.rs.map((r) => r.canaryRequests + rps * u * updateShare(r, x.weights));
        const flagger = results[results.length - 1];
        for (const x of results) {
            const stopped = x.rs.filter((r) => r.outcome === "failed").length;
            const cells = UPDATE_S.map((u) => {
                const s = summarize(bad(x, u));
                const f = flagger === undefined ? undefined : summarize(bad(flagger, u));
                return `${formatSummary(s)}${f === undefined ? "" : `; ${formatRatio(s, f)}`}`;
            });
            rows.push([`${rps}`, c.label, x.p.label, `${stopped}/${runs}`, `${x.rs.filter((r) => r.outcome === "promoted").length}/${runs}`, formatSummary(summarize(x.rs.map((r) => r.canaryRequests))), ...cells]);
        }
        if (rps === 100 && c.id === "errors20" && flagger !== undefined) {
            const ours = results[0];
            if (ours !== undefined) {
                for (const u of UPDATE_S) {
                    const a = summarize(ours.rs.map((r) => r.canaryRequests)).median;
                    const up = summarize(ours.rs.map((r) => rps * u * updateShare(r, ours.weights))).median;
                    ratios.push(`with ${u} s updates, the default's median ${a} bad requests while analysed and ${up.toFixed(0)} while updates were applied`);
                }
            }
        }
    }
    // What a smaller first step costs a low-traffic service: healthy canaries (0.5 % errors, 1 % slow) at 5 req/s.
    const lowTraffic = [DEFAULT_STEPS, [1, 10, 25, 50, 75, 100]].map((weights) => {
        const healthy = { errorRate: 0.005, slowRate: 0.01 };
        const r = simulateMany({ policy: { ...thresholds, steps: weights.length, pointEstimateWhenStarved: true }, weights, rps: 5, windowMs: 60_000, lookMs: REAL_SCRAPE_MS, inconclusiveLimit: 2, canary: healthy, stable: healthy }, runs, mulberry32(5));
        return `first step ${weights[0] ?? 0} %: ${r.promoted} promoted, ${r.inconclusive} Inconclusive, ${r.failed} false rollbacks`;
    });
    return [
        `### Bad requests of a bad canary at real intervals, offline, beside Flagger's default`,
        "",
        `Same simulation (seed 31, ${runs.toLocaleString("en-US")} rollouts a cell, 60 s windows, looks every 15 s unless said), stable at 0 % errors: the bad version's requests while analysed, ` +
            `plus those served while an update is applied (a later shift keeps the previous weight, the rollback the stopped step's weight, for u s each); *stopped* counts certain failures, a bad canary neither stopped nor promoted ended Inconclusive (rolled back after three windows). ` +
            `u = 1 s: a step of the default driver on a quiet 2-core VM (939 ms, issue 21 part 3); u = 7.5 s: an update in the loaded real-engine safety run of 17:07 UTC. ` +
            `Flagger's and the old default's windows are judged once, on point estimates. At 20 % errors and 100 req/s: ${ratios.join("; ")}. ` +
            `Healthy canaries at 5 req/s (0.5 % errors, 1 % slow; ${runs.toLocaleString("en-US")} rollouts, auto mode): ${lowTraffic.join("; ")}.`,
        "",
        markdownTable(
            ["req/s", "case", "policy", "stopped", "promoted", "served while analysed: median (min–max)", ...UPDATE_S.map((u) => `bad requests, u = ${u} s: median (min–max); / Flagger's`)],
            rows,
        ),
    ];
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    if (args.offline && args.badOnly) {
        process.stdout.write(`${badVsFlagger().join("\n")}\n`);
        return;
    }
    if (args.offline) {
        offline(args);
        return;
    }
    await realEngine(args);
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
