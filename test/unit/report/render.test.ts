import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { collectReport } from "../../../release/report/collect";
import { writeReportFiles } from "../../../release/report/file";
import {
    escapeHtml,
    formatNumber,
    formatOffset,
    lineSegments,
    linearScale,
    niceTicks,
    renderChartSvg,
    renderReportHtml,
    stepPoints,
} from "../../../release/report/render";
import type { RolloutReport } from "../../../release/core/events";
import { promotedRun, rolledBackRun } from "./fixtures";

const VOID = new Set(["meta", "br", "hr", "img", "input", "link"]);

/**
 * A small XML well-formedness check (the page is written as polyglot XHTML): balanced tags, quoted
 * attributes with no raw `<`, `"` or `&`, no raw `<` or stray `&` in text. Returns the problems.
 */
function wellFormedProblems(markup: string): string[] {
    const problems: string[] = [];
    const stack: string[] = [];
    const body = markup.replace(/^<!DOCTYPE html>\n/, "");
    const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&#?\w+;[^"<&]*)*")*)\s*(\/?)>/giy;
    for (let i = 0; i < body.length; ) {
        const next = body.slice(i).search(/[<&]/);
        if (next === -1) {
            break;
        }
        i += next;
        const entity = /^&(?:#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/i.exec(body.slice(i, i + 12));
        if (entity !== null) {
            i += entity[0].length;
            continue;
        }
        token.lastIndex = i;
        const m = token.exec(body);
        if (m === null || m[2] === undefined) {
            problems.push(`raw ${JSON.stringify(body.slice(i, i + 20))} at ${i}`);
            i += 1;
            continue;
        }
        const [whole, closing, name, , selfClosing] = m;
        if (closing === "/") {
            const open = stack.pop();
            if (open !== name) {
                problems.push(`</${name}> closes <${open ?? "nothing"}> at ${i}`);
            }
        } else if (selfClosing !== "/") {
            if (VOID.has(name.toLowerCase())) {
                problems.push(`void <${name}> is not self-closed`);
            }
            stack.push(name);
        }
        i += whole.length;
    }
    if (stack.length > 0) {
        problems.push(`unclosed: ${stack.join(" > ")}`);
    }
    return problems;
}

function report(events = promotedRun()): RolloutReport {
    const r = collectReport(events);
    if (r === undefined) {
        throw new Error("fixture gives no report");
    }
    return r;
}

describe("release/report/render", () => {
    describe("pure helpers", () => {
        it("escapeHtml escapes the five markup characters", () => {
            expect(escapeHtml(`<a href="x" title='y'>&</a>`)).to.equal("&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;");
        });

        const ticks: [number, number, number, number[]][] = [
            [0, 100, 4, [0, 50, 100]],
            [0, 100, 5, [0, 20, 40, 60, 80, 100]],
            [80, 100, 4, [80, 85, 90, 95, 100]],
            [0, 1.2, 4, [0, 0.5, 1]],
            [0, 24, 8, [0, 5, 10, 15, 20]],
            [5, 5, 4, [5]],
        ];
        for (const [min, max, count, want] of ticks) {
            it(`niceTicks(${min}, ${max}, ${count}) -> ${want.join(",")}`, () => {
                expect(niceTicks(min, max, count)).to.deep.equal(want);
            });
        }

        it("linearScale maps the domain onto the range (inverted for y) and a flat domain to the middle", () => {
            const y = linearScale(0, 100, 200, 50);
            expect([y(0), y(50), y(100)]).to.deep.equal([200, 125, 50]);
            expect(linearScale(3, 3, 0, 10)(42)).to.equal(5);
        });

        const offsets: [number, string][] = [
            [0, "0:00"],
            [999, "0:01"],
            [65_000, "1:05"],
            [-5, "0:00"],
        ];
        for (const [ms, want] of offsets) {
            it(`formatOffset(${ms}) -> ${want}`, () => {
                expect(formatOffset(ms)).to.equal(want);
            });
        }

        it("formatNumber rounds to two decimals and shows no data as a dash", () => {
            expect([formatNumber(99.456), formatNumber(80), formatNumber(null), formatNumber(NaN)]).to.deep.equal(["99.46", "80", "–", "–"]);
        });

        it("lineSegments leaves a gap where there is no data (never a drop to zero)", () => {
            expect(
                lineSegments([
                    { x: 0, y: 1 },
                    { x: 1.04, y: 2 },
                    { x: 2, y: null },
                    { x: 3, y: 4 },
                ]),
            ).to.deep.equal(["0,1 1,2", "3,4"]);
            expect(lineSegments([{ x: 0, y: null }])).to.deep.equal([]);
        });

        it("stepPoints holds each value until the next change and to the end", () => {
            expect(
                stepPoints(
                    [
                        { x: 0, y: 0 },
                        { x: 2, y: 10 },
                        { x: 5, y: 0 },
                    ],
                    9,
                ),
            ).to.deep.equal([
                { x: 0, y: 0 },
                { x: 2, y: 0 },
                { x: 2, y: 10 },
                { x: 5, y: 10 },
                { x: 5, y: 0 },
                { x: 9, y: 0 },
            ]);
        });
    });

    it("the test's markup check itself catches unbalanced tags, raw < and stray &", () => {
        expect(wellFormedProblems("<p><b>x</p>")).to.not.deep.equal([]);
        expect(wellFormedProblems("<p>a < b</p>")).to.not.deep.equal([]);
        expect(wellFormedProblems("<p>a & b</p>")).to.not.deep.equal([]);
        expect(wellFormedProblems('<p title="a"b">x</p>')).to.not.deep.equal([]);
        expect(wellFormedProblems('<p title="&#60;">a &amp; b<br/></p>')).to.deep.equal([]);
    });

    describe("renderReportHtml", () => {
        it("is one well-formed page with the chart inline and no script or external resource", () => {
            const html = renderReportHtml(report());
            expect(wellFormedProblems(html)).to.deep.equal([]);
            expect(html.startsWith("<!DOCTYPE html>\n<html")).to.equal(true);
            expect(html.match(/<svg /g)).to.have.length(1);
            expect(html).to.not.match(/<script|src=|href=|url\(/i);
            expect(html).to.include("default-src 'none'");
        });

        it("draws the three panels, a verdict dot per analysis with data, the thresholds and every mark", () => {
            const svg = renderChartSvg(report());
            expect(svg.match(/data-panel="([^"]+)"/g)).to.deep.equal([
                'data-panel="Canary weight"',
                'data-panel="Success rate"',
                'data-panel="p95 latency"',
            ]);
            // 4 analyses, one without data: 3 dots in each of the two metric panels.
            expect(svg.match(/class="verdict"/g)).to.have.length(6);
            expect(svg.match(/class="threshold"/g)).to.have.length(2);
            expect(svg).to.include("min 99 %");
            expect(svg).to.include("max 500 ms");
            expect(svg.match(/class="mark"/g)).to.have.length(5);
            expect(svg).to.include('data-kind="promotion"');
            // The no-data analysis splits the canary success line in two.
            expect(svg.match(/data-series="canary"/g)).to.have.length(4);
        });

        it("shows the outcome, the summary and a row per analysis and mark", () => {
            const html = renderReportHtml(report(rolledBackRun()));
            expect(html).to.include("<title>Rollout of sample-app v3 on dev</title>");
            expect(html).to.include('<p class="outcome" style="color:#c62828">rolled-back</p>');
            expect(html).to.include("<td>rolled-back (exit 1)</td>");
            expect(html).to.include("<td>80.5</td>");
            expect(html).to.include("canary request-success-rate: 80.5 vs 99");
            expect(html.match(/<tr>/g)).to.have.length(9 + 2 + 4);
        });

        it("escapes every text from the report: a hostile service name or message cannot inject markup", () => {
            const evil = `x"><script>alert(1)</script><img src=x onerror=alert(2)>`;
            const events = rolledBackRun(evil, `v3'"><svg onload=alert(3)>`).map((e) =>
                e.type === "rollback-started" ? { ...e, reason: "</title><script>alert(4)</script>" } : e,
            );
            const r = report(events);
            const html = renderReportHtml({ ...r, stack: "<b>dev</b>", message: "&lt;<i>" });
            expect(wellFormedProblems(html)).to.deep.equal([]);
            expect(html).to.not.match(/<script|<img|<svg onload|<i>|<b>/i);
            const attributes = [...html.matchAll(/<[A-Za-z][^>]*>/g)].flatMap((t) => [...t[0].matchAll(/\s([\w:-]+)="[^"]*"/g)].map((a) => a[1]));
            expect(attributes.filter((a) => a?.toLowerCase().startsWith("on"))).to.deep.equal([]);
            expect(html).to.include("&#60;script&#62;alert(1)&#60;/script&#62;");
            expect(html).to.include("&#38;lt;&#60;i&#62;");
        });

        it("an unfinished report with no analyses still renders (in progress, empty lines)", () => {
            const r = report(promotedRun().slice(0, 4));
            const html = renderReportHtml(r);
            expect(wellFormedProblems(html)).to.deep.equal([]);
            expect(html).to.include(">in progress</p>");
            expect(html).to.not.include('class="verdict"');
        });
    });

    it("writeReportFiles writes the page and the JSON report side by side", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-test-"));
        try {
            const r = report();
            const out = writeReportFiles(r, path.join(dir, "sub", "rollout.html"));
            expect(out).to.deep.equal({ html: path.join(dir, "sub", "rollout.html"), json: path.join(dir, "sub", "rollout.json") });
            expect(fs.readFileSync(out.html, "utf8")).to.equal(renderReportHtml(r));
            expect(JSON.parse(fs.readFileSync(out.json, "utf8"))).to.deep.equal(r);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
