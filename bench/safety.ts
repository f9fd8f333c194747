/**
 * Safety of a bad release: the traffic simulator at --rps requests/s (default 100) following the
 * VirtualService live in the API server, a real Prometheus scraping it, and the release library
 * (`runCanary` with the Pulumi stack driver and the Prometheus provider, wired as the CLI wires them, see
 * test/e2e/release/harness.ts) on a stack of our program on the local control plane.
 *
 * - Bad canary (20 % errors): time from the first shift's update start to the end of the rollback update,
 *   and requests the bad version served (from the simulator's counters, read once the simulator has seen
 *   the rollback), for two policies replayed by the same driver on the same traffic, runs alternating:
 *   *ours*    our default policy (release/config.ts: steps 10,25,50,75,100, interval 60s, failureLimit 0),
 *   *flagger* Flagger's documented defaults (interval 1m, threshold 5, stepWeight 10, maxWeight 50):
 *             steps 10,20,30,40,50, failureLimit 4 (the 5th failed check rolls back; a failed check holds
 *             the weight, as in Flagger).
 *   Both judge with the same checks (our defaults: success rate >= 95 %, p95 <= 1000 ms, >= 10 requests),
 *   so only the schedule differs. Every interval is divided by --scale (default 10: 1m -> 6s); the
 *   "scaled back" figures multiply the time and the bad requests of each analysis wait by --scale again and
 *   keep the updates as measured.
 * - Healthy canary: --healthy-runs rollouts (default 20) of a healthy version with our default policy
 *   (same scale); each must be promoted. Stops early when --budget-min is used up, and says how many ran.
 *
 *   bench/run.sh safety [--runs 5] [--healthy-runs 20] [--scale 10] [--rps 100] [--budget-min 40] [--no-write]
 */
import { performance } from "node:perf_hooks";
import type { ReleaseEvent } from "../release/events";
import { releaseDeps, SERVICE, shiftToRollbackMs, startReleaseEnv, type ReleaseEnv } from "../test/e2e/release/harness";
import { runCanary } from "../release/rollout";
import { machineLine, markdownTable, writeSection } from "./lib/report";
import { formatRatio, formatSummary, summarize, type Summary } from "./lib/stats";

interface Policy {
    id: "ours" | "flagger";
    label: string;
    steps: number[];
    /** Unscaled interval, ms. */
    intervalMs: number;
    failureLimit: number;
}

const POLICIES: readonly Policy[] = [
    { id: "ours", label: "ours (default: steps 10,25,50,75,100; interval 60s; first failed check rolls back)", steps: [10, 25, 50, 75, 100], intervalMs: 60_000, failureLimit: 0 },
    { id: "flagger", label: "Flagger default (interval 1m, threshold 5, stepWeight 10, maxWeight 50)", steps: [10, 20, 30, 40, 50], intervalMs: 60_000, failureLimit: 4 },
];

interface Args {
    runs: number;
    healthyRuns: number;
    scale: number;
    rps: number;
    errorRate: number;
    budgetMin: number;
    write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { runs: 5, healthyRuns: 20, scale: 10, rps: 100, errorRate: 0.2, budgetMin: 40, write: true };
    const usage = "usage: bench/run.sh safety [--runs 5] [--healthy-runs 20] [--scale 10] [--rps 100] [--error-rate 0.2] [--budget-min 40] [--no-write]";
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
            case "--error-rate": args.errorRate = num(); break;
            case "--budget-min": args.budgetMin = num(); break;
            case "--no-write": args.write = false; break;
            default: throw new Error(`unknown argument ${a}; ${usage}`);
        }
    }
    if (args.scale < 1 || POLICIES.some((p) => p.intervalMs / args.scale < 1000)) {
        throw new Error(`--scale is ${args.scale}; it must be >= 1 and leave every interval >= 1s (60s / scale)`);
    }
    return args;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One event with the time it arrived and the canary's served count at that moment. */
interface Mark {
    e: ReleaseEvent;
    t: number;
    served: number;
}

