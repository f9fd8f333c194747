/**
 * Policy pack benchmark (issue 20): the cost of the policy pack per update. The dev stack of our program on the local
 * kube-apiserver takes a canary weight step per `pulumi up` (the change mesh-release makes), in four arms side by
 * side, their order rotating every round:
 *
 * - `--policy-pack policy --policy-pack-config policy/config/production.json` (the langhost-policy CLI dir), the
 *   pack transpiled only (policy/index.js);
 * - the same with MESH_POLICY_TYPECHECK=1: the pack type-checked by ts-node at its start, as run-policy-pack does;
 * - no policy pack, the same CLI dir (the language host front in the way, nothing for it to run);
 * - no policy pack, the tool chain's own CLI and language host (what every other bench and test runs).
 *
 *   bash bench/run.sh policy [--runs 5] [--no-write]
 *
 * Each `up` is timed from the Automation API call to its return (CLI start to exit). Prints a table and rewrites the
 * `policy` section of BENCHMARKS.md. Needs the langhost-policy tool (bash scripts/toolchain.sh build langhost-policy).
 */
import { LocalWorkspace, PulumiCommand, type Stack } from "@pulumi/pulumi/automation";
import { performance } from "node:perf_hooks";
import { policyCli, policyConfigFile, POLICY_PACK_DIR } from "../test/support/policyPack";
import { programEnv, projectStack } from "../test/support/pulumiProject";
import { machineLine, markdownTable, writeSection } from "./lib/report";
import { formatRatio, formatSummary, summarize } from "./lib/stats";

type Arm = "policy pack" | "policy pack, type-checked" | "no pack, front" | "no pack, tool chain CLI";
const ARMS: readonly Arm[] = ["policy pack", "policy pack, type-checked", "no pack, front", "no pack, tool chain CLI"];

function parseArgs(argv: readonly string[]): { runs: number; write: boolean } {
    let runs = 5;
    let write = true;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--runs") {
            runs = Number(argv[++i]);
            if (!Number.isInteger(runs) || runs < 1) {
                throw new Error(`--runs is ${JSON.stringify(argv[i])}; it must be a whole number of at least 1`);
            }
        } else if (a === "--no-write") {
            write = false;
        } else {
            throw new Error(`unknown argument ${JSON.stringify(a)} (usage: bench/run.sh policy [--runs N] [--no-write])`);
        }
    }
    return { runs, write };
}

async function main(): Promise<void> {
    const { runs, write } = parseArgs(process.argv.slice(2));
    const cli = policyCli();
    const project = await projectStack({ ...cli });
    const toolchainStack: Stack = await LocalWorkspace.selectStack(
        { stackName: project.stackName, workDir: project.workDir },
        { workDir: project.workDir, pulumiCommand: await PulumiCommand.get({ root: process.env["MESH_TOOLCHAIN_DIR"] ?? "" }), envVars: programEnv() },
    );
    const typeChecked: Stack = await LocalWorkspace.selectStack(
        { stackName: project.stackName, workDir: project.workDir },
        { workDir: project.workDir, pulumiCommand: await PulumiCommand.get({ root: cli.cliRoot }), envVars: { ...programEnv(), ...cli.envVars, MESH_POLICY_TYPECHECK: "1" } },
    );
    const policy = { policyPacks: [POLICY_PACK_DIR], policyPackConfigs: [policyConfigFile("production")] };
    const samples: Record<Arm, number[]> = { "policy pack": [], "policy pack, type-checked": [], "no pack, front": [], "no pack, tool chain CLI": [] };
    try {
        process.stderr.write("first up (not measured)\n");
        await project.stack.up({ onOutput: project.log });
        let weight = 10;
        for (let round = 0; round < runs; round++) {
            for (let k = 0; k < ARMS.length; k++) {
                const arm = ARMS[(round + k) % ARMS.length] as Arm;
                weight = weight === 10 ? 20 : 10;
                await project.setConfigPath("services.sample-app.canary.weight", weight);
                const t0 = performance.now();
                const res =
                    arm === "policy pack"
                        ? await project.stack.up({ ...policy, onOutput: project.log })
                        : arm === "policy pack, type-checked"
                          ? await typeChecked.up({ ...policy, onOutput: project.log })
                          : arm === "no pack, front"
                          ? await project.stack.up({ onOutput: project.log })
                          : await toolchainStack.up({ onOutput: project.log });
                const ms = performance.now() - t0;
                if (res.summary.result !== "succeeded" || (res.summary.resourceChanges?.["update"] ?? 0) < 1) {
                    throw new Error(`round ${round} ${arm}: the up did not update the weight (${JSON.stringify(res.summary.resourceChanges)})`);
                }
                samples[arm].push(ms);
                process.stderr.write(`round ${round + 1}/${runs} ${arm}: ${(ms / 1000).toFixed(2)} s\n`);
            }
        }
        if (!project.output().includes("mesh-guardrails@v0.1.0")) {
            throw new Error("the policy pack's name is not in the output: it did not run");
        }
    } finally {
        await project.dispose();
    }
    const s = Object.fromEntries(ARMS.map((a) => [a, summarize(samples[a].map((ms) => ms / 1000))])) as Record<Arm, ReturnType<typeof summarize>>;
    const base = s["no pack, front"];
    // The load of a shared machine drifts between rounds: the paired figures compare arms within each round.
    const paired = (a: Arm, f: (x: number, b: number) => number): ReturnType<typeof summarize> =>
        summarize(samples[a].map((x, i) => f(x, samples["no pack, front"][i] ?? x)));
    const rows = ARMS.map((a) => [
        a,
        formatSummary(s[a], 2),
        formatRatio(s[a], base),
        `${formatSummary(paired(a, (x, b) => x / b), 2)}x`,
        formatSummary(paired(a, (x, b) => (x - b) / 1000), 2),
    ]);
    const table = markdownTable(
        ["arm", "pulumi up s, median (min–max)", "ratio of medians to no pack (front)", "per round: ratio to no pack (front), median (min–max)", "per round: difference s, median (min–max)"],
        rows,
    );
    const perRound = markdownTable(
        ["round", ...ARMS],
        samples["no pack, front"].map((_, i) => [String(i + 1), ...ARMS.map((a) => ((samples[a][i] ?? 0) / 1000).toFixed(2))]),
    );
    const body = [
        "## Policy pack: cost per update",
        "",
        machineLine(),
        "",
        `Command: \`bash bench/run.sh policy --runs ${runs}\``,
        "",
        `Each cell: median (min–max) of ${runs} \`pulumi up\`s of the dev stack (our program, Pulumi.dev.yaml, file backend, local kube-apiserver), each a canary weight step (10 <-> 20: the two VirtualServices that carry the weight are updated), the four arms in rotating order every round. *policy pack*: \`--policy-pack policy --policy-pack-config policy/config/production.json\` (8 policies; the pack's TypeScript transpiled only, policy/index.js); *type-checked*: the same with \`MESH_POLICY_TYPECHECK=1\` (ts-node type-checks the pack at every start, as \`run-policy-pack\` would); *front*: the CLI of \`scripts/toolchain.sh --print-langhost-policy-dir\`, whose language host front runs policy packs; *tool chain CLI*: the tool chain's CLI and language host without the front.`,
        "",
        table,
        "",
        "Every sample, seconds (the order of the arms rotates by one every round):",
        "",
        perRound,
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (write) {
        writeSection("policy", body);
    }
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
