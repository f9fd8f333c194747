/**
 * Scale benchmark, part B: the real engine on the local control plane. For stacks of N services (each a
 * canary + circuit breaker, bench/lib/meshConfig.ts), a fresh stack of our program per sample:
 * `pulumi preview` (nothing exists yet: N services to create) and `pulumi up` (creates them), wall time and
 * peak memory (the summed RSS of every process under this one: CLI, Node language host, program, Kubernetes
 * provider; sampled every 100 ms); against the same objects (read back from the API server, copied to
 * another namespace) applied straight to the API server as server-side apply patches (bench/lib/direct.ts,
 * 10 in flight, a warm client, in a child process whose max RSS is reported).
 *
 *   bench/run.sh scale-engine [--sizes 10,100] [--runs 5] [--section scale-engine] [--env KEY=VALUE]... [--no-write]
 *
 * --env sets a variable for the CLI and its plugins, e.g. PULUMI_SKIP_CHECKPOINTS=true (state written once
 * at the end instead of after every resource step); --section writes another section of BENCHMARKS.md.
 *
 * Sizes alternate within a round. Stacks are not destroyed afterwards (the control plane is thrown away):
 * `pulumi stack rm --force` drops the state only, so the bench does not pay for N deletes; only the
 * Services are deleted, to give their cluster IPs back. scripts/local-cluster.sh serves a /24 (254 Services
 * at once); the bench adds a ServiceCIDR (10.1.0.0/16) so N=500 fits.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { randomBytes } from "node:crypto";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { runChild } from "./lib/child";
import { memorySampler } from "./lib/memory";
import { DirectApplier, type ApplyObject } from "./lib/direct";
import { benchConfig } from "./lib/meshConfig";
import { benchProject, inlineProgram } from "./lib/project";
import { machineLine, markdownTable, writeSection } from "./lib/report";
import { formatSummary, summarize, type Summary } from "./lib/stats";

const SCRIPT = __filename;

interface Args {
    sizes: number[];
    runs: number;
    write: boolean;
    /** BENCHMARKS.md section to write (a separate one for a size run on its own). */
    section: string;
    /** Extra environment for the CLI (and its plugins) during preview and up, e.g. PULUMI_SKIP_CHECKPOINTS=true. */
    env: Record<string, string>;
    /** Run the program inline (in this process, no Node language host) instead of through the language host. */
    inline: boolean;
}

function parseArgs(argv: readonly string[]): Args {
    const args: Args = { sizes: [10, 100], runs: 5, write: true, section: "scale-engine", env: {}, inline: false };
    const usage = "usage: bench/run.sh scale-engine [--sizes 10,100] [--runs 5] [--section scale-engine] [--env KEY=VALUE]... [--inline] [--no-write]";
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = argv[i + 1];
        if (a === "--sizes" && v !== undefined) {
            args.sizes = v.split(",").map(Number);
            i++;
        } else if (a === "--runs" && v !== undefined) {
            args.runs = Number(v);
            i++;
        } else if (a === "--section" && v !== undefined && /^[a-z0-9-]+$/.test(v)) {
            args.section = v;
            i++;
        } else if (a === "--env" && v !== undefined && /^[A-Z][A-Z0-9_]*=/.test(v)) {
            const eq = v.indexOf("=");
            args.env[v.slice(0, eq)] = v.slice(eq + 1);
            i++;
        } else if (a === "--inline") {
            args.inline = true;
        } else if (a === "--no-write") {
            args.write = false;
        } else {
            throw new Error(`unknown argument ${a}; ${usage}`);
        }
    }
    if (args.sizes.some((s) => !Number.isInteger(s) || s < 1) || !Number.isInteger(args.runs) || args.runs < 1) {
        throw new Error(`--sizes must be positive integers and --runs a positive integer; got ${args.sizes.join(",")} and ${args.runs}; ${usage}`);
    }
    return args;
}

interface EngineSample {
    services: number;
    resources: number;
    previewMs: number;
    previewPeakMiB: number;
    upMs: number;
    upPeakMiB: number;
    directObjects: number;
    directMs: number;
    directMaxRssMiB: number;
}

interface DirectResult {
    objects: number;
    ms: number;
    maxRssMiB: number;
}

