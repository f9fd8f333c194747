import { expect } from "chai";
import * as fc from "fast-check";
import { bucketIndex, escapeLabelValue, formatValue, IstioMetrics, istioRequestLabels, ISTIO_DURATION_BUCKETS_MS } from "../../../sim/metrics";
import { requestsFor, sampleLatencyMs, TrafficModel, DEFAULT_BEHAVIOR } from "../../../sim/model";
import { mulberry32 } from "../../../sim/rng";
import { planFromWeights } from "../../../sim/routing";

const service = { name: "sample-app", namespace: "shop" };

/** Sum of istio_requests_total samples whose line contains every fragment. */
function total(text: string, ...fragments: string[]): number {
    return text
        .split("\n")
        .filter((l) => l.startsWith("istio_requests_total{") && fragments.every((f) => l.includes(f)))
        .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

describe("sim/rng mulberry32", () => {
    it("is deterministic per seed and differs between seeds", () => {
        const a = mulberry32(42);
        const b = mulberry32(42);
        const c = mulberry32(43);
        const xs = [a(), a(), a()];
        expect([b(), b(), b()]).to.deep.equal(xs);
        expect(c()).to.not.equal(xs[0]);
    });

    it("stays in [0, 1) (property)", () => {
        fc.assert(
            fc.property(fc.integer(), (seed) => {
                const r = mulberry32(seed);
                for (let i = 0; i < 50; i++) {
                    const u = r();
                    if (!(u >= 0 && u < 1)) {
                        return false;
                    }
                }
                return true;
            }),
        );
    });
});

describe("sim/model pure helpers", () => {
    describe("requestsFor (carry keeps the long-run rate exact)", () => {
        const table: [number, number, number, [number, number]][] = [
            [1000, 100, 0, [100, 0]],
            [50, 100, 0, [5, 0]],
            [10, 100, 0, [1, 0]],
            [5, 100, 0, [0, 0.5]],
            [5, 100, 0.5, [1, 0]],
            [0, 100, 0.25, [0, 0.25]],
        ];
        for (const [ms, rps, carry, want] of table) {
            it(`${ms} ms at ${rps} rps, carry ${carry} -> ${want[0]} requests, carry ${want[1]}`, () => {
                const [n, c] = requestsFor(ms, rps, carry);
                expect(n).to.equal(want[0]);
                expect(c).to.be.closeTo(want[1], 1e-9);
            });
        }
        it("many small ticks add up to rps x seconds (property)", () => {
            fc.assert(
                fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 200 }), fc.integer({ min: 1, max: 5000 }), (ticks, rps) => {
                    let carry = 0;
                    let sum = 0;
                    for (const t of ticks) {
                        const [n, c] = requestsFor(t, rps, carry);
                        sum += n;
                        carry = c;
                    }
                    const exact = (rps * ticks.reduce((a, b) => a + b, 0)) / 1000;
                    return Math.abs(sum + carry - exact) < 1e-6 && carry < 1;
                }),
            );
        });
    });

    describe("sampleLatencyMs: uniform in latency x [1 - jitter, 1 + jitter]", () => {
        const table: [number, number, number, number][] = [
            [100, 0.1, 0, 90],
            [100, 0.1, 0.5, 100],
            [100, 0.1, 1, 110],
            [100, 0, 0.3, 100],
            [0, 0.5, 0.9, 0],
        ];
        for (const [latencyMs, latencyJitter, u, want] of table) {
            it(`${latencyMs} ms, jitter ${latencyJitter}, u=${u} -> ${want} ms`, () => {
                expect(sampleLatencyMs({ ...DEFAULT_BEHAVIOR, latencyMs, latencyJitter }, u)).to.be.closeTo(want, 1e-9);
            });
        }
    });

    describe("bucketIndex (Istio default buckets, le is inclusive)", () => {
        const table: [number, number][] = [
            [0, 0],
            [0.5, 0],
            [0.6, 1],
            [25, 4],
            [25.1, 5],
            [1000, 9],
            [3_600_000, ISTIO_DURATION_BUCKETS_MS.length - 1],
            [3_600_001, ISTIO_DURATION_BUCKETS_MS.length],
        ];
        for (const [ms, want] of table) {
            it(`${ms} ms -> bucket ${want}`, () => {
                expect(bucketIndex(ms)).to.equal(want);
            });
        }
    });

    it("formatValue and escapeLabelValue follow the text exposition format", () => {
        expect([formatValue(NaN), formatValue(Infinity), formatValue(-Infinity), formatValue(2.5)]).to.deep.equal(["NaN", "+Inf", "-Inf", "2.5"]);
        expect(escapeLabelValue('a"b\\c\nd')).to.equal('a\\"b\\\\c\\nd');
    });
});

