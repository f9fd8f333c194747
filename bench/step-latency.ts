/**
 * Weight-step latency: one canary weight step through our driver (config set by path + `pulumi up`, as
 * mesh-release does it) against the same VirtualService change written straight to the API server: a
 * server-side apply patch with `@kubernetes/client-node` from a warm client (what Flagger and Argo Rollouts
 * do), and `kubectl apply --server-side` (a script around kubectl). Then the fast options: compiled JS instead
 * of ts-node, `up` targeted at the changed VirtualServices, the program inline in this process; and the cost
 * of a refresh before `up`, which the driver skips.
 *
 * Secrets (issue 21): the `*-vault` variants step a second stack of the same config whose secrets provider is a KMS,
 * `hashivault://mesh-bench` served by the loopback Vault transit stand-in (test/support/vaultTransit.ts, started here;
 * tests and benches only), instead of the passphrase, whose 1,000,000-round PBKDF2 every CLI process pays; the
 * `*-nobackup` ones set PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS (no third copy of the state per update).
 *
 * Runs on the local control plane: `bench/run.sh step-latency [--runs 5] [--variants a,b] [--section NAME] [--no-write]`.
 * Rounds alternate: in each round every variant does one step, each step followed by one direct write and
 * one kubectl apply of the same change, so the noise of this shared machine hits all of them alike.
 */
import { LocalWorkspace, type Stack, type EngineEvent } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { PulumiStackDriver } from "../release/driver/pulumiStack";
import { startVaultTransit, type VaultTransit } from "../test/support/vaultTransit";
import { cpuMeter } from "./lib/cpu";
import { atWeight, catchAllWeights, directCopies, DirectApplier, kubectlApply } from "./lib/direct";
import { benchProject, inlineProgram, type BenchProject, type ProgramKind } from "./lib/project";
import { loadAverage, loadLine, machineLine, markdownTable, writeSection } from "./lib/report";
import { formatRatio, formatSummary, summarize } from "./lib/stats";

const SERVICE = "sample-app";
const WEIGHT_PATH = ["services", SERVICE, "canary", "weight"] as const;
const VS_TYPE = "kubernetes:networking.istio.io/v1:VirtualService";

/** One way of making the weight step through Pulumi. */
interface Variant {
    id: string;
    /** What the table says. */
    label: string;
    program: ProgramKind | "inline";
    /** Through PulumiStackDriver (write + update) as mesh-release runs it, or the Automation API with options the driver lacks. */
    via: "driver" | "automation";
    target?: boolean;
    refresh?: boolean;
    /** Extra environment for the CLI during this variant's `up`. */
    env?: Record<string, string>;
    /** The stack's secrets provider: the passphrase (default) or a KMS, the loopback Vault transit stand-in. */
    secrets?: "hashivault";
}

const NO_BACKUPS = { PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: "true" };

const VARIANTS: readonly Variant[] = [
    { id: "ts-typecheck", label: "driver, ts-node with type-checking (Pulumi's default for TypeScript)", program: "ts-typecheck", via: "driver" },
    { id: "ts-transpile", label: "driver, ts-node transpile-only", program: "ts-transpile", via: "driver" },
    { id: "js", label: "driver, compiled JS", program: "js", via: "driver" },
    { id: "js-refresh", label: "compiled JS, `up --refresh` (what the driver skips)", program: "js", via: "automation", refresh: true },
    { id: "js-target", label: "compiled JS, `up --target` the changed VirtualServices", program: "js", via: "automation", target: true },
    { id: "inline", label: "driver, inline program (in this process, no language host)", program: "inline", via: "driver" },
    { id: "inline-target", label: "inline program + `up --target`", program: "inline", via: "automation", target: true },
    {
        id: "inline-target-nockpt",
        label: "inline program + `up --target` + `PULUMI_SKIP_CHECKPOINTS=true` (state written once at the end; `PULUMI_EXPERIMENTAL=true` also set, which the pinned CLI v3.260.0 does not need for it: `SkipCheckpoints` in pulumi/pulumi `sdk/go/common/env/env.go` has no `env.Needs(Experimental)`, read by `pkg/backend/snapshot.go` and `journal.go`)",
        program: "inline",
        via: "automation",
        target: true,
        // The pinned CLI (scripts/toolchain.pins, PULUMI_VERSION=v3.260.0) reads PULUMI_SKIP_CHECKPOINTS without
        // PULUMI_EXPERIMENTAL: its sdk/go/common/env/env.go declares SkipCheckpoints with no env.Needs(Experimental) (v3.68.0's
        // still had it). PULUMI_EXPERIMENTAL stays set so the row measures what the recorded numbers measured.
        env: { PULUMI_SKIP_CHECKPOINTS: "true", PULUMI_EXPERIMENTAL: "true" },
    },
    {
        id: "inline-nobackup",
        label: "driver, inline program, `PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS=true` (no copy of the state into `.pulumi/backups/` per update; history and `.bak` kept)",
        program: "inline",
        via: "driver",
        env: NO_BACKUPS,
    },
    {
        id: "inline-vault",
        label: "driver, inline program, secrets provider `hashivault://` (a KMS: the loopback Vault transit stand-in) instead of the passphrase",
        program: "inline",
        via: "driver",
        secrets: "hashivault",
    },
    {
        id: "inline-vault-nobackup",
        label: "driver, inline program, `hashivault://` + `PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS=true`",
        program: "inline",
        via: "driver",
        secrets: "hashivault",
        env: NO_BACKUPS,
    },
];