/** In the child: applies the objects of a JSON file (warm client first: discovery of each kind), prints the time. */
async function childDirect(file: string): Promise<void> {
    const objs = JSON.parse(fs.readFileSync(file, "utf8")) as ApplyObject[];
    const direct = new DirectApplier();
    const [ns, ...rest] = objs;
    if (ns === undefined) throw new Error("no objects");
    // Warm: the namespace first (it must exist), which also opens the connection and caches discovery.
    await direct.apply(ns);
    const t0 = performance.now();
    await direct.applyAll(rest);
    const ms = performance.now() - t0;
    const r: DirectResult = { objects: rest.length, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
    process.stdout.write(`${JSON.stringify(r)}\n`);
}

const COPY_KINDS: readonly { apiVersion: string; kind: string }[] = [
    { apiVersion: "apps/v1", kind: "Deployment" },
    { apiVersion: "v1", kind: "Service" },
    { apiVersion: "networking.istio.io/v1", kind: "VirtualService" },
    { apiVersion: "networking.istio.io/v1", kind: "DestinationRule" },
];

/** The stack's objects as live in the API server, copied to namespace `to` (what a direct apply would write). */
async function copiesOf(direct: DirectApplier, from: string, to: string): Promise<ApplyObject[]> {
    const out: ApplyObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: to } }];
    for (const k of COPY_KINDS) {
        for (const o of await direct.list(k.apiVersion, k.kind, from)) {
            const { metadata, status: _status, ...rest } = o as ApplyObject & { status?: unknown };
            void _status;
            if (k.kind === "Service") {
                // Allocated by the API server: a copy gets its own.
                const spec = { ...(rest["spec"] as Record<string, unknown>) };
                delete spec["clusterIP"];
                delete spec["clusterIPs"];
                rest["spec"] = spec;
            }
            out.push({
                ...rest,
                apiVersion: k.apiVersion,
                kind: k.kind,
                metadata: { name: metadata.name, namespace: to, ...(metadata.labels === undefined ? {} : { labels: metadata.labels }) },
            });
        }
    }
    return out;
}


async function sample(n: number, direct: DirectApplier, tmp: string, env: Record<string, string>, inline: boolean): Promise<EngineSample> {
    const id = randomBytes(3).toString("hex");
    const namespace = `mesh-bench-scale-${n}-${id}`;
    const project = await benchProject({ stackName: `bench-scale-${n}-${id}`, config: benchConfig({ services: n, namespace }) });
    try {
        const stack = inline
            ? await LocalWorkspace.selectStack(
                  { stackName: project.stackName, projectName: "mesh-traffic", program: inlineProgram },
                  { workDir: project.workDir, pulumiCommand: project.stack.workspace.pulumiCommand, envVars: { ...project.stack.workspace.envVars } },
              )
            : project.stack;
        Object.assign(stack.workspace.envVars, env);
        let mem = memorySampler(inline);
        let t0 = performance.now();
        const pre = await stack.preview({ refresh: false });
        const previewMs = performance.now() - t0;
        const previewPeakMiB = mem.stop();
        mem = memorySampler(inline);
        t0 = performance.now();
        const up = await stack.up({ refresh: false });
        const upMs = performance.now() - t0;
        const upPeakMiB = mem.stop();
        const resources = up.summary.resourceChanges?.["create"] ?? 0;
        if ((pre.changeSummary["create"] ?? 0) !== resources) {
            process.stderr.write(`note: preview planned ${pre.changeSummary["create"]} creates, up made ${resources}\n`);
        }
        const copies = await copiesOf(direct, namespace, `${namespace}-direct`);
        const file = path.join(tmp, `${namespace}.json`);
        fs.writeFileSync(file, JSON.stringify(copies));
        const d = await runChild<DirectResult>(SCRIPT, ["--child-direct", file]);
        fs.rmSync(file);
        return { services: n, resources, previewMs, previewPeakMiB, upMs, upPeakMiB, directObjects: d.objects, directMs: d.ms, directMaxRssMiB: d.maxRssMiB };
    } finally {
        // The control plane's service range is a /24: give the Services' cluster IPs back (both copies).
        for (const ns of [namespace, `${namespace}-direct`]) {
            const svcs = await direct.list("v1", "Service", ns).catch(() => []);
            await Promise.all(svcs.map((o) => direct.remove({ apiVersion: "v1", kind: "Service", metadata: { name: o.metadata.name, namespace: ns } })));
        }
        // Drop the state only: the other objects stay in the throwaway control plane.
        await project.stack.workspace.removeStack(project.stackName, { force: true }).catch((err: unknown) => process.stderr.write(`stack rm: ${String(err)}\n`));
        fs.rmSync(project.workDir, { recursive: true, force: true });
    }
}

/** Pure: `t(b)/t(a)` against `b/a`; "linear" when within 30 % of N's ratio. */
function growth(name: string, a: { n: number; s: Summary }, b: { n: number; s: Summary }): string {
    const ratio = b.s.median / a.s.median;
    const linear = b.n / a.n;
    const verdict = ratio > linear * 1.3 ? "superlinear" : ratio < linear * 0.7 ? "sublinear (a fixed cost dominates the small size)" : "linear";
    return `${name}: t(${b.n})/t(${a.n}) = ${ratio.toFixed(2)} vs N ratio ${linear.toFixed(0)}: ${verdict}`;
}

