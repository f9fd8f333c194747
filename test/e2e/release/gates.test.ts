/**
 * An approval gate end to end (`release.gates`, release/core/gate.ts) on the real engine: a release of v2 with steps
 * 10, 50 and a manual gate before 50 pauses after step 1, previews step 2 with a saved update plan and records the
 * pending gate as a stack tag on the shared backend (Azurite's blob store, or the file backend). A second process,
 * `npx mesh-release approve`, reads that record from the backend and approves it; the release then applies step 2
 * with `pulumi up --plan` and goes on to promotion. Proven: the release applied nothing while it waited, the update
 * after the approval ran with an update plan (the stack history's `updatePlan` metadata, set by the CLI only for
 * `up --plan`), the plan file it used is the one whose sha256 was approved, and the approver and time are in the
 * recorded state and the update's message. Not proven here (unit tests: test/unit/release/gates.test.ts): reject,
 * timeouts, a stale plan refused.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ReleaseEvent } from "../../../release/core/events";
import { parseGateRecord, gateTag } from "../../../release/core/gate";
import { REPO_ROOT } from "../../support/pulumiProject";
import { e2eRelease, SERVICE, startReleaseEnv, type CliRun, type ReleaseEnv } from "./harness";

/**
 * `mesh-release <args>` as a second process in the project dir, run by this checkout's bin (what `npx mesh-release`
 * runs in a checkout; npx would find the package its node_modules link, which in a git worktree is another
 * checkout's). Without CI in its environment: a person's approval.
 */
function secondProcess(cwd: string, args: readonly string[]): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const env = Object.fromEntries(Object.entries({ ...process.env, NO_COLOR: "1" }).filter(([k, v]) => k !== "CI" && v !== undefined)) as Record<string, string>;
        const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "run-mesh-release.js"), ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.once("error", reject);
        child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
}

type Waiting = Extract<ReleaseEvent, { type: "gate-waiting" }>;

describe("approval gate end to end: pause, approve from a second process, up --plan (real engine)", function () {
    this.timeout(300_000);
    let env: ReleaseEnv;

    before(async function () {
        this.timeout(240_000);
        const base = e2eRelease([10, 50], "3s");
        env = await startReleaseEnv({
            rps: 200,
            namespacePrefix: "mesh-gate",
            release: (url) => ({ ...base(url), gates: [{ beforeStep: 50, approval: "manual", timeout: "2m", onTimeout: "rollback" }] }),
        });
    });

    after(async () => {
        await env?.dispose();
    });

    it("waits at the gate, applies nothing until a second process approves, then applies exactly the approved plan", async () => {
        const t0 = Date.now();
        let approve: Promise<CliRun> | undefined;
        let waiting: Waiting | undefined;
        const updatesWhileWaiting: string[] = [];
        let approvedAt: number | undefined;
        const run = await env.canary("v2", { gatePollMs: 500 }, (e) => {
            if (e.type === "gate-waiting") {
                waiting = e;
                // The approver: another process, reading the gate from the backend (no CI: a person's approval).
                approve = new Promise((r) => setTimeout(r, 1500)).then(() =>
                    secondProcess(env.workDir, ["approve", "--stack", env.stackName, "--service", SERVICE, "--step", "50", "--by", "e2e-approver"]),
                );
            }
            if (e.type === "gate-decided") {
                approvedAt = Date.now();
            }
            if (waiting !== undefined && approvedAt === undefined && e.type === "update-started") {
                updatesWhileWaiting.push(e.purpose);
            }
        });
        const approval = await approve;
        console.log(`      gate: waited ${approvedAt !== undefined && waiting !== undefined ? approvedAt - Date.parse(waiting.at) : "?"} ms; whole release ${Date.now() - t0} ms`);
        expect(approval?.code, `approve: ${approval?.stdout ?? ""}${approval?.stderr ?? ""}`).to.equal(0);
        expect(approval?.stdout).to.match(/approved by e2e-approver \(manual\)/);
        expect(approval?.stdout, "the approver is shown the change it approves").to.match(/VirtualService sample-app[^\n]*weight 10 -> 50/);
        expect(run.result.outcome, `${run.result.message}\n${run.events.map((e) => JSON.stringify(e)).join("\n")}`).to.equal("promoted");
        expect(waiting?.stepIndex).to.equal(1);
        expect(updatesWhileWaiting, "updates run between the gate and its approval").to.deep.equal([]);

        // The update after the approval ran with `pulumi up --plan` (the CLI records updatePlan=true only then) and
        // its message names the approver and the plan.
        const history = await env.project.stack.history();
        const stepUpdate = history.find((h) => (h.message ?? "").includes("step 2 weight 50%"));
        expect(stepUpdate, history.map((h) => h.message).join("\n")).to.not.equal(undefined);
        expect(stepUpdate?.environment?.["updatePlan"]).to.equal("true");
        expect(stepUpdate?.message).to.include(`approved by e2e-approver`).and.to.include(waiting?.plan ?? "?");
        const others = history.filter((h) => h !== stepUpdate && h.kind === "update");
        expect(others.map((h) => h.environment?.["updatePlan"]), "only the gated step ran with a plan").to.not.include("true");

        // The plan file used is the approved one (its sha256), and the record on the backend says applied.
        const planFile = `${env.workDir}/.mesh-release/plans/${env.stackName}.${SERVICE}-step2.plan.json`;
        const digest = `sha256:${createHash("sha256").update(fs.readFileSync(planFile, "latin1"), "latin1").digest("hex")}`;
        expect(digest).to.equal(waiting?.plan);
        const record = parseGateRecord(await env.project.stack.getTag(gateTag(SERVICE))).record;
        expect(record?.status).to.equal("applied");
        expect(record?.decidedBy).to.equal("e2e-approver");
        expect(record?.plan).to.equal(waiting?.plan);

        // Approver and time in the recorded state.
        const approvals = run.result.state?.approvals ?? [];
        expect(approvals.map((a) => [a.stepIndex, a.weight, a.decision, a.by, a.kind, a.plan])).to.deep.equal([[1, 50, "approved", "e2e-approver", "manual", waiting?.plan]]);
        expect(Date.parse(approvals[0]?.at ?? "")).to.be.greaterThan(Date.parse(waiting?.at ?? ""));
    });
});