interface StepTimes {
    /** Config write (one `pulumi config set --path` call), ms. */
    configMs: number;
    /** `pulumi up`, ms. */
    upMs: number;
    totalMs: number;
    /** From `up` start to the engine's first event / first resource step / summary, ms (event log tail: ±0.1 s). */
    firstEventMs?: number;
    firstResourceMs?: number;
    /** From `up` start to the engine's last resource outputs event, ms. */
    lastResourceMs?: number;
    /** CPU seconds of the step: this process (the inline program, the KMS stand-in) and the CLI processes it reaped. */
    cpuS?: number;
    /** Requests the KMS answered during the step (encrypt + decrypt), for a `hashivault://` stack. */
    kmsCalls?: number;
}

interface Args {
    runs: number;
    variants: Variant[];
    write: boolean;
    /** BENCHMARKS.md section to write. Default `step-latency`. */
    section: string;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { runs: 5, variants: [...VARIANTS], write: true, section: "step-latency" };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = argv[i + 1];
        if (a === "--runs" && v !== undefined) {
            args.runs = Number(v);
            i++;
        } else if (a === "--variants" && v !== undefined) {
            const ids = v.split(",");
            const unknown = ids.filter((id) => !VARIANTS.some((x) => x.id === id));
            if (unknown.length > 0) {
                throw new Error(`unknown variant ${unknown.join(", ")}; known: ${VARIANTS.map((x) => x.id).join(", ")}`);
            }
            args.variants = VARIANTS.filter((x) => ids.includes(x.id));
            i++;
        } else if (a === "--section" && v !== undefined && /^[a-z0-9-]+$/.test(v)) {
            args.section = v;
            i++;
        } else if (a === "--no-write") {
            args.write = false;
        } else {
            throw new Error(`unknown argument ${a}; usage: bench/run.sh step-latency [--runs 5] [--variants ${VARIANTS.map((x) => x.id).join(",")}] [--section step-latency] [--no-write]`);
        }
    }
    if (!Number.isInteger(args.runs) || args.runs < 1) {
        throw new Error(`--runs is ${args.runs}; it must be a positive integer`);
    }
    return args;
}