async function main(): Promise<void> {
    const [mode, ...rest] = process.argv.slice(2);
    if (mode === "--child-direct") {
        await childDirect(rest[0] ?? "");
        return;
    }
    const args = parseArgs(process.argv.slice(2));
    const t0 = performance.now();
    const direct = new DirectApplier();
    // scripts/local-cluster.sh serves a /24 of cluster IPs (254 Services); a second range (ServiceCIDR, GA
    // since Kubernetes 1.33) makes room for N=500 stacks and their direct copies.
    await direct.apply({ apiVersion: "networking.k8s.io/v1", kind: "ServiceCIDR", metadata: { name: "mesh-bench-extra" }, spec: { cidrs: ["10.1.0.0/16"] } });
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-bench-scale-"));
    const samples = new Map<number, EngineSample[]>(args.sizes.map((s) => [s, []]));
    try {
        for (let round = 0; round < args.runs; round++) {
            const order = round % 2 === 0 ? args.sizes : [...args.sizes].reverse();
            for (const n of order) {
                const s = await sample(n, direct, tmp, args.env, args.inline);
                samples.get(n)?.push(s);
                process.stderr.write(
                    `round ${round + 1}/${args.runs} N=${n}: ${s.resources} resources, preview ${(s.previewMs / 1000).toFixed(1)} s (${s.previewPeakMiB.toFixed(0)} MiB), ` +
                        `up ${(s.upMs / 1000).toFixed(1)} s (${s.upPeakMiB.toFixed(0)} MiB), direct ${s.directObjects} objects ${(s.directMs / 1000).toFixed(2)} s (${s.directMaxRssMiB.toFixed(0)} MiB)\n`,
                );
            }
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    const wallS = (performance.now() - t0) / 1000;
    const rows: string[][] = [];
    const sums = new Map<number, { preview: Summary; up: Summary; direct: Summary }>();
    for (const n of args.sizes) {
        const ss = samples.get(n) ?? [];
        const first = ss[0];
        if (first === undefined) continue;
        const s = (f: (x: EngineSample) => number): Summary => summarize(ss.map(f));
        const preview = s((x) => x.previewMs / 1000);
        const up = s((x) => x.upMs / 1000);
        const dir = s((x) => x.directMs / 1000);
        sums.set(n, { preview, up, direct: dir });
        rows.push([
            String(n),
            `${first.resources} (${first.directObjects} objects)`,
            formatSummary(preview, 1),
            formatSummary(s((x) => x.previewPeakMiB)),
            formatSummary(up, 1),
            formatSummary(s((x) => (x.upMs / n))),
            formatSummary(s((x) => x.upPeakMiB)),
            formatSummary(dir, 2),
            formatSummary(s((x) => x.directMaxRssMiB)),
            `${(up.median / dir.median).toFixed(1)}x`,
        ]);
    }
    const table = markdownTable(
        ["services", "resources created (API objects)", "preview s", "preview peak MiB", "up s", "up ms / service", "up peak MiB", "direct SSA s", "direct max RSS MiB", "up / direct"],
        rows,
    );
    const sorted = [...sums.entries()].sort((x, y) => x[0] - y[0]);
    const fits = sorted.slice(1).flatMap(([n, cur], i) => {
        const [pn, prev] = sorted[i] as [number, { preview: Summary; up: Summary; direct: Summary }];
        return [
            `- ${growth("preview", { n: pn, s: prev.preview }, { n, s: cur.preview })}`,
            `- ${growth("up", { n: pn, s: prev.up }, { n, s: cur.up })}`,
            `- ${growth("direct", { n: pn, s: prev.direct }, { n, s: cur.direct })}`,
        ];
    });
    const command = `bench/run.sh scale-engine --sizes ${args.sizes.join(",")} --runs ${args.runs}${args.section === "scale-engine" ? "" : ` --section ${args.section}`}${Object.entries(args.env).map(([k, v]) => ` --env ${k}=${v}`).join("")}${args.inline ? " --inline" : ""}`;
    const body = [
        `## Scale B: the real engine on the local control plane${args.section === "scale-engine" ? "" : ` (${args.sizes.join(", ")} services)`}`,
        "",
        machineLine(),
        "",
        `Command: \`${command}\` (${wallS.toFixed(0)} s wall time).`,
        "",
        "Per sample a fresh stack of our program (ts-node transpile-only, as the release e2e runs it) with N generated services " +
            "(canary weight 10 + circuit breaker, as in part A; `skipAwait`, the control plane has no controllers): `pulumi preview` with nothing " +
            "created yet, then `pulumi up` creating everything, both through the Automation API with no refresh. *peak MiB*: the largest sum of the " +
            "resident memory of every process under the bench (Pulumi CLI, language host, program, Kubernetes provider; with an inline program the bench process itself too), sampled every 100 ms. " +
            "*direct SSA*: the same objects as the up created them (read back from the API server, copied to another namespace) applied as " +
            "server-side apply patches with `@kubernetes/client-node`, 10 in flight, from a warm client in a child process (its max RSS). " +
            `Each cell: median (min–max) of ${args.runs} runs, sizes alternating within a round; *up / direct* is the ratio of the medians.` +
            (args.inline
                ? " **Inline program** (the program runs in the bench process through the Automation API, no Node language host: the language host passes the whole stack config to the program in one environment variable, `PULUMI_CONFIG`, which Linux limits to 128 KiB, about 287 generated services)."
                : "") +
            (Object.keys(args.env).length > 0 ? ` **With ${Object.entries(args.env).map(([k, v]) => `\`${k}=${v}\``).join(", ")}** in the CLI's environment.` : ""),
        "",
        table,
        "",
        "Growth with N (linear = the ratio of the Ns):",
        "",
        ...fits,
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
