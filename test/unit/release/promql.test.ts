/** PromQL builders (release/metrics/promql.ts): exact queries, escaping, and injection refused. */
import { expect } from "chai";
import fc from "fast-check";
import {
    escapePromqlString,
    labelValueProblem,
    latencyP95Query,
    promqlRange,
    renderTemplate,
    requestCountQuery,
    selector,
    successRateQuery,
} from "../../../release/metrics/promql";

const sel = { reporter: "source" as const, service: "sample-app", namespace: "shop", version: "v2" };
const LABELS = 'reporter="source",destination_service_name="sample-app",destination_service_namespace="shop",destination_version="v2"';

describe("release/metrics/promql", () => {
    it("builds the success-rate query over the window (non-5xx share, percent)", () => {
        expect(successRateQuery(sel, 30_000)).to.equal(
            `100 * sum(rate(istio_requests_total{${LABELS},response_code!~"5.."}[30s])) / sum(rate(istio_requests_total{${LABELS}}[30s]))`,
        );
    });
    it("builds the p95 query from Istio's standard histogram", () => {
        expect(latencyP95Query(sel, 60_000)).to.equal(
            `histogram_quantile(0.95, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${LABELS}}[60s])))`,
        );
    });
    it("builds the request count with increase()", () => {
        expect(requestCountQuery({ ...sel, reporter: "destination" }, 1500)).to.equal(
            `sum(increase(istio_requests_total{${LABELS.replace("source", "destination")}}[1500ms]))`,
        );
    });

    describe("promqlRange", () => {
        const table: [number, string][] = [
            [1000, "1s"],
            [90_000, "90s"],
            [1500, "1500ms"],
            [0, "1ms"],
            [2.4, "2ms"],
        ];
        for (const [ms, want] of table) {
            it(`${ms} ms -> ${want}`, () => expect(promqlRange(ms)).to.equal(want));
        }
    });

    describe("injection", () => {
        const attacks = [
            'x"} or vector(1) #',
            'sample-app",destination_version=~".*',
            "a\nb",
            "",
            "-leading",
            "a".repeat(64),
            "svc} or on() vector(100)",
            "ns\\",
        ];
        for (const bad of attacks) {
            it(`refuses service ${JSON.stringify(bad)} before a query exists`, () => {
                expect(() => selector({ ...sel, service: bad })).to.throw(`service ${JSON.stringify(bad)} is not a valid label value`);
                expect(() => successRateQuery({ ...sel, namespace: bad }, 1000)).to.throw(`namespace ${JSON.stringify(bad)}`);
                const r = renderTemplate("up{service=\"{{service}}\"}", { service: bad, namespace: "ns", version: "v1", interval: "1m" });
                expect(r.ok).to.equal(false);
            });
        }

        it("escapes backslashes, quotes and newlines for a PromQL string", () => {
            expect(escapePromqlString('a"b\\c\nd')).to.equal('a\\"b\\\\c\\nd');
        });

        it("property: any value either is refused or stays inside its quoted label (no query change)", () => {
            fc.assert(
                fc.property(fc.string({ maxLength: 70 }), (value) => {
                    const problem = labelValueProblem(value);
                    if (problem !== undefined) {
                        expect(() => selector({ ...sel, version: value })).to.throw();
                        return;
                    }
                    // Accepted values have no quote, brace, backslash or whitespace: the selector is exactly the template.
                    expect(selector({ ...sel, version: value })).to.equal(`{${LABELS.replace('destination_version="v2"', `destination_version="${value}"`)}}`);
                    expect(value).to.match(/^[A-Za-z0-9._-]+$/);
                }),
                { numRuns: 500 },
            );
        });
    });

    describe("renderTemplate", () => {
        it("fills every variable; the interval is re-rendered from milliseconds", () => {
            const r = renderTemplate('sum(rate(errors{app="{{ service }}",ns="{{namespace}}",v="{{version}}"}[{{interval}}]))', {
                service: "sample-app",
                namespace: "shop",
                version: "v2",
                interval: "1m30s",
            });
            expect(r).to.deep.equal({ ok: true, query: 'sum(rate(errors{app="sample-app",ns="shop",v="v2"}[90s]))' });
        });
        it("reports every problem at once (unknown variable, bad value, bad interval)", () => {
            const r = renderTemplate("x{a=\"{{svc}}\"}[{{interval}}]", { service: "ok", namespace: "b a d", version: "v1", interval: "1 minute" });
            expect(r).to.deep.equal({
                ok: false,
                problems: [
                    'namespace "b a d" is not a valid label value; it must be 1-63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit',
                    'interval "1 minute" is not a positive Go duration such as 30s or 1m',
                    "unknown variable {{svc}}; use one of {{service}}, {{namespace}}, {{version}}, {{interval}}",
                ],
            });
        });
        it("an interval cannot smuggle PromQL (it is parsed, not copied)", () => {
            const r = renderTemplate("rate(x[{{interval}}])", { service: "a", namespace: "b", version: "c", interval: "5m]) or vector(1" });
            expect(r.ok).to.equal(false);
        });
    });
});
