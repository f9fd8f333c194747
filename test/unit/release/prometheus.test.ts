/**
 * The Prometheus provider (release/metrics/prometheus.ts) against an in-process fake of the HTTP API: the
 * request it sends, and each failure mode (error answer, timeout, empty result, several series, down).
 * The real Prometheus is the e2e suite's.
 */
import { expect } from "chai";
import { MetricsError } from "../../../release/metrics/provider";
import { PrometheusProvider, parseInstant, parseSeries } from "../../../release/metrics/prometheus";
import { startServer, type TestServer } from "./http";
import { AWKWARD_SECRET, expectNoSecret } from "../../support/secrets";

const vector = (...values: string[]): string =>
    JSON.stringify({ status: "success", data: { resultType: "vector", result: values.map((v) => ({ metric: {}, value: [1700000000, v] })) } });

async function rejection(p: Promise<unknown>): Promise<MetricsError> {
    try {
        await p;
    } catch (err) {
        expect(err).to.be.instanceOf(MetricsError);
        return err as MetricsError;
    }
    throw new Error("expected a rejection");
}

describe("release/metrics/prometheus", () => {
    let server: TestServer | undefined;
    afterEach(async () => {
        await server?.close();
        server = undefined;
    });

    it("POSTs a form-encoded instant query to /api/v1/query and reads the one value", async () => {
        server = await startServer(() => ({ status: 200, body: vector("97.5") }));
        const p = new PrometheusProvider({ url: `${server.url}/prom/` });
        expect(await p.instant('sum(x{a="b"})')).to.equal(97.5);
        expect(server.requests[0]).to.deep.include({ method: "POST", url: "/prom/api/v1/query" });
        expect(new URLSearchParams(server.requests[0]?.body).get("query")).to.equal('sum(x{a="b"})');
        expect(p.description).to.equal(`prometheus ${server.url}/prom/`);
    });

    it("an empty vector and NaN are no data (null), never 0", async () => {
        server = await startServer((_, n) => ({ status: 200, body: n === 0 ? vector() : vector("NaN") }));
        const p = new PrometheusProvider({ url: server.url });
        expect(await p.instant("a")).to.equal(null);
        expect(await p.instant("b")).to.equal(null);
    });

    it("a PromQL error answer is a query error with Prometheus' text", async () => {
        server = await startServer(() => ({ status: 400, body: JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error at char 3" }) }));
        const err = await rejection(new PrometheusProvider({ url: server.url }).instant("a("));
        expect(err.kind).to.equal("query");
        expect(err.message).to.equal(`prometheus ${server.url}: HTTP 400 bad_data: parse error at char 3`);
    });

    it("several series are ambiguous, not a pick", async () => {
        server = await startServer(() => ({ status: 200, body: vector("1", "2") }));
        const err = await rejection(new PrometheusProvider({ url: server.url }).instant("x"));
        expect(err.kind).to.equal("ambiguous");
    });

    it("times out a slow answer", async () => {
        server = await startServer(() => "hang");
        const err = await rejection(new PrometheusProvider({ url: server.url, timeoutMs: 50 }).instant("x"));
        expect(err.kind).to.equal("timeout");
        expect(err.message).to.equal(`prometheus ${server.url}: query timed out after 50 ms`);
    });

    it("an unreachable Prometheus is `unreachable`", async () => {
        server = await startServer(() => ({ status: 200 }));
        const url = server.url;
        await server.close();
        server = undefined;
        const err = await rejection(new PrometheusProvider({ url }).instant("x"));
        expect(err.kind).to.equal("unreachable");
        expect(err.message).to.match(/^prometheus http:\/\/127\.0\.0\.1:\d+: fetch failed/);
    });

    it("a non-JSON answer (a proxy's HTML page) is an http error", async () => {
        server = await startServer(() => ({ status: 502, body: "<html>bad gateway</html>" }));
        const err = await rejection(new PrometheusProvider({ url: server.url }).instant("x"));
        expect(err.message).to.equal(`prometheus ${server.url}: HTTP 502, not a Prometheus API answer: <html>bad gateway</html>`);
    });

    it("sends the bearer token, and redacts it when the server echoes it in an error", async () => {
        const token = "prom-token-9b2e41";
        server = await startServer((req) => ({ status: 401, body: JSON.stringify({ status: "error", errorType: "auth", error: `bad header ${String(req.headers.authorization)}` }) }));
        const err = await rejection(new PrometheusProvider({ url: server.url, bearerToken: token }).instant("x"));
        expect(server.requests[0]?.headers.authorization).to.equal(`Bearer ${token}`);
        expect(err.message).to.equal(`prometheus ${server.url}: HTTP 401 auth: bad header Bearer [secret]`);
    });

    it("sends basic auth; neither the password nor its base64 form leaks", async () => {
        server = await startServer((req) => ({ status: 403, body: JSON.stringify({ status: "error", error: String(req.headers.authorization) }) }));
        const err = await rejection(new PrometheusProvider({ url: server.url, basicAuth: { username: "ops", password: "pw-77c1d0" } }).instant("x"));
        const encoded = Buffer.from("ops:pw-77c1d0").toString("base64");
        expect(server.requests[0]?.headers.authorization).to.equal(`Basic ${encoded}`);
        expect(err.message).to.not.include(encoded);
        expect(err.message).to.not.include("pw-77c1d0");
    });

    it("a token with quotes, backslashes and %-signs echoed JSON-escaped or URL-encoded by the server: redacted", async () => {
        // The server quotes the header it got inside a JSON error text (escaped twice) and URL-encoded.
        server = await startServer((req) => {
            const header = String(req.headers.authorization);
            return { status: 401, body: JSON.stringify({ status: "error", errorType: "auth", error: `got ${JSON.stringify({ header })} (${encodeURIComponent(header)})` }) };
        });
        const err = await rejection(new PrometheusProvider({ url: server.url, bearerToken: AWKWARD_SECRET }).instant("x"));
        expect(server.requests[0]?.headers.authorization).to.equal(`Bearer ${AWKWARD_SECRET}`);
        expectNoSecret(err.message);
        expect(err.message).to.equal(`prometheus ${server.url}: HTTP 401 auth: got {"header":"Bearer [secret]"} (Bearer%20[secret])`);
    });

    it("refuses a URL with credentials in it", () => {
        expect(() => new PrometheusProvider({ url: "http://u:p@127.0.0.1:9090" })).to.throw(MetricsError, "the Prometheus URL must not contain credentials; use release.prometheus.basicAuth");
    });

    it("parseInstant reads scalars and refuses malformed answers", () => {
        expect(parseInstant({ resultType: "scalar", result: [1, "4.5"] }, "p")).to.equal(4.5);
        expect(() => parseInstant({ resultType: "matrix", result: [] }, "p")).to.throw(MetricsError, 'p: unexpected answer {"resultType":"matrix","result":[]}');
    });

    it("parseSeries returns every series with its labels, drops NaN, and refuses what is not an instant vector", () => {
        const data = {
            resultType: "vector",
            result: [
                { metric: { response_code: "200", pod: "a" }, value: [1, "120"] },
                { metric: { response_code: "503", pod: "a" }, value: [1, "NaN"] },
                { metric: { le: "+Inf" }, value: [1, "7"] },
            ],
        };
        expect(parseSeries(data, "p")).to.deep.equal([
            { labels: { response_code: "200", pod: "a" }, value: 120 },
            { labels: { le: "+Inf" }, value: 7 },
        ]);
        expect(() => parseSeries({ resultType: "scalar", result: [1, "2"] }, "p")).to.throw(MetricsError, "p: expected an instant vector");
        expect(() => parseSeries({ resultType: "vector", result: [{ value: [1, "2"] }] }, "p")).to.throw(MetricsError, "p: unexpected series");
    });
});