interface BadRun {
    policy: Policy["id"];
    outcome: string;
    shiftToRollbackMs: number;
    badServed: number;
    badErrors: number;
    /** Time and bad requests inside the analysis waits (what --scale shrinks). */
    waitMs: number;
    waitServed: number;
    analyses: number;
    maxWeight: number;
}

/** The release e2e environment (simulator, Prometheus, a stack of our program), with this bench's policy. */
function startEnv(args: Args): Promise<ReleaseEnv> {
    return startReleaseEnv({
        rps: args.rps,
        namespacePrefix: "mesh-bench-safety",
        seed: 7,
        maxDurationMs: 3 * 3600_000,
        // Our defaults for the checks; steps, interval and failureLimit are set per run.
        release: (url) => ({ interval: "60s", prometheus: { url, timeout: "2s" } }),
    });
}

async function rollout(env: ReleaseEnv, args: Args, policy: Policy, version: string): Promise<{ marks: Mark[]; outcome: string; message: string }> {
    await env.project.setConfigPath("release.analysis.failureLimit", policy.failureLimit);
    const marks: Mark[] = [];
    const served = (): number => env.sim.stats().versions[version]?.served ?? 0;
    const result = await runCanary(
        {
            service: SERVICE,
            version,
            overrides: { steps: policy.steps.join(","), interval: `${policy.intervalMs / args.scale / 1000}s` },
        },
        releaseDeps(env, (e) => marks.push({ e, t: performance.now(), served: served() })),
    );
    return { marks, outcome: result.outcome, message: result.message };
}

