/**
 * Suite times (issue 5, item 4): wall time of the unit suite (`npm run test:unit`: mocha on Pulumi mocks) and
 * of the end-to-end suite (`npm run test:e2e`: warm tool chain check, a throwaway control plane, the real
 * engine, Prometheus and the simulator), each run `--runs` times in a fresh process, alternating, so the
 * noise of this shared machine hits both alike. A failing run aborts the bench: a time of a red suite is no
 * figure.
 *
 *   node -r ts-node/register/transpile-only bench/suites.ts [--runs 5] [--e2e-runs 5] [--no-write]
 *
 * Prints a table and rewrites the `suites` section of BENCHMARKS.md.
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { machineLine, markdownTable, REPO_ROOT, writeSection } from "./lib/report";
import { formatSummary, summarize } from "./lib/stats";

interface Args {
    runs: number;
    e2eRuns: number;
    write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const out: Args = { runs: 5, e2eRuns: 5, write: true };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const num = (): number => {
            const v = Number(argv[++i]);
            if (!Number.isInteger(v) || v < 1) {
                throw new Error(`${a} needs a whole number of at least 1, got ${String(argv[i])}`);
            }
            return v;
        };
        switch (a) {
            case "--runs":
                out.runs = num();
                break;
            case "--e2e-runs":
                out.e2eRuns = num();
                break;
            case "--no-write":
                out.write = false;
                break;
            default:
                throw new Error(`unknown argument ${String(a)} (usage: bench/suites.ts [--runs N] [--e2e-runs N] [--no-write])`);
        }
    }
    return out;
}

/** Runs one npm script and returns its wall time in seconds, or throws with the end of its output. */
function timeScript(script: string): number {
    const t0 = performance.now();
    const r = spawnSync("npm", ["run", "--silent", script], { cwd: REPO_ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const s = (performance.now() - t0) / 1000;
    if (r.status !== 0) {
        const tail = `${r.stdout}\n${r.stderr}`.split("\n").slice(-30).join("\n");
        throw new Error(`npm run ${script} failed (exit ${String(r.status)}); a red suite has no time:\n${tail}`);
    }
    return s;
}

function main(): void {
    const args = parseArgs(process.argv.slice(2));
    const unit: number[] = [];
    const e2e: number[] = [];
    const rounds = Math.max(args.runs, args.e2eRuns);
    for (let i = 0; i < rounds; i++) {
        if (i < args.runs) {
            unit.push(timeScript("test:unit"));
            console.error(`round ${i + 1}: unit ${unit[unit.length - 1]?.toFixed(1)} s`);
        }
        if (i < args.e2eRuns) {
            e2e.push(timeScript("test:e2e"));
            console.error(`round ${i + 1}: e2e ${e2e[e2e.length - 1]?.toFixed(1)} s`);
        }
    }
    const table = markdownTable(
        ["suite", "command", "runs", "wall s, median (min–max)"],
        [
            ["unit (Pulumi mocks)", "`npm run test:unit`", String(unit.length), formatSummary(summarize(unit), 1)],
            ["end to end (real engine, warm tool chain)", "`npm run test:e2e`", String(e2e.length), formatSummary(summarize(e2e), 1)],
        ],
    );
    const body = [
        "## Suite times",
        "",
        `${machineLine()}`,
        "",
        `Command: \`node -r ts-node/register/transpile-only bench/suites.ts --runs ${args.runs} --e2e-runs ${args.e2eRuns}\``,
        "",
        "Wall time of each suite as `npm run` starts it, in a fresh process per run, unit and end-to-end runs alternating. " +
            "The end-to-end time includes the tool chain check (warm: nothing is built), starting and stopping the control plane, " +
            "and the release cases' analysis windows (seconds each, set by the test). The cold tool chain build is in docs/toolchain.md.",
        "",
        table,
    ].join("\n");
    console.log(table);
    if (args.write) {
        writeSection("suites", body);
    }
}

main();