describe("sim/metrics IstioMetrics", () => {
    it("renders a counter and a cumulative histogram with every Istio bucket and +Inf", () => {
        const m = new IstioMetrics();
        const labels = istioRequestLabels({
            reporter: "destination",
            sourceWorkload: "lg",
            sourceNamespace: "shop",
            serviceName: "sample-app",
            serviceNamespace: "shop",
            destinationVersion: "v2",
            responseCode: 200,
            responseFlags: "-",
        });
        m.record(labels, 7);
        m.record(labels, 70);
        const text = m.render();
        expect(text).to.match(/^# HELP istio_requests_total /);
        expect(text).to.include("# TYPE istio_request_duration_milliseconds histogram");
        expect(total(text, 'destination_version="v2"', 'response_code="200"')).to.equal(2);
        const buckets = text.split("\n").filter((l) => l.startsWith("istio_request_duration_milliseconds_bucket{"));
        expect(buckets).to.have.length(ISTIO_DURATION_BUCKETS_MS.length + 1);
        const value = (le: string): number => Number(buckets.find((l) => l.includes(`le="${le}"`))?.split(" ").pop());
        expect([value("5"), value("10"), value("50"), value("100"), value("+Inf")]).to.deep.equal([0, 1, 1, 2, 2]);
        expect(text).to.include('destination_workload="sample-app-v2"');
        expect(text).to.include('destination_service="sample-app.shop.svc.cluster.local"');
        expect(text).to.match(/istio_request_duration_milliseconds_sum\{[^}]*\} 77\n/);
        expect(text.endsWith("\n")).to.equal(true);
    });
});

describe("sim/model TrafficModel", () => {
    const model = (seed = 1): TrafficModel => {
        const m = new TrafficModel({ service, rps: 1000, rng: mulberry32(seed) });
        m.setPlan(planFromWeights({ v1: 80, v2: 20 }));
        return m;
    };

    it("generates rps x seconds requests split by the weights", () => {
        const m = model();
        expect(m.advance(10_000)).to.equal(10_000);
        const s = m.stats();
        expect(s.requests).to.equal(10_000);
        expect(s.versions["v1"]?.served).to.be.within(7800, 8200);
        expect(s.versions["v2"]?.served).to.be.within(1800, 2200);
        expect((s.versions["v1"]?.served ?? 0) + (s.versions["v2"]?.served ?? 0)).to.equal(10_000);
    });

    it("the same seed gives the same traffic", () => {
        const a = model(9);
        const b = model(9);
        a.advance(2000);
        b.advance(2000);
        expect(a.stats()).to.deep.equal(b.stats());
        expect(a.metrics.render()).to.equal(b.metrics.render());
    });

    it("a version's error rate shows in both reporters with its error code", () => {
        const m = model();
        m.patchBehavior("v2", { errorRate: 0.25, errorCode: 503 });
        m.advance(20_000);
        const v2 = m.stats().versions["v2"];
        expect((v2?.errors ?? 0) / (v2?.served ?? 1)).to.be.within(0.22, 0.28);
        const text = m.metrics.render();
        for (const reporter of ["source", "destination"]) {
            expect(total(text, `reporter="${reporter}"`, 'destination_version="v2"', 'response_code="503"')).to.equal(v2?.errors);
        }
        expect(total(text, 'destination_version="v1"', 'response_code="503"')).to.equal(0);
    });

    it("client-side overflow (UO 503) is counted only under reporter=source and is not served", () => {
        const m = model();
        m.patchBehavior("v2", { overflowRate: 0.5 });
        m.advance(10_000);
        const v2 = m.stats().versions["v2"];
        expect(v2?.overflow).to.be.greaterThan(700);
        const text = m.metrics.render();
        expect(total(text, 'reporter="source"', 'destination_version="v2"', 'response_flags="UO"')).to.equal(v2?.overflow);
        expect(total(text, 'reporter="destination"', 'response_flags="UO"')).to.equal(0);
        expect(total(text, 'reporter="destination"', 'destination_version="v2"')).to.equal(v2?.served);
    });

    it("patchBehavior merges: unset fields keep their value", () => {
        const m = model();
        m.patchBehavior("v2", { errorRate: 0.2 });
        m.patchBehavior("v2", { latencyMs: 500 });
        expect(m.behavior("v2")).to.deep.equal({ ...DEFAULT_BEHAVIOR, errorRate: 0.2, latencyMs: 500 });
        expect(m.behavior("v1")).to.deep.equal(DEFAULT_BEHAVIOR);
    });

    it("without a plan every request is unserved and nothing is exported", () => {
        const m = new TrafficModel({ service, rps: 100, rng: mulberry32(1) });
        m.advance(1000);
        expect(m.stats()).to.include({ requests: 100, unserved: 100 });
        expect(total(m.metrics.render())).to.equal(0);
    });

    it("refuses an rps out of range, naming the value and the rule", () => {
        expect(() => new TrafficModel({ service, rps: 0, rng: mulberry32(1) })).to.throw(
            "rps is 0; it must be a number from 0 (exclusive) to 100000",
        );
    });
});
