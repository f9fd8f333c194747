/**
 * The README's release commands as typed, against a live dev stack (issue 10): the `npx mesh-release ... --stack
 * dev` lines are read from the README (test/support/readme.ts, the same extraction the unit test parses) and run
 * with `npx` in the project dir, as a user runs them, on a stack named `dev` made from the committed
 * Pulumi.dev.yaml (namespace mesh-dev) and brought up on the local control plane, with istiod, the simulator
 * following its routes and a Prometheus scraping it. Each must exit as the README documents (0: promoted or done).
 *
 * The substitutions, none in a command line's words:
 * - the stack's `release.prometheus.url` is this test's Prometheus (the dev stack file says 127.0.0.1:9090; the
 *   suite's Prometheus takes a free port);
 * - the canary line's optional `[--interval 60s]` is left out (five 60 s windows; the dev stack's own 2 s
 *   interval applies); its other optional parts (`--steps`, `--json`, `--report out.html`) are given;
 * - `npx --no-install`: forbids npx a registry download should the bin be missing (resolution is the same);
 * - the order: the README lists commands, this runs them so each acts on what it is for: status, ab-test,
 *   rollback (of the configured canary v2), canary v2 to promotion, promote (v2 is already promoted), fault.
 *
 * Not run here: the `--env production` lines (per-service stacks of an environment named production;
 * test/e2e/release/perService.test.ts releases per-service stacks through the same library).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { ReleaseEvent } from "../../../release/core/events";
import { liveSplitOf, type LiveVirtualService } from "../../../release/core/live";
import { connectCluster } from "../../support/cluster";
import { REPO_ROOT } from "../../support/pulumiProject";
import { argvOf, readmeReleaseCommands } from "../../support/readme";
import { meshRelease, SERVICE, simShare, startReleaseEnv, type CliRun, type ReleaseEnv } from "./harness";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The committed dev stack's `release` policy with the Prometheus URL given (the one substitution in the stack). */
function devRelease(prometheusUrl: string): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const release = doc.config["mesh-traffic:release"] as Record<string, unknown>;
    return { ...release, prometheus: { ...(release["prometheus"] as Record<string, unknown>), url: prometheusUrl } };
}

