/** The reporters: exact text for recorded event streams, one JSON line per event, no ANSI off a TTY, no secret ever. */
import { expect } from "chai";
import { Redactor } from "../../../contract/redact";
import type { ReleaseEvent } from "../../../release/core/events";
import { collectReport } from "../../../release/report/collect";
import { duration, metricRows } from "../../../release/reporters/format";
import { JsonReporter, jsonLine } from "../../../release/reporters/json";
import { renderSummary } from "../../../release/reporters/summary";
import { TerminalReporter, emptyView, liveBlock, reduceView } from "../../../release/reporters/terminal";
import type { CliEvent } from "../../../release/reporters/types";
import { at, ev, metrics, promotedRun, rolledBackRun } from "../report/fixtures";

const SECRET = "tok-9f8e7d6c5b4a";

function terminal(events: readonly CliEvent[], tty: boolean, now = new Date(at(3)), redactor?: Redactor): { out: string; writes: string[]; reporter: TerminalReporter } {
    const writes: string[] = [];
    const reporter = new TerminalReporter({ write: (s) => writes.push(s), tty, now: () => now, tickMs: 0, redactor });
    events.forEach(reporter.handle);
    return { out: writes.join(""), writes, reporter };
}

describe("release/reporters", () => {
    describe("format", () => {
        it("durations", () => {
            expect([250, 1400, 3000, 65_000, 3_720_000, -5].map(duration)).to.deep.equal(["250ms", "1.4s", "3s", "1m05s", "1h02m", "0ms"]);
        });

        it("metric rows are aligned, stable is not judged, a failure names why", () => {
            expect(metricRows(metrics(80.5, null, 28), "")).to.deep.equal([
                "request-count         canary   28 req  >= 20   ok",
                "request-success-rate  canary   80.5 %  >= 99   Failed: 80.5 vs 99",
                "latency-p95           canary  no data  <= 500  ok",
                "request-success-rate  stable    100 %          (not judged)",
                "latency-p95           stable    40 ms          (not judged)",
                "request-count         stable  900 req          (not judged)",
            ]);
        });
    });

    describe("terminal, not a TTY", () => {
        it("renders a rollback at the first step as exact plain lines", () => {
            expect(terminal(rolledBackRun(), false).out).to.equal(
                [
                    "10:00:00 sample-app v3 on stack dev: rollout started; steps 10,50,100 %, interval 3s",
                    "10:00:02 step 1/3 (10%): canary at 10%",
                    "10:00:05 step 1/3 (10%): analysis Failed",
                    "    request-count         canary   28 req  >= 20   ok",
                    "    request-success-rate  canary   80.5 %  >= 99   Failed: 80.5 vs 99",
                    "    latency-p95           canary    45 ms  <= 500  ok",
                    "    request-success-rate  stable    100 %          (not judged)",
                    "    latency-p95           stable    40 ms          (not judged)",
                    "    request-count         stable  900 req          (not judged)",
                    "    checks: failed 0/0, inconclusive 0/2, consecutive errors 0/2 (count/limit; one more than the limit rolls back)",
                    "10:00:05 rolling back: request-success-rate 80.5 < 99",
                    "10:00:07   pulumi up done in 1.4s: rollback (all traffic to stable)",
                    "10:00:07 webhook pager (rollback): failed after 3 attempts: timeout",
                    "10:00:07 sample-app v3: rolled-back (exit 1): rolled back",
                    "",
                ].join("\n"),
            );
        });

        it("writes no ANSI escape and no live block for a whole promotion", () => {
            const { out } = terminal(promotedRun(), false);
            expect(out.includes("\x1b")).to.equal(false);
            expect(out).not.to.include("==");
            expect(out).to.include("10:00:06   pulumi up failed (attempt 1) after 500ms: shift to 50%: boom; retry in 1s\n");
            expect(out).to.include("10:00:02 step 1/3 (10%): measuring for 3s; next decision at 10:00:05\n");
            expect(out.endsWith("10:00:24 sample-app v2: promoted (exit 0): v2 promoted\n")).to.equal(true);
        });
    });

    describe("terminal, TTY", () => {
        const waiting = promotedRun().slice(0, 5); // ... analysis-waiting at 10:00:02 until 10:00:05

        it("the live block shows step, weight and the time to the next decision by the given clock", () => {
            const view = waiting.reduce(reduceView, emptyView());
            expect(liveBlock(view, new Date(at(3)))).to.deep.equal([
                "== sample-app v2 on dev: Progressing, step 1/3 (10%), canary at 10% ==",
                "   measuring step 1/3 (10%): next decision in 2s (at 10:00:05)",
            ]);
            expect(liveBlock(view, new Date(at(4.5)))[1]).to.equal("   measuring step 1/3 (10%): next decision in 500ms (at 10:00:05)");
        });

        it("after an analysis the block lists each judged metric against its threshold", () => {
            const view = promotedRun().slice(0, 6).reduce(reduceView, emptyView());
            expect(liveBlock(view, new Date(at(5)))).to.deep.equal([
                "== sample-app v2 on dev: Progressing, step 1/3 (10%), canary at 10% ==",
                "   deciding...",
                "   last analysis, step 1/3 (10%) at 10:00:05: Successful",
                "     request-count         canary  30 req  >= 20   ok",
                "     request-success-rate  canary   100 %  >= 99   ok",
                "     latency-p95           canary   45 ms  <= 500  ok",
                "     checks: failed 0/0, inconclusive 0/2, consecutive errors 0/2 (count/limit; one more than the limit rolls back)",
            ]);
        });

        it("redraws the block in place: cursor up over the lines it drew, clear, then log lines, then the block", () => {
            const { writes, reporter } = terminal(waiting, true, new Date(at(3)));
            const last = writes[writes.length - 1] ?? "";
            // the previous block (after step-applied) was 2 lines: header + "deciding..."
            expect(last.startsWith("\x1b[2A\x1b[J")).to.equal(true);
            expect(last).to.include("next decision in 2s");
            reporter.close();
            expect(writes[writes.length - 1]).to.equal("\x1b[2A\x1b[J");
        });

        it("the block is gone once the rollout finished", () => {
            const view = rolledBackRun().reduce(reduceView, emptyView());
            expect(liveBlock(view, new Date(at(8)))).to.deep.equal([]);
        });
    });

    describe("json", () => {
        it("one parseable line per event, equal to the event", () => {
            const lines: string[] = [];
            const reporter = new JsonReporter((s) => lines.push(s));
            const events = promotedRun();
            events.forEach(reporter.handle);
            const text = lines.join("");
            const split = text.split("\n");
            expect(split.pop()).to.equal("");
            expect(split).to.have.length(events.length);
            expect(split.map((l) => JSON.parse(l) as unknown)).to.deep.equal(events);
        });

        it("a message with newlines stays on one line", () => {
            const e = ev(1, { type: "warning", message: "line one\nline two" });
            const line = jsonLine(e);
            expect(line.indexOf("\n")).to.equal(line.length - 1);
            expect((JSON.parse(line) as { message: string }).message).to.equal("line one\nline two");
        });
    });

    describe("secrets", () => {
        const leaky: ReleaseEvent[] = [
            ...rolledBackRun().slice(0, 3),
            ev(5, { type: "warning", message: `prometheus said 401 for Bearer ${SECRET}` }),
            ev(6, { type: "update-finished", purpose: "rollback", weight: 0, attempt: 1, ok: false, durationMs: 10, error: `token=${encodeURIComponent(SECRET + "/x")}` }),
            ev(7, { type: "rollout-finished", version: "v3", outcome: "failed", exitCode: 3, message: `failed with ${SECRET}`, state: null }),
        ];
        const redactor = (): Redactor => {
            const r = new Redactor();
            r.add(SECRET, SECRET + "/x");
            return r;
        };

        it("never appear in the terminal output (plain or TTY), the JSON lines or the summary", () => {
            const plain = terminal(leaky, false, new Date(at(6)), redactor()).out;
            const tty = terminal(leaky, true, new Date(at(6)), redactor()).out;
            const json: string[] = [];
            const jr = new JsonReporter((s) => json.push(s), redactor());
            leaky.forEach(jr.handle);
            const summary = redactor().redact(renderSummary({ report: collectReport(leaky), result: { outcome: "failed", exitCode: 3, message: `x ${SECRET}` } }));
            for (const out of [plain, tty, json.join(""), summary]) {
                expect(out).not.to.include(SECRET);
                expect(out).not.to.include(encodeURIComponent(SECRET + "/x"));
            }
            expect(plain).to.include("Bearer [secret]");
            expect(json.join("")).to.include("token=[secret]");
        });
    });

    describe("summary", () => {
        it("a promotion: outcome, duration, weights, analyses, requests, last metrics, report path", () => {
            const text = renderSummary({ report: collectReport(promotedRun()), result: { outcome: "promoted", exitCode: 0, message: "v2 promoted" }, reportPath: "/tmp/r.html" });
            expect(text).to.equal(
                [
                    "Summary: sample-app v2 on stack dev",
                    "  outcome:   promoted (exit 0)",
                    "  message:   v2 promoted",
                    "  duration:  24s (10:00:00 to 10:00:24 UTC)",
                    "  weights:   0% -> 10% -> 50% -> 100% (steps 10,50,100 %)",
                    "  analyses:  4 (3 successful, 0 failed, 1 inconclusive, 0 error)",
                    "  canary requests in analysis windows: 483",
                    "  last analysis (100%, Successful): request-count 300 req (>= 20); request-success-rate 99.9 % (>= 99); latency-p95 55 ms (<= 500)",
                    "  report:    /tmp/r.html",
                    "",
                ].join("\n"),
            );
        });

        it("a command that failed before any rollout: outcome, message and hint only", () => {
            const text = renderSummary({ report: undefined, result: { outcome: "failed", exitCode: 2, message: "bad\n  - --steps: nope", hint: "fix it" } });
            expect(text).to.equal("Summary\n  outcome:   failed (exit 2)\n  message:   bad\n               - --steps: nope\n  hint:      fix it\n");
        });
    });
});
