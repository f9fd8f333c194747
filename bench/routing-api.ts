/**
 * A weight step in each routing API (issue 22): one stack, Pulumi.dev.yaml as the release e2e runs it in Gateway API
 * mode (test/e2e/release/harness.ts `gatewayApiEdit`: no egress host, no retries, which that mode refuses), switched
 * between `routingApi: istio` and `routingApi: gateway-api`; so both modes step the same services, ingress and
 * circuit breaker, and only the objects that carry the split differ (2 VirtualServices vs the HTTPRoutes and the
 * version Services).
 *
 * Each step is what mesh-release does: PulumiStackDriver with the inline program (its default), a config write of
 * `services.sample-app.canary.weight` (10 <-> 20) and `pulumi up`; then the live split is read back as the release
 * reads it (release/core/live.ts `liveSplitOf` of the mode's kind: the VirtualService, or the HTTPRoute's backendRefs) and must show
 * the new weight on the mode's object. Rounds alternate the order of the modes; in each round a mode is switched
 * to (one `up`, not counted), stepped once unmeasured (the first update after a switch), then stepped once measured.
 *
 * Runs on the local control plane: `bench/run.sh routing-api [--runs 5] [--no-write]`.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { PulumiStackDriver } from "../release/driver/pulumiStack";
import { kubeLiveReader } from "../release/driver/kubeLive";
import { liveSplitOf, type LiveRouteKind } from "../release/core/live";
import { gatewayApiEdit } from "../test/e2e/release/harness";
import { cpuMeter } from "./lib/cpu";
import { benchProject, inlineProgram } from "./lib/project";
import { loadAverage, loadLine, machineLine, markdownTable, writeSection } from "./lib/report";
import { formatRatio, formatSummary, summarize } from "./lib/stats";

const SERVICE = "sample-app";
const CANARY = "v2";
type Mode = "istio" | "gateway-api";
const MODES: readonly Mode[] = ["istio", "gateway-api"];
const SPLIT_KIND: Record<Mode, LiveRouteKind> = { istio: "VirtualService", "gateway-api": "HTTPRoute" };

interface Args {
    runs: number;
    write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { runs: 5, write: true };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = argv[i + 1];
        if (a === "--runs" && v !== undefined) {
            args.runs = Number(v);
            i++;
        } else if (a === "--no-write") {
            args.write = false;
        } else {
            throw new Error(`unknown argument ${a}; usage: bench/run.sh routing-api [--runs 5] [--no-write]`);
        }
    }
    if (!Number.isInteger(args.runs) || args.runs < 5) {
        throw new Error(`--runs is ${args.runs}; it must be an integer >= 5 (issue 22 asks for medians of at least 5 steps)`);
    }
    return args;
}


interface Sample {
    stepMs: number;
    upMs: number;
    cpuS: number;
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const loadAtStart = loadAverage();
    const id = randomBytes(3).toString("hex");
    const namespace = `mesh-bench-rapi-${id}`;
    const stackName = `bench-rapi-${id}`;
    process.stderr.write(`creating stack ${stackName} in namespace ${namespace}\n`);
    const project = await benchProject({
        stackName,
        base: "Pulumi.dev.yaml",
        config: { namespace },
        edit: (c) => {
            gatewayApiEdit(c);
            c["routingApi"] = "istio";
        },
    });
    try {
        const driver = new PulumiStackDriver({
            stackName,
            workDir: project.workDir,
            pulumiRoot: project.pulumiRoot,
            envVars: project.use("ts-transpile"),
            program: { kind: "inline", program: inlineProgram },
        });
        const read = kubeLiveReader();
        let weight = 20;
        let mode: Mode = "istio";
        await driver.write([{ path: ["services", SERVICE, "canary", "weight"], value: weight }]);
        const t0 = performance.now();
        await driver.update({ message: "bench routing-api: initial" });
        process.stderr.write(`initial up (istio): ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

        const step = async (): Promise<Sample> => {
            weight = weight === 20 ? 10 : 20;
            const cpu = cpuMeter();
            const s0 = performance.now();
            await driver.write([{ path: ["services", SERVICE, "canary", "weight"], value: weight }]);
            const s1 = performance.now();
            await driver.update({ message: `bench routing-api: ${mode} step ${weight}` });
            const s2 = performance.now();
            const cpuS = cpu.stop();
            const live = liveSplitOf(await read(namespace), namespace, SERVICE, { canary: CANARY, kind: SPLIT_KIND[mode] });
            if (live === undefined || live.canary !== weight || !live.object.startsWith(`${SPLIT_KIND[mode]} `)) {
                throw new Error(`after a ${mode} step to ${weight} the live split is ${JSON.stringify(live)}; expected ${weight} on a ${SPLIT_KIND[mode]}`);
            }
            return { stepMs: s2 - s0, upMs: s2 - s1, cpuS };
        };
        const samples = new Map<Mode, Sample[]>(MODES.map((m) => [m, []]));
        for (let round = 0; round < args.runs; round++) {
            const order = round % 2 === 0 ? MODES : [...MODES].reverse();
            for (const m of order) {
                if (m !== mode) {
                    const w0 = performance.now();
                    await driver.write([{ path: ["routingApi"], value: m }]);
                    await driver.update({ message: `bench routing-api: switch to ${m}` });
                    mode = m;
                    process.stderr.write(`round ${round + 1}: switched to ${m} in ${((performance.now() - w0) / 1000).toFixed(1)} s (not counted)\n`);
                }
                const warm = await step();
                const s = await step();
                samples.get(m)?.push(s);
                process.stderr.write(`round ${round + 1}/${args.runs} ${m}: step ${s.stepMs.toFixed(0)} ms (up ${s.upMs.toFixed(0)}, ${s.cpuS.toFixed(2)} CPU s; unmeasured step before it ${warm.stepMs.toFixed(0)} ms)\n`);
            }
        }
        report(args, samples, loadAtStart);
    } finally {
        process.stderr.write("destroying the bench stack\n");
        await project.dispose().catch((err: unknown) => process.stderr.write(`dispose failed: ${String(err)}\n`));
    }
}

function report(args: Args, samples: Map<Mode, Sample[]>, loadAtStart: string): void {
    const of = (m: Mode): Sample[] => samples.get(m) ?? [];
    const istioStep = summarize(of("istio").map((s) => s.stepMs));
    const rows = MODES.map((m) => {
        const step = summarize(of(m).map((s) => s.stepMs));
        return [
            `\`routingApi: ${m}\` (split on the ${SPLIT_KIND[m]})`,
            String(step.n),
            formatSummary(step),
            formatSummary(summarize(of(m).map((s) => s.upMs))),
            formatSummary(summarize(of(m).map((s) => s.cpuS)), 2),
            formatRatio(step, istioStep),
        ];
    });
    const gw = summarize(of("gateway-api").map((s) => s.stepMs));
    const over = (gw.median / istioStep.median - 1) * 100;
    const verdict =
        over <= 10
            ? `Gateway API step median ${over >= 0 ? "+" : ""}${over.toFixed(1)} % against Istio's: within issue 22's 10 %.`
            : `Gateway API step median +${over.toFixed(1)} % against Istio's: **over** issue 22's 10 %.`;
    const command = `bench/run.sh routing-api --runs ${args.runs}`;
    const body = [
        "## Routing API: a weight step, Istio API vs Gateway API (issue 22)",
        "",
        machineLine(),
        loadLine(loadAtStart),
        "",
        `Command: \`${command}\` (starts the local control plane, no istiod, and runs \`bench/routing-api.ts\`).`,
        "",
        "One stack (Pulumi.dev.yaml as the release e2e runs it in Gateway API mode: no egress host, no retries) switched " +
            "between the modes; a step is mesh-release's (PulumiStackDriver, inline program: config write + `pulumi up`), " +
            "the live split read back as the release reads it. Rounds alternate the mode order; after each switch one " +
            "unmeasured step, then one measured. Cells: median (min–max) of the measured steps.",
        "",
        markdownTable(["mode", "steps", "step ms", "up ms", "CPU s per step", "step / Istio"], rows),
        "",
        verdict,
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection("routing-api", body);
        process.stderr.write("wrote the routing-api section of BENCHMARKS.md\n");
    }
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