describe("the README's mesh-release commands as typed, against a live dev stack (real engine, istiod, simulator, Prometheus)", function () {
    this.timeout(300_000);
    const lines = readmeReleaseCommands().filter((l) => / --stack dev /.test(l));
    const ran = new Set<string>();
    const cluster = connectCluster();
    let env: ReleaseEnv;
    const started = Date.now();

    before(async function () {
        // On a cold machine, startReleaseEnv waits for the background pilot-discovery build (scripts/e2e.sh).
        this.timeout(process.env["MESH_ISTIOD_BUILD_RC_FILE"] !== undefined ? 1_900_000 : 240_000);
        const t0 = Date.now();
        env = await startReleaseEnv({ rps: 200, stackName: "dev", namespace: "mesh-dev", release: devRelease });
        console.log(`      dev stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });

    after(async () => {
        await env?.dispose();
        console.log(`    README commands e2e: ${Math.round((Date.now() - started) / 1000)} s in all`);
    });

    /** Runs the README line whose command is `command` (e.g. "fault delay"), with the optional parts `keep` accepts. */
    async function run(command: string, keep?: (optional: string) => boolean): Promise<CliRun & { line: string }> {
        const line = lines.find((l) => argvOf(l).join(" ").startsWith(`${command} `));
        expect(line, `the README shows no 'npx mesh-release ${command} ... --stack dev' line`).to.not.equal(undefined);
        ran.add(line!);
        const t0 = Date.now();
        const r = await meshRelease(env.workDir, argvOf(line!, keep));
        console.log(`      ${command}: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return { ...r, line: line! };
    }

    const live = async (): Promise<LiveVirtualService[]> => (await cluster.listIstio("VirtualService", env.namespace)) as LiveVirtualService[];
    const liveCanary = async (): Promise<number | undefined> => liveSplitOf(await live(), env.namespace, SERVICE)?.canary;
    const meshVs = async (): Promise<string> => JSON.stringify((await live()).find((v) => v.metadata?.name === SERVICE)?.spec ?? {});

    it("the README shows the six dev-stack commands", () => {
        expect(lines.map((l) => argvOf(l)[0])).to.deep.equal(["canary", "promote", "rollback", "ab-test", "fault", "status"]);
    });

    it("status: exit 0; the configured weights (canary v2 at 0 %) and the live VirtualService's split", async () => {
        const r = await run("status");
        expect(r.code, `${r.line}\n${r.stdout}${r.stderr}`).to.equal(0);
        expect(r.stdout).to.include("sample-app on stack dev (namespace mesh-dev); weights as configured:\n  stable:  v1 100%\n  canary:  v2 0%\n");
        expect(r.stdout).to.include("  live:    VirtualService mesh-dev/sample-app sends 0% to the canary\n");
    });

    it("ab-test --flag x-new-checkout: exit 0; requests with the header go to the canary, the rest split 50/50 (--split's default)", async () => {
        const r = await run("ab-test");
        expect(r.code, `${r.line}\n${r.stdout}${r.stderr}`).to.equal(0);
        expect(await meshVs()).to.include('"headers":{"x-new-checkout"');
        expect(await liveCanary()).to.equal(50);
    });

    it("rollback: exit 0; the configured canary v2 is rolled back, all traffic to stable (no hand edit to name)", async () => {
        const r = await run("rollback");
        expect(r.code, `${r.line}\n${r.stdout}${r.stderr}`).to.equal(0);
        expect(r.stdout).to.include("rolled-back (exit 0)");
        expect(r.stdout).to.not.include("hand edit");
        expect(await liveCanary()).to.equal(0);
    });

    it("canary --version v2 --steps 10,25,50,75,100 --json --report out.html: exit 0, every step judged, promoted; the report written", async function () {
        // five steps, each a pulumi up and an analysis window: 31 s on a quiet 2-core VM, 416 s at load 11 (docs/toolchain.md)
        this.timeout(900_000);
        const r = await run("canary", (optional) => !optional.startsWith("--interval"));
        expect(r.code, `${r.line}\n${r.stdout.slice(-3000)}${r.stderr}`).to.equal(0);
        const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as ReleaseEvent);
        const weights = events.flatMap((e) => (e.type === "analysis" && e.verdict === "Successful" ? [e.weight] : []));
        expect(weights).to.deep.equal([10, 25, 50, 75, 100]);
        const end = events[events.length - 1];
        expect(end?.type === "rollout-finished" ? [end.outcome, end.exitCode] : end).to.deep.equal(["promoted", 0]);
        expect(fs.readFileSync(path.join(env.workDir, "out.html"), "utf8")).to.include("<svg");
        const t0 = Date.now();
        while (simShare(env.sim, "v2") !== 100 && Date.now() - t0 < 15_000) await sleep(50);
        expect(simShare(env.sim, "v2"), "all traffic on v2 after the promotion").to.equal(100);
    });

    it("promote: exit 0, v2 is already promoted (nothing written)", async () => {
        const r = await run("promote");
        expect(r.code, `${r.line}\n${r.stdout}${r.stderr}`).to.equal(0);
        expect(r.stdout).to.include("v2 is already promoted");
        expect(r.stdout).to.not.include("pulumi up");
    });

    it("fault delay 10: exit 0; 10 % of the requests delayed (5 s, --delay's default) on the live routes", async () => {
        const r = await run("fault delay");
        expect(r.code, `${r.line}\n${r.stdout}${r.stderr}`).to.equal(0);
        const spec = JSON.parse(await meshVs()) as { http?: { fault?: { delay?: unknown } }[] };
        const delays = (spec.http ?? []).flatMap((h) => (h.fault?.delay !== undefined ? [h.fault.delay] : []));
        expect(delays.length, JSON.stringify(spec)).to.be.greaterThan(0);
        expect(delays[0]).to.deep.equal({ fixedDelay: "5s", percentage: { value: 10 } });
        expect([...ran].sort(), "every dev-stack line of the README ran").to.deep.equal([...lines].sort());
    });
});
