/**
 * How commands end and what they say (release/cli/, release/rollout/, release/orchestration/oneShot.ts,
 * release/env/render.ts): a rollback refused during a release says SIGINT to that release rolls back at once;
 * `status` with Prometheus down exits 3 and says so; `env status` prints its times in ISO 8601 (UTC); `--help`
 * names the report's JSON file as release/report/file.ts writes it. In-process, memory driver and fake
 * metrics; what this does not prove: the signal handling of bin/mesh-release.ts itself (the e2e suite's).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "../../../release/cli";
import { isoUtc, stackStatusSummary } from "../../../release/env/render";
import { writeReportFiles } from "../../../release/report/file";
import { valueAt } from "../../../contract/paths";
import { harness, runCliOn, stackConfig, SVC, type Harness } from "../release/fakes";
import { collectReport } from "../../../release/report/collect";
import { promotedRun } from "../report/fixtures";

const run = runCliOn;

function withCanary(): Harness {
    const cfg = stackConfig();
    (valueAt(cfg, ["services", SVC, "canary"]) as Record<string, unknown>).version = "v2";
    return harness({ config: cfg });
}

describe("how commands end and what they say", () => {
    for (const action of ["rollback", "abort"] as const) {
        it(`${action} refused while a release holds the stack: the hint says SIGINT to it rolls back at once, not only "wait"`, async () => {
            const h = withCanary();
            h.store.lockHolder = "mesh-release canary sample-app v2 (pid 4242)";
            const r = await run([action, "--stack", "dev", "--service", SVC], h);
            expect(r.code).to.equal(3);
            const out = r.stdout + r.stderr;
            expect(out).to.include("another release holds stack dev: mesh-release canary sample-app v2 (pid 4242)");
            expect(out).to.include(
                "a release is running on this stack (named above). To roll it back now, send it SIGINT: Ctrl-C in its terminal, or kill -INT <its pid>; " +
                    `it cancels its running update and rolls back at once (recorded Aborted). Otherwise wait for it to finish and run mesh-release ${action} again`,
            );
            expect(h.store.updates).to.have.length(0);
        });
    }

    it("status with Prometheus down: the status is shown, then exit 3 saying Prometheus could not be queried", async () => {
        const h = withCanary();
        h.metrics.down = true;
        const r = await run(["status", "--stack", "dev", "--service", SVC], h);
        expect(r.code, r.stdout + r.stderr).to.equal(3);
        expect(r.stdout).to.include("  stable:  v1");
        expect(r.stdout).to.include(`${SVC}: status failed (exit 3): ${SVC}: the status above has no metrics: Prometheus at http://127.0.0.1:9090 could not be queried: connection refused`);
        expect(r.stdout).to.include("hint: check that Prometheus is up and reachable at release.prometheus.url (or --prometheus-url); --no-metrics shows the status without it");
        const json = await run(["status", "--stack", "dev", "--service", SVC, "--json"], h);
        expect(json.code).to.equal(3);
        const done = JSON.parse(json.stdout.trimEnd().split("\n").pop() ?? "{}") as Record<string, unknown>;
        expect(done).to.deep.include({ type: "command-finished", command: "status", ok: false, exitCode: 3 });
        // without metrics, nothing to fail: exit 0; healthy Prometheus: exit 0
        expect((await run(["status", "--stack", "dev", "--service", SVC, "--no-metrics"], h)).code).to.equal(0);
        h.metrics.down = false;
        expect((await run(["status", "--stack", "dev", "--service", SVC], h)).code).to.equal(0);
    });

    it("env status prints its times in ISO 8601 (UTC), whatever form they came in", () => {
        const start = new Date("2026-03-04T05:06:07.089Z");
        const end = new Date("2026-03-04T05:07:00.000Z");
        expect(stackStatusSummary({ kind: "update", result: "succeeded", startTime: start, endTime: end }, undefined)).to.equal(
            "last update succeeded at 2026-03-04T05:07:00.000Z; no release running",
        );
        expect(stackStatusSummary({ kind: "update", result: "in-progress", startTime: start }, { holder: "mesh-release canary a v2 (pid 1)", started: "2026-03-04T06:06:07+01:00", heartbeat: "Wed, 04 Mar 2026 05:10:00 GMT" })).to.equal(
            "last update in-progress at 2026-03-04T05:06:07.089Z; release running: mesh-release canary a v2 (pid 1) since 2026-03-04T05:06:07.000Z, heartbeat 2026-03-04T05:10:00.000Z",
        );
        expect(stackStatusSummary(undefined, { holder: "x", started: "s", heartbeat: "h", released: "2026-03-04T05:10:00.000Z" })).to.equal("never updated; no release running");
        expect(isoUtc("not a time")).to.equal("not a time");
        expect(String(end)).not.to.equal(isoUtc(end)); // what the summary printed before: Date's own text
    });

    it("--help names the report's JSON file as release/report/file.ts writes it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-help-"));
        try {
            const report = collectReport(promotedRun());
            if (report === undefined) {
                throw new Error("the fixture run makes a report");
            }
            const written = writeReportFiles(report, path.join(dir, "out.html"));
            const jsonName = path.basename(written.json);
            expect(fs.existsSync(written.json)).to.equal(true);
            let stdout = "";
            const r = parseArgs(["canary", "--help"], { cwd: dir, env: {}, stdout: (s) => (stdout += s), stderr: () => undefined });
            expect(r).to.deep.equal({ kind: "exit", exitCode: 0 });
            const help = stdout.replace(/\s+/g, " ");
            expect(help).to.include(`--report out.html writes out.html and ${jsonName}`);
            expect(help).not.to.include("<file>.json");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