function badRun(policy: Policy, marks: readonly Mark[], outcome: string, finalServed: number, finalErrors: number): BadRun {
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
    return {
        policy: policy.id,
        outcome,
        shiftToRollbackMs: ms ?? NaN,
        badServed: finalServed,
        badErrors: finalErrors,
        waitMs,
        waitServed,
        analyses,
        maxWeight,
    };
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const t0 = performance.now();
    process.stderr.write(`starting simulator (${args.rps} req/s), Prometheus and the stack\n`);
    const env = await startEnv(args);
    const bad: BadRun[] = [];
    const healthy: { version: string; outcome: string; ms: number; message: string }[] = [];
    let versionNo = 100;
    try {
        for (let round = 0; round < args.runs; round++) {
            const order = round % 2 === 0 ? POLICIES : [...POLICIES].reverse();
            for (const policy of order) {
                const version = `v${++versionNo}`;
                env.sim.control({ [version]: { errorRate: args.errorRate } });
                const { marks, outcome, message } = await rollout(env, args, policy, version);
                await sleep(1000); // the simulator polls every 250 ms: let it see the rollback
                const st = env.sim.stats().versions[version];
                const r = badRun(policy, marks, outcome, st?.served ?? 0, st?.errors ?? 0);
                bad.push(r);
                process.stderr.write(
                    `bad round ${round + 1}/${args.runs} ${policy.id} ${version}: ${outcome} in ${(r.shiftToRollbackMs / 1000).toFixed(1)} s, ` +
                        `${r.badServed} bad requests (${r.badErrors} errors), ${r.analyses} analyses, max weight ${r.maxWeight}% (${message})\n`,
                );
                if (outcome !== "rolled-back") {
                    throw new Error(`the ${policy.id} rollout of the bad ${version} ended ${outcome}, not rolled back: ${message}`);
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
    report(args, bad, healthy, (performance.now() - t0) / 1000);
}

function report(args: Args, bad: readonly BadRun[], healthy: readonly { outcome: string; ms: number }[], wallS: number): void {
    const f = args.scale;
    const per = new Map<string, { time: Summary; served: Summary; errors: Summary; timeBack: Summary; servedBack: Summary; analyses: Summary; n: number }>();
    for (const p of POLICIES) {
        const rs = bad.filter((r) => r.policy === p.id);
        if (rs.length === 0) continue;
        per.set(p.id, {
            n: rs.length,
            time: summarize(rs.map((r) => r.shiftToRollbackMs / 1000)),
            served: summarize(rs.map((r) => r.badServed)),
            errors: summarize(rs.map((r) => r.badErrors)),
            timeBack: summarize(rs.map((r) => (r.shiftToRollbackMs + (f - 1) * r.waitMs) / 1000)),
            servedBack: summarize(rs.map((r) => r.badServed + (f - 1) * r.waitServed)),
            analyses: summarize(rs.map((r) => r.analyses)),
        });
    }
    const rows = POLICIES.flatMap((p) => {
        const s = per.get(p.id);
        if (s === undefined) return [];
        return [[
            p.label,
            String(s.n),
            formatSummary(s.analyses),
            formatSummary(s.time, 1),
            formatSummary(s.served),
            formatSummary(s.errors),
            formatSummary(s.timeBack, 0),
            formatSummary(s.servedBack),
        ]];
    });
    const o = per.get("ours");
    const fl = per.get("flagger");
    const ratios =
        o !== undefined && fl !== undefined
            ? [
                  `Ours / Flagger's (medians, same run): bad requests measured ${formatRatio(o.served, fl.served)}, scaled back ${formatRatio(o.servedBack, fl.servedBack)}; ` +
                      `time to rollback measured ${formatRatio(o.time, fl.time)}, scaled back ${formatRatio(o.timeBack, fl.timeBack)}. ` +
                      `Goal (fewer than a fifth of Flagger's bad requests): ${o.servedBack.median < fl.servedBack.median / 5 ? "met" : "not met"} on the scaled-back figures, ` +
                      `${o.served.median < fl.served.median / 5 ? "met" : "not met"} on the measured ones.`,
              ]
            : [];
    const promoted = healthy.filter((h) => h.outcome === "promoted").length;
    const falseRollbacks = healthy.filter((h) => h.outcome === "rolled-back").length;
    const other = healthy.length - promoted - falseRollbacks;
    const command = `bench/run.sh safety --runs ${args.runs} --healthy-runs ${args.healthyRuns} --scale ${args.scale} --rps ${args.rps} --budget-min ${args.budgetMin}`;
    const body = [
        "## Safety of a bad release",
        "",
        machineLine(),
        "",
        `Command: \`${command}\` (local control plane, real Pulumi engine, simulator, real Prometheus scraping every 1 s; ${wallS.toFixed(0)} s wall time).`,
        "",
        `The release library (\`runCanary\`, Pulumi stack driver, Prometheus provider, as the CLI wires them) on a stack of our program (Pulumi.dev.yaml, sample-app), ` +
            `the simulator at ${args.rps} req/s following the live VirtualService, the canary version at ${args.errorRate * 100} % errors. ` +
            "Both policies judge with the same checks (success rate >= 95 %, p95 <= 1000 ms, >= 10 requests per window); only the schedule differs. " +
            `Flagger's replay: steps 10,20,30,40,50, a failed check holds the weight, the 5th failed check rolls back (failureLimit 4). ` +
            `**Every interval is divided by ${f}** (60s -> ${60 / f}s) for both policies; the *measured* columns are what ran. ` +
            `The *scaled back* columns multiply the time and the bad requests of every analysis wait by ${f} and keep the Pulumi updates as measured ` +
            "(an estimate of the real-interval figures, not a measurement). *Time* runs from the first shift's update start to the end of the rollback update; " +
            "*bad requests* are the requests the bad version served (successful or not), counted by the simulator until it had seen the rollback. " +
            `Each cell: median (min–max) of the runs; policies alternate within each round.`,
        "",
        markdownTable(
            ["policy", "runs", "analyses", "time s (measured)", "bad requests (measured)", "of which errors", `time s (scaled back x${f})`, `bad requests (scaled back x${f})`],
            rows,
        ),
        "",
        ...ratios,
        "",
        `Healthy canary (0 % errors, our default policy, same scale): ${healthy.length} of ${args.healthyRuns} requested runs ran` +
            (healthy.length < args.healthyRuns ? ` (the --budget-min ${args.budgetMin} time budget ran out)` : "") +
            `; ${promoted} promoted, **${falseRollbacks} false rollbacks**${other > 0 ? `, ${other} ended otherwise` : ""}` +
            (healthy.length > 0 ? `; rollout time ${formatSummary(summarize(healthy.map((h) => h.ms / 1000)), 1)} s.` : "."),
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("safety", body);
        process.stderr.write("wrote the safety section of BENCHMARKS.md\n");
    }
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