/** One stack the variants step: the passphrase one, or the one whose secrets provider is the KMS stand-in. */
interface Target {
    project: BenchProject;
    namespace: string;
    /** URNs of the stack's VirtualServices (the `--target` rows). */
    vsUrns: string[];
    vault?: VaultTransit;
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    const loadAtStart = loadAverage();
    const id = randomBytes(3).toString("hex");
    const namespace = `mesh-bench-step-${id}`;
    const direct = new DirectApplier();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-bench-step-"));
    const targets = new Map<"passphrase" | "hashivault", Target>();
    let vault: VaultTransit | undefined;
    try {
        process.stderr.write(`creating stack bench-step-${id} in namespace ${namespace}\n`);
        const project = await benchProject({ stackName: `bench-step-${id}`, base: "Pulumi.dev.yaml", config: { namespace } });
        targets.set("passphrase", { project, namespace, vsUrns: [] });
        if (args.variants.some((v) => v.secrets === "hashivault")) {
            vault = await startVaultTransit();
            // the CLI processes inherit this process's environment: VAULT_ADDR + VAULT_TOKEN reach gocloud's hashivault keeper
            Object.assign(process.env, vault.env);
            const kmsNamespace = `${namespace}-kms`;
            process.stderr.write(`creating stack bench-step-${id}-kms (secrets provider ${vault.secretsProvider("mesh-bench")}, Vault stand-in ${vault.addr}) in namespace ${kmsNamespace}\n`);
            const kms = await benchProject({ stackName: `bench-step-${id}-kms`, base: "Pulumi.dev.yaml", config: { namespace: kmsNamespace }, secretsProvider: vault.secretsProvider("mesh-bench") });
            targets.set("hashivault", { project: kms, namespace: kmsNamespace, vsUrns: [], vault });
        }
        await run(args, targets, direct, tmp, loadAtStart);
    } finally {
        process.stderr.write("destroying the bench stacks\n");
        for (const t of targets.values()) {
            await t.project.dispose().catch((err: unknown) => process.stderr.write(`dispose failed: ${String(err)}\n`));
        }
        await vault?.close();
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

async function run(args: Args, targets: Map<"passphrase" | "hashivault", Target>, direct: DirectApplier, tmp: string, loadAtStart: string): Promise<void> {
    for (const [kind, t] of targets) {
        const { stack } = t.project;
        // Start at canary weight 20 so every step keeps both destinations (10 <-> 20).
        await stack.setConfig(`services.${SERVICE}.canary.weight`, { value: "20" }, true);
        const t0 = performance.now();
        const first = await stack.up({ refresh: false });
        process.stderr.write(`initial up (${kind}): ${((performance.now() - t0) / 1000).toFixed(1)} s, ${JSON.stringify(first.summary.resourceChanges)}\n`);
        const deployment = await stack.exportStack();
        t.vsUrns = ((deployment.deployment as { resources?: { urn: string; type: string }[] }).resources ?? []).filter((r) => r.type === VS_TYPE).map((r) => r.urn);
    }
    const main = targets.get("passphrase");
    if (main === undefined) throw new Error("no passphrase stack");

    // The direct side writes copies of every VirtualService that carries the split (mesh + ingress).
    const liveVs = (await direct.list("networking.istio.io/v1", "VirtualService", main.namespace)).filter((vs) => JSON.stringify(vs["spec"]).includes('"canary"'));
    const copies = directCopies(liveVs, main.namespace);
    await direct.applyAll(atWeight(copies, 20)); // warm: discovery cached, connection open, objects exist
    const kubectlFile = path.join(tmp, "vs.yaml");
    kubectlApply(atWeight(copies, 20), kubectlFile);
    process.stderr.write(`${liveVs.length} VirtualService(s) carry the split; targets: ${main.vsUrns.length}\n`);

    const pulumiSamples = new Map<string, StepTimes[]>(args.variants.map((v) => [v.id, []]));
    const directSamples = new Map<string, number[]>(args.variants.map((v) => [v.id, []]));
    const kubectlSamples = new Map<string, number[]>(args.variants.map((v) => [v.id, []]));
    const targetOf = (v: Variant): Target => {
        const t = targets.get(v.secrets ?? "passphrase");
        if (t === undefined) throw new Error(`no stack for variant ${v.id}`);
        return t;
    };
    const weights = new Map<Target, number>([...targets.values()].map((t) => [t, 20]));
    const next = (t: Target): number => {
        const w = weights.get(t) === 20 ? 10 : 20;
        weights.set(t, w);
        return w;
    };
    // One unmeasured round first: opens each variant's workspace, compiles the JS, warms caches; a release
    // process makes many steps, so the steady state is what a step costs.
    for (const v of args.variants) {
        const t = targetOf(v);
        const times = await pulumiStep(v, t, next(t));
        process.stderr.write(`warm-up ${v.id}: step ${times.totalMs.toFixed(0)} ms (not counted)\n`);
    }
    for (let round = 0; round < args.runs; round++) {
        const order = round % 2 === 0 ? args.variants : [...args.variants].reverse();
        for (const v of order) {
            const t = targetOf(v);
            const weight = next(t);
            const times = await pulumiStep(v, t, weight);
            const live = catchAllWeights(await direct.read({ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: SERVICE, namespace: t.namespace } }));
            if (live?.canary !== weight) {
                throw new Error(`after the ${v.id} step the live VirtualService has canary weight ${String(live?.canary)}, expected ${weight}`);
            }
            pulumiSamples.get(v.id)?.push(times);

            const td = performance.now();
            await direct.applyAll(atWeight(copies, weight));
            directSamples.get(v.id)?.push(performance.now() - td);
            kubectlSamples.get(v.id)?.push(kubectlApply(atWeight(copies, weight), kubectlFile));
            process.stderr.write(
                `round ${round + 1}/${args.runs} ${v.id}: step ${times.totalMs.toFixed(0)} ms (config ${times.configMs.toFixed(0)}, up ${times.upMs.toFixed(0)}, ${times.cpuS?.toFixed(2)} CPU s), ` +
                    `direct ${directSamples.get(v.id)?.at(-1)?.toFixed(0)} ms, kubectl ${kubectlSamples.get(v.id)?.at(-1)?.toFixed(0)} ms\n`,
            );
        }
    }
    report(args, pulumiSamples, directSamples, kubectlSamples, copies.length, loadAtStart);
}

/** Opens the stack the way the variant needs (inline programs need their own workspace). */
const inlineStacks = new Map<string, Stack>();
async function stackFor(v: Variant, project: BenchProject): Promise<Stack> {
    if (v.program !== "inline") {
        return project.stack;
    }
    let s = inlineStacks.get(project.stackName);
    if (s === undefined) {
        const pulumiCommand = project.stack.workspace.pulumiCommand;
        s = await LocalWorkspace.selectStack(
            { stackName: project.stackName, projectName: "mesh-traffic", program: inlineProgram },
            { workDir: project.workDir, pulumiCommand },
        );
        inlineStacks.set(project.stackName, s);
    }
    return s;
}

const drivers = new Map<string, PulumiStackDriver>();

/** One step of `v` on its stack, with the CPU it took and the KMS requests it made. */
async function pulumiStep(v: Variant, target: Target, weight: number): Promise<StepTimes> {
    const cpu = cpuMeter();
    const kms0 = target.vault !== undefined ? target.vault.calls.encrypt + target.vault.calls.decrypt : undefined;
    const times = await pulumiStepTimes(v, target.project, target.vsUrns, weight);
    const kms = kms0 !== undefined && target.vault !== undefined ? target.vault.calls.encrypt + target.vault.calls.decrypt - kms0 : undefined;
    return { ...times, cpuS: cpu.stop(), ...(kms !== undefined ? { kmsCalls: kms } : {}) };
}

async function pulumiStepTimes(v: Variant, project: BenchProject, vsUrns: string[], weight: number): Promise<StepTimes> {
    const env = v.program === "inline" ? project.use("ts-transpile") : project.use(v.program);
    if (v.via === "driver") {
        let d = drivers.get(v.id);
        if (d === undefined) {
            d = new PulumiStackDriver({
                stackName: project.stackName,
                workDir: project.workDir,
                pulumiRoot: project.pulumiRoot,
                envVars: { ...env, ...v.env },
                ...(v.program === "inline" ? { program: { kind: "inline", program: inlineProgram } } : {}),
            });
            drivers.set(v.id, d);
        }
        const t0 = performance.now();
        await d.write([{ path: WEIGHT_PATH, value: weight }]);
        const t1 = performance.now();
        await d.update({ message: `bench step ${weight}` });
        const t2 = performance.now();
        return { configMs: t1 - t0, upMs: t2 - t1, totalMs: t2 - t0 };
    }
    const stack = await stackFor(v, project);
    const t0 = performance.now();
    await stack.setAllConfig({ [`services.${SERVICE}.canary.weight`]: { value: String(weight) } }, true);
    const t1 = performance.now();
    let firstEvent: number | undefined;
    let firstResource: number | undefined;
    let lastResource: number | undefined;
    const onEvent = (e: EngineEvent): void => {
        const now = performance.now();
        firstEvent ??= now;
        if (e.resourcePreEvent !== undefined) {
            firstResource ??= now;
        }
        if (e.resOutputsEvent !== undefined) {
            lastResource = now;
        }
    };
    const ws = stack.workspace;
    for (const [k, val] of Object.entries(v.env ?? {})) {
        ws.envVars[k] = val;
    }
    try {
        await stack.up({
            message: `bench step ${weight}`,
            refresh: v.refresh === true,
            onEvent,
            ...(v.target === true ? { target: vsUrns } : {}),
        });
    } finally {
        for (const k of Object.keys(v.env ?? {})) {
            delete ws.envVars[k];
        }
    }
    const t2 = performance.now();
    return {
        configMs: t1 - t0,
        upMs: t2 - t1,
        totalMs: t2 - t0,
        ...(firstEvent === undefined ? {} : { firstEventMs: firstEvent - t1 }),
        ...(firstResource === undefined ? {} : { firstResourceMs: firstResource - t1 }),
        ...(lastResource === undefined ? {} : { lastResourceMs: lastResource - t1 }),
    };
}

function report(
    args: Args,
    pulumiSamples: Map<string, StepTimes[]>,
    directSamples: Map<string, number[]>,
    kubectlSamples: Map<string, number[]>,
    objects: number,
    loadAtStart: string,
): void {
    const rows = args.variants.map((v) => {
        const ps = pulumiSamples.get(v.id) ?? [];
        const step = summarize(ps.map((s) => s.totalMs));
        const dir = summarize(directSamples.get(v.id) ?? []);
        const kub = summarize(kubectlSamples.get(v.id) ?? []);
        const firstRes = ps.flatMap((s) => (s.firstResourceMs === undefined ? [] : [s.firstResourceMs]));
        const lastRes = ps.flatMap((s) => (s.lastResourceMs === undefined ? [] : [s.lastResourceMs]));
        return [
            v.label,
            formatSummary(step),
            formatSummary(summarize(ps.map((s) => s.configMs))),
            formatSummary(summarize(ps.map((s) => s.upMs))),
            firstRes.length === 0 ? "–" : formatSummary(summarize(firstRes)),
            lastRes.length === 0 ? "–" : formatSummary(summarize(lastRes)),
            formatSummary(dir, 1),
            formatRatio(step, dir),
            formatSummary(kub),
            formatRatio(step, kub),
            formatSummary(summarize(ps.map((s) => s.cpuS ?? 0)), 2),
            v.secrets === undefined ? "–" : formatSummary(summarize(ps.map((s) => s.kmsCalls ?? 0))),
        ];
    });
    const table = markdownTable(
        [
            "variant",
            "step ms",
            "config set ms",
            "up ms",
            "up start → first resource ms",
            "up start → last resource done ms",
            "direct SSA ms",
            "step / direct",
            "kubectl apply ms",
            "step / kubectl",
            "CPU s per step",
            "KMS requests per step",
        ],
        rows,
    );
    const command = `bench/run.sh step-latency --runs ${args.runs}${args.variants.length === VARIANTS.length ? "" : ` --variants ${args.variants.map((v) => v.id).join(",")}`}${args.section === "step-latency" ? "" : ` --section ${args.section}`}`;
    const kms = args.variants.some((v) => v.secrets !== undefined);
    const body = [
        `## Weight-step latency${args.section === "step-latency" ? "" : ` (${args.variants.map((v) => v.id).join(", ")})`}`,
        "",
        machineLine(),
        loadLine(loadAtStart),
        "",
        `Command: \`${command}\` (starts the local control plane, runs \`node -r ts-node/register/transpile-only bench/step-latency.ts\`).`,
        "",
        `The dev stack (Pulumi.dev.yaml: sample-app with canary, circuit breaker, ingress, egress; ${objects} VirtualServices carry the split) ` +
            "on the local control plane. A step moves `services.sample-app.canary.weight` between 10 and 20: *config set* is " +
            "the driver's write into `Pulumi.<stack>.yaml` (driver rows) or `pulumi config set-all --path` (Automation API rows), *up* is `pulumi up` (no refresh unless said). After each step the live VirtualService is read back " +
            `and must show the new weight. *direct SSA* writes the same change (${objects} VirtualServices) as server-side apply patches with ` +
            "`@kubernetes/client-node` from a warm client (a controller's case: Flagger, Argo Rollouts); *kubectl apply* is " +
            "`kubectl apply --server-side` of the same objects (a script's case). Each cell: median (min–max) of " +
            `${args.runs} rounds after one unmeasured warm-up round (workspaces opened, JS compiled: a release makes many steps in one process); ` +
            "in each round every variant steps once, each step followed by one direct write and one kubectl apply, " +
            "so the ratios compare samples taken side by side. *up start → first resource* is when the engine reported the first resource " +
            "step (CLI, plugins and program started), *→ last resource done* the last resource's outputs event (the rest of *up* is the " +
            "final state write and shutdown), both read from the Automation API's event stream (only for the Automation API rows). " +
            "*CPU s per step*: this process (the inline program, the KMS stand-in) and the CLI processes it reaped (the CLI reaps the provider)." +
            (kms
                ? " The `hashivault://` rows step a second stack of the same config in its own namespace, created with " +
                  "`pulumi stack init --secrets-provider hashivault://mesh-bench`: its data key is wrapped by a Vault transit key of the loopback " +
                  "stand-in (test/support/vaultTransit.ts, tests and benches only), so the CLI unwraps it with *KMS requests* instead of " +
                  "deriving the passphrase's key (PBKDF2, 1,000,000 rounds) in each CLI process; the direct and kubectl writes after its steps are " +
                  "of the same copies as for the other rows (the same specs)."
                : ""),
        "",
        table,
    ].join("\n");
    process.stdout.write(`${body}\n`);
    if (args.write) {
        writeSection(args.section, body);
        process.stderr.write(`wrote the ${args.section} section of BENCHMARKS.md\n`);
    }
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
