/**
 * components/istioValidation.ts: Istio's semantic validation, as a table ported from the pinned Istio module's
 * pkg/config/validation/validation_test.go and virtualservice_test.go (the same cases, their Go structs written as
 * the JSON specs the stack config holds; a case testing one helper, such as validateTLSOptions, is wrapped into
 * the smallest spec of its kind), grouped per Go test function. A valid case must give no errors; an invalid one
 * an error at the expected path (a warning case: a warning there). Then every traffic-management YAML of the
 * module's samples must give no errors.
 *
 * Not proven here: that istiod agrees on a case the Go tables do not hold (the e2e suite runs a real istiod).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import * as yaml from "js-yaml";
import { validateIstioSpec, type IstioFinding, type IstioKind } from "../../../components/istioValidation";

type Json = Record<string, unknown>;
type Path = (string | number)[];
/** "valid": no errors; a path: an error there; { warning }: no errors and a warning there; { error, warning }: both. */
type Expect = "valid" | Path | { warning: Path; error?: Path };
type Case = [name: string, spec: Json, expect: Expect];

function render(findings: IstioFinding[]): string {
    return findings.map((f) => `${f.severity} ${JSON.stringify(f.path)}: ${f.message}`).join("\n") || "(none)";
}

function table(title: string, kind: IstioKind, cases: Case[], namespace = "default"): void {
    describe(title, () => {
        for (const [name, spec, want] of cases) {
            const label = want === "valid" ? "valid" : Array.isArray(want) ? `error at ${JSON.stringify(want)}` : `warning at ${JSON.stringify(want.warning)}`;
            it(`${name}: ${label}`, () => {
                const findings = validateIstioSpec(kind, spec, { namespace });
                const errors = findings.filter((f) => f.severity === "error");
                const warnings = findings.filter((f) => f.severity === "warning");
                if (want === "valid") {
                    expect(errors, render(findings)).to.deep.equal([]);
                } else if (Array.isArray(want)) {
                    expect(errors.map((e) => e.path), render(findings)).to.deep.include(want);
                } else {
                    if (want.error === undefined) {
                        expect(errors, render(findings)).to.deep.equal([]);
                    } else {
                        expect(errors.map((e) => e.path), render(findings)).to.deep.include(want.error);
                    }
                    expect(warnings.map((w) => w.path), render(findings)).to.deep.include(want.warning);
                }
                for (const f of findings) {
                    expect(f.message, "a message is plain words").to.be.a("string").and.not.equal("");
                }
            });
        }
    });
}

// --- wrappers: the smallest spec of a kind around the part a Go test checks ---

const HOST = "foo.bar";
const dest = (host = HOST): Json => ({ destination: { host } });
/** A Gateway with one server. */
const gw = (server: Json): Json => ({ servers: [server] });
/** A Gateway whose one HTTPS server has these TLS settings. */
const gwTls = (tls: Json): Json => gw({ hosts: ["foo.bar.com"], port: { number: 443, name: "https", protocol: "HTTPS" }, tls });
const T = ["servers", 0, "tls"];
/** A VirtualService with one HTTP route. */
const vsHttp = (route: Json): Json => ({ hosts: [HOST], http: [route] });
/** A VirtualService with one HTTP route to foo.bar plus these fields. */
const vsRoute = (extra: Json): Json => vsHttp({ route: [dest()], ...extra });
const H = ["http", 0];
/** A DestinationRule for foo.bar with this traffic policy. */
const dr = (trafficPolicy: Json): Json => ({ host: HOST, trafficPolicy });
const TP = ["trafficPolicy"];

describe("validateIstioSpec (Istio's semantic validation, ported from pkg/config/validation)", () => {
    table("TestValidateGateway", "Gateway", [
        ["empty", {}, ["servers"]],
        ["happy domain", gw({ hosts: ["foo.bar.com"], port: { name: "name1", number: 7, protocol: "http" } }), "valid"],
        ["k8s gateway-api ~/host without gateway semantics", gw({ hosts: ["~/foo.bar.com"], port: { name: "name1", number: 7, protocol: "http" } }), ["servers", 0, "hosts", 0]],
        ["invalid port", gw({ hosts: ["foo.bar.com"], port: { name: "name1", number: 66000, protocol: "http" } }), ["servers", 0, "port", "number"]],
        [
            "duplicate port names",
            {
                servers: [
                    { hosts: ["foo.bar.com"], port: { name: "foo", number: 80, protocol: "http" } },
                    { hosts: ["scooby.doo.com"], port: { name: "foo", number: 8080, protocol: "http" } },
                ],
            },
            ["servers", 1, "port", "name"],
        ],
        ["invalid domain", gw({ hosts: ["foo.*.bar.com"], port: { number: 7, protocol: "http" } }), ["servers", 0, "hosts", 0]],
        ["valid httpsRedirect", gw({ hosts: ["bar.com"], port: { name: "http", number: 80, protocol: "http" }, tls: { httpsRedirect: true } }), "valid"],
        ["invalid https httpsRedirect", gw({ hosts: ["bar.com"], port: { name: "https", number: 80, protocol: "https" }, tls: { httpsRedirect: true } }), { warning: ["servers", 0, "tls", "httpsRedirect"] }],
        ["invalid partial wildcard", gw({ hosts: ["*bar.com"], port: { name: "tls", number: 443, protocol: "tls" }, tls: { mode: "ISTIO_MUTUAL" } }), ["servers", 0, "hosts", 0]],
    ]);

    const http7 = { number: 7, name: "http", protocol: "http" };
    table("TestValidateServer", "Gateway", [
        ["empty: host", gw({}), ["servers", 0, "hosts"]],
        ["empty: port", gw({}), ["servers", 0, "port"]],
        ["happy", gw({ hosts: ["foo.bar.com"], port: http7 }), "valid"],
        ["happy ip", gw({ hosts: ["1.1.1.1"], port: http7 }), "valid"],
        ["happy ns/name", gw({ hosts: ["ns1/foo.bar.com"], port: http7 }), "valid"],
        ["happy */name", gw({ hosts: ["*/foo.bar.com"], port: http7 }), "valid"],
        ["happy ./name", gw({ hosts: ["./foo.bar.com"], port: http7 }), "valid"],
        ["invalid ~/name", gw({ hosts: ["~/foo.bar.com"], port: http7 }), ["servers", 0, "hosts", 0]],
        ["invalid domain ns/name format", gw({ hosts: ["ns1/foo.*.bar.com"], port: http7 }), ["servers", 0, "hosts", 0]],
        ["invalid domain", gw({ hosts: ["foo.*.bar.com"], port: http7 }), ["servers", 0, "hosts", 0]],
        ["invalid short name host", gw({ hosts: ["foo"], port: http7 }), ["servers", 0, "hosts", 0]],
        ["invalid port", gw({ hosts: ["foo.bar.com"], port: { number: 66000, name: "http", protocol: "http" } }), ["servers", 0, "port", "number"]],
        ["invalid tls options", gw({ hosts: ["foo.bar.com"], port: { number: 1, name: "http", protocol: "http" }, tls: { mode: "SIMPLE" } }), ["servers", 0, "tls", "serverCertificate"]],
        ["no tls on HTTPS", gw({ hosts: ["foo.bar.com"], port: { number: 10000, name: "https", protocol: "https" } }), ["servers", 0, "tls"]],
        ["tls on HTTP", gw({ hosts: ["foo.bar.com"], port: { number: 10000, name: "http", protocol: "http" }, tls: { mode: "SIMPLE" } }), ["servers", 0, "tls"]],
        ["tls redirect on HTTP", gw({ hosts: ["foo.bar.com"], port: { number: 10000, name: "http", protocol: "http" }, tls: { httpsRedirect: true } }), "valid"],
        ["bind ip", gw({ hosts: ["foo.bar.com"], port: http7, bind: "127.0.0.1" }), "valid"],
        ["bind unix path with invalid port", gw({ hosts: ["foo.bar.com"], port: http7, bind: "unix://@foobar" }), ["servers", 0, "port", "number"]],
        ["bind unix path", gw({ hosts: ["foo.bar.com"], port: { number: 0, name: "http", protocol: "http" }, bind: "unix://@foobar" }), "valid"],
        ["bind bad ip", gw({ hosts: ["foo.bar.com"], port: { number: 0, name: "http", protocol: "http" }, bind: "foo.bar" }), ["servers", 0, "bind"]],
    ]);

    const srv = (port: Json, bind?: string): Json => gw({ hosts: ["foo.bar.com"], port, ...(bind === undefined ? {} : { bind }) });
    table("TestValidateServerPort", "Gateway", [
        ["empty: protocol", srv({}), ["servers", 0, "port", "protocol"]],
        ["empty: name", srv({}), ["servers", 0, "port", "name"]],
        ["happy", srv({ protocol: "http", number: 1, name: "Henry" }), "valid"],
        ["invalid protocol", srv({ protocol: "kafka", number: 1, name: "Henry" }), ["servers", 0, "port", "protocol"]],
        ["invalid number", srv({ protocol: "http", number: 1 << 30, name: "http" }), ["servers", 0, "port", "number"]],
        ["name, no number", srv({ protocol: "http", number: 0, name: "Henry" }), ["servers", 0, "port", "number"]],
        ["name, no number, uds", srv({ protocol: "http", number: 0, name: "Henry" }, "uds:///tmp"), ["servers", 0, "port", "number"]],
    ]);

    const picard = "Captain Jean-Luc Picard";
    const khan = "Khan Noonien Singh";
    const riker = "Commander William T. Riker";
    const data = "Lieutenant Commander Data";
    table("TestValidateTlsOptions", "Gateway", [
        ["empty", gwTls({}), "valid"],
        ["simple", gwTls({ mode: "SIMPLE", serverCertificate: picard, privateKey: khan }), "valid"],
        ["simple with client bundle", gwTls({ mode: "SIMPLE", serverCertificate: picard, privateKey: khan, caCertificates: riker }), "valid"],
        ["simple sds with client bundle", gwTls({ mode: "SIMPLE", credentialName: "sds-name" }), "valid"],
        ["simple sds with client bundle but with server cert", gwTls({ mode: "SIMPLE", serverCertificate: picard, privateKey: khan, credentialName: "sds-name" }), T],
        ["simple no server cert", gwTls({ mode: "SIMPLE", privateKey: khan }), [...T, "serverCertificate"]],
        ["simple no private key", gwTls({ mode: "SIMPLE", serverCertificate: picard }), [...T, "privateKey"]],
        [
            "simple more than 2 certs",
            gwTls({ mode: "SIMPLE", tlsCertificates: [{ serverCertificate: picard, privateKey: khan }, { serverCertificate: riker, privateKey: riker }, { serverCertificate: data, privateKey: data }] }),
            { warning: [...T, "tlsCertificates"] },
        ],
        ["simple with both server cert and tls certs", gwTls({ mode: "SIMPLE", serverCertificate: picard, privateKey: khan, tlsCertificates: [{ serverCertificate: picard, privateKey: khan }, { serverCertificate: data, privateKey: data }] }), T],
        ["simple 2 certs with missing certificate", gwTls({ mode: "SIMPLE", tlsCertificates: [{ privateKey: riker }, { serverCertificate: riker, privateKey: riker }] }), [...T, "tlsCertificates", 0, "serverCertificate"]],
        ["simple 2 certs with missing private key", gwTls({ mode: "SIMPLE", tlsCertificates: [{ serverCertificate: picard }, { serverCertificate: riker, privateKey: riker }] }), [...T, "tlsCertificates", 0, "privateKey"]],
        ["simple sds no server cert", gwTls({ mode: "SIMPLE", privateKey: khan, credentialName: "sds-name" }), "valid"],
        ["simple sds no private key", gwTls({ mode: "SIMPLE", serverCertificate: picard, credentialName: "sds-name" }), "valid"],
        ["mutual", gwTls({ mode: "MUTUAL", serverCertificate: picard, privateKey: khan, caCertificates: riker }), "valid"],
        ["mutual sds", gwTls({ mode: "MUTUAL", caCertificates: riker, credentialName: "sds-name" }), "valid"],
        ["mutual sds with credential name and server cert", gwTls({ mode: "MUTUAL", serverCertificate: picard, privateKey: khan, caCertificates: riker, credentialName: "sds-name" }), T],
        ["mutual sds with credential name and tls certs", gwTls({ mode: "MUTUAL", caCertificates: riker, tlsCertificates: [{ serverCertificate: picard, privateKey: khan }], credentialName: "sds-name" }), T],
        ["mutual no server cert", gwTls({ mode: "MUTUAL", privateKey: khan, caCertificates: riker }), [...T, "serverCertificate"]],
        ["credential names and certificates", gwTls({ mode: "MUTUAL", serverCertificate: "/etc/istio/certs/server/cert", privateKey: "/etc/istio/certs/server/key", credentialNames: ["server-certs"] }), T],
        ["credential names and tls certificates", gwTls({ mode: "MUTUAL", tlsCertificates: [{ serverCertificate: "/c", privateKey: "/k", caCertificates: "/ca" }], credentialNames: ["server-certs"] }), T],
        ["only tls certificates", gwTls({ mode: "MUTUAL", tlsCertificates: [{ serverCertificate: "/c", privateKey: "/k" }], caCertificates: "/ca" }), "valid"],
        ["mutual sds no server cert", gwTls({ mode: "MUTUAL", privateKey: khan, caCertificates: riker, credentialName: "sds-name" }), "valid"],
        ["mutual no client CA bundle", gwTls({ mode: "MUTUAL", serverCertificate: picard, privateKey: khan }), [...T, "caCertificates"]],
        ["mutual no certs: server certificate", gwTls({ mode: "MUTUAL" }), [...T, "serverCertificate"]],
        ["mutual no certs: private key", gwTls({ mode: "MUTUAL" }), [...T, "privateKey"]],
        ["mutual no certs: client CA bundle", gwTls({ mode: "MUTUAL" }), [...T, "caCertificates"]],
        [
            "mutual more than 2 certs",
            gwTls({ mode: "MUTUAL", caCertificates: riker, tlsCertificates: [{ serverCertificate: picard, privateKey: khan }, { serverCertificate: riker, privateKey: riker }, { serverCertificate: data, privateKey: data }] }),
            { warning: [...T, "tlsCertificates"] },
        ],
        ["mutual 2 certs with missing certificate", gwTls({ mode: "MUTUAL", caCertificates: data, tlsCertificates: [{ privateKey: riker }, { serverCertificate: riker, privateKey: riker }] }), [...T, "tlsCertificates", 0, "serverCertificate"]],
        ["mutual 2 certs with missing CA certificate", gwTls({ mode: "MUTUAL", tlsCertificates: [{ serverCertificate: picard, privateKey: khan }, { serverCertificate: riker, privateKey: riker }] }), [...T, "caCertificates"]],
        ["optional mutual no certs: server certificate", gwTls({ mode: "OPTIONAL_MUTUAL" }), [...T, "serverCertificate"]],
        ["optional mutual no certs: client CA bundle", gwTls({ mode: "OPTIONAL_MUTUAL" }), [...T, "caCertificates"]],
        ["pass through sds no certs", gwTls({ mode: "PASSTHROUGH", credentialName: "sds-name" }), { warning: T }],
        ["pass through sds crl", gwTls({ mode: "PASSTHROUGH", caCrl: "scrl" }), { warning: T }],
        ["istio_mutual no certs", gwTls({ mode: "ISTIO_MUTUAL" }), "valid"],
        ["istio_mutual with server cert", gwTls({ mode: "ISTIO_MUTUAL", serverCertificate: picard }), [...T, "serverCertificate"]],
        ["istio_mutual with client bundle", gwTls({ mode: "ISTIO_MUTUAL", serverCertificate: picard, privateKey: khan, caCertificates: riker }), [...T, "caCertificates"]],
        ["istio_mutual with private key", gwTls({ mode: "ISTIO_MUTUAL", privateKey: khan }), [...T, "privateKey"]],
        ["istio_mutual with credential name", gwTls({ mode: "ISTIO_MUTUAL", credentialName: "some-cred" }), [...T, "credentialName"]],
        ["invalid cipher suites", gwTls({ mode: "SIMPLE", credentialName: "sds-name", cipherSuites: ["not-a-cipher-suite"] }), { warning: [...T, "cipherSuites"] }],
        ["valid cipher suites", gwTls({ mode: "SIMPLE", credentialName: "sds-name", cipherSuites: ["ECDHE-ECDSA-AES128-SHA"] }), "valid"],
        ["cipher suites operations", gwTls({ mode: "SIMPLE", credentialName: "sds-name", cipherSuites: ["-ECDHE-ECDSA-AES128-SHA"] }), "valid"],
        ["duplicate cipher suites", gwTls({ mode: "SIMPLE", credentialName: "sds-name", cipherSuites: ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA"] }), { warning: [...T, "cipherSuites"] }],
        ["invalid cipher suites with invalid config", gwTls({ mode: "SIMPLE", cipherSuites: ["not-a-cipher-suite"] }), { error: [...T, "privateKey"], warning: [...T, "cipherSuites"] }],
        ["crl specified for SIMPLE TLS", gwTls({ mode: "SIMPLE", caCrl: "crl" }), [...T, "caCrl"]],
        ["crl specified for CredentialName", gwTls({ mode: "SIMPLE", caCrl: "crl", credentialName: "credential" }), "valid"],
        ["mutual no private key", gwTls({ mode: "MUTUAL", serverCertificate: khan, caCertificates: riker }), [...T, "privateKey"]],
        ["with CredentialNames", gwTls({ mode: "MUTUAL", credentialNames: ["credential1", "credential2"] }), "valid"],
    ]);

    const C = [...H, "corsPolicy"];
    const cors = (policy: Json): Json => vsRoute({ corsPolicy: { allowMethods: ["GET", "POST"], allowHeaders: ["header1", "header2"], exposeHeaders: ["header3"], maxAge: "2s", ...policy } });
    table("TestValidateCORSPolicy", "VirtualService", [
        ["valid", cors({}), "valid"],
        ["bad method", cors({ allowMethods: ["GET", "PUTT"] }), [...C, "allowMethods", 1]],
        ["bad header", cors({ exposeHeaders: [""] }), [...C, "exposeHeaders", 0]],
        ["bad max age", cors({ maxAge: "2.000000042s" }), [...C, "maxAge"]],
        ["empty matchType AllowOrigins", cors({ allowOrigins: [{ exact: "" }, { prefix: "" }, { regex: "" }] }), [...C, "allowOrigins", 0]],
        ["non empty matchType AllowOrigins", cors({ allowOrigins: [{ exact: "exact" }, { prefix: "prefix" }, { regex: "regex" }] }), "valid"],
    ]);

    const status = (s: number): Json => vsHttp({ directResponse: { status: s } });
    table("TestValidateHTTPStatus", "VirtualService", [
        ["-100", status(-100), [...H, "directResponse", "status"]],
        ["0", status(0), [...H, "directResponse", "status"]],
        ["200", status(200), "valid"],
        ["600", status(600), "valid"],
        ["601", status(601), [...H, "directResponse", "status"]],
    ]);

    const A = [...H, "fault", "abort"];
    const abort = (a: Json): Json => vsRoute({ fault: { abort: a } });
    table("TestValidateHTTPFaultInjectionAbort", "VirtualService", [
        ["valid", abort({ percentage: { value: 20 }, httpStatus: 200 }), "valid"],
        ["valid default", abort({ httpStatus: 200 }), "valid"],
        ["invalid http status", abort({ percentage: { value: 20 }, httpStatus: 9000 }), [...A, "httpStatus"]],
        ["invalid low http status", abort({ percentage: { value: 20 }, httpStatus: 100 }), [...A, "httpStatus"]],
        ["valid percentage", abort({ percentage: { value: 0.001 }, httpStatus: 200 }), "valid"],
        ["invalid fractional percent", abort({ percentage: { value: -10 }, httpStatus: 200 }), [...A, "percentage", "value"]],
        ["grpc: valid", abort({ percentage: { value: 20 }, grpcStatus: "DEADLINE_EXCEEDED" }), "valid"],
        ["grpc: valid default percentage", abort({ grpcStatus: "DEADLINE_EXCEEDED" }), "valid"],
        ["grpc: invalid status", abort({ percentage: { value: 20 }, grpcStatus: "BAD_STATUS" }), [...A, "grpcStatus"]],
        ["grpc: valid percentage", abort({ percentage: { value: 0.001 }, grpcStatus: "INTERNAL" }), "valid"],
        ["grpc: invalid fractional percent", abort({ percentage: { value: -10 }, grpcStatus: "DEADLINE_EXCEEDED" }), [...A, "percentage", "value"]],
        ["http2Error is not supported", abort({ http2Error: "REFUSED_STREAM" }), [...A, "http2Error"]],
        ["no error type", abort({ percentage: { value: 1 } }), { warning: A }],
    ]);

    const D = [...H, "fault", "delay"];
    const delay = (d: Json): Json => vsRoute({ fault: { delay: d } });
    table("TestValidateHTTPFaultInjectionDelay", "VirtualService", [
        ["valid fixed", delay({ percentage: { value: 20 }, fixedDelay: "3s" }), "valid"],
        ["valid default", delay({ fixedDelay: "3s" }), "valid"],
        ["invalid percent", delay({ percentage: { value: 101 }, fixedDelay: "3s" }), [...D, "percentage", "value"]],
        ["invalid delay", delay({ percentage: { value: 20 }, fixedDelay: "3.000000042s" }), [...D, "fixedDelay"]],
        ["valid fractional percentage", delay({ percentage: { value: 0.001 }, fixedDelay: "3s" }), "valid"],
        ["invalid fractional percentage", delay({ percentage: { value: -10 }, fixedDelay: "3s" }), [...D, "percentage", "value"]],
        ["exponentialDelay is not supported", delay({ exponentialDelay: "1s" }), [...D, "exponentialDelay"]],
        ["fault with neither abort nor delay", vsRoute({ fault: {} }), [...H, "fault"]],
    ]);

    const R = [...H, "retries"];
    const retries = (r: Json): Json => vsRoute({ retries: r });
    table("TestValidateHTTPRetry", "VirtualService", [
        ["valid", retries({ attempts: 10, perTryTimeout: "2s", retryOn: "5xx,gateway-error" }), "valid"],
        ["disable retries", retries({ attempts: 0 }), "valid"],
        ["invalid, retry policy configured but attempts set to zero", retries({ attempts: 0, perTryTimeout: "2s", retryOn: "5xx,gateway-error" }), [...R, "attempts"]],
        ["valid default", retries({ attempts: 10 }), "valid"],
        ["valid http status retryOn", retries({ attempts: 10, perTryTimeout: "2s", retryOn: "503,connect-failure" }), "valid"],
        ["invalid attempts", retries({ attempts: -1, perTryTimeout: "2s" }), [...R, "attempts"]],
        ["invalid timeout", retries({ attempts: 10, perTryTimeout: "2.000000001s" }), [...R, "perTryTimeout"]],
        ["timeout too small", retries({ attempts: 10, perTryTimeout: "999ns" }), [...R, "perTryTimeout"]],
        ["invalid backoff", retries({ attempts: 10, backoff: "999ns" }), [...R, "backoff"]],
        ["invalid policy retryOn", retries({ attempts: 10, perTryTimeout: "2s", retryOn: "5xx,invalid policy" }), [...R, "retryOn"]],
        ["invalid http status retryOn", retries({ attempts: 10, perTryTimeout: "2s", retryOn: "600,connect-failure" }), [...R, "retryOn"]],
        ["invalid, retryRemoteLocalities configured but attempts set to zero", retries({ attempts: 0, retryRemoteLocalities: false }), [...R, "attempts"]],
    ]);

    const RW = [...H, "rewrite"];
    const regexRewrite = { match: "^/service/([^/]+)(/.*)$", rewrite: "\\2/instance/\\1" };
    table("TestValidateHTTPRewrite", "VirtualService", [
        ["uri and authority", vsRoute({ rewrite: { uri: "/path/to/resource", authority: "foobar.org" } }), "valid"],
        ["uri", vsRoute({ rewrite: { uri: "/path/to/resource" } }), "valid"],
        ["authority", vsRoute({ rewrite: { authority: "foobar.org" } }), "valid"],
        ["uriRegexRewrite", vsRoute({ rewrite: { uriRegexRewrite: regexRewrite } }), "valid"],
        ["uriRegexRewrite and authority", vsRoute({ rewrite: { authority: "foobar.org", uriRegexRewrite: regexRewrite } }), "valid"],
        ["uriRegexRewrite and uri", vsRoute({ rewrite: { uri: "/path/to/resource", uriRegexRewrite: regexRewrite } }), [...RW, "uriRegexRewrite"]],
        ["no uri, uriRegexRewrite, or authority", vsRoute({ rewrite: {} }), RW],
    ]);

    table("TestValidateUriRegexRewrite", "VirtualService", [
        ["uriRegexRewrite happy path", vsRoute({ rewrite: { uriRegexRewrite: regexRewrite } }), "valid"],
        ["uriRegexRewrite missing match", vsRoute({ rewrite: { uriRegexRewrite: { rewrite: "\\2/instance/\\1" } } }), [...RW, "uriRegexRewrite", "match"]],
        ["uriRegexRewrite missing rewrite", vsRoute({ rewrite: { uriRegexRewrite: { match: "^/service/([^/]+)(/.*)$" } } }), [...RW, "uriRegexRewrite", "rewrite"]],
        ["uriRegexRewrite invalid regex patterns", vsRoute({ rewrite: { uriRegexRewrite: { match: "[", rewrite: "[" } } }), [...RW, "uriRegexRewrite", "match"]],
    ]);

    const sePort = (name: string): Json => ({ hosts: ["foo.bar.com"], resolution: "DNS", ports: [{ number: 80, name, protocol: "http" }] });
    table("TestValidatePortName", "ServiceEntry", [
        ["empty", sePort(""), ["ports", 0, "name"]],
        ["simple", sePort("simple"), "valid"],
        ["full", sePort("full"), "valid"],
        ["too long", sePort("toolong".repeat(14)), ["ports", 0, "name"]],
    ]);

    const RD = [...H, "redirect"];
    const redirect = (r: Json): Json => vsHttp({ redirect: r });
    table("TestValidateHTTPRedirect", "VirtualService", [
        ["empty uri and authority", redirect({ uri: "", authority: "" }), RD],
        ["too small redirect code", redirect({ uri: "t", redirectCode: 299 }), [...RD, "redirectCode"]],
        ["too large redirect code", redirect({ uri: "t", redirectCode: 400 }), [...RD, "redirectCode"]],
        ["empty authority", redirect({ uri: "t", authority: "" }), "valid"],
        ["empty uri", redirect({ uri: "", authority: "t" }), "valid"],
        ["empty redirect code", redirect({ uri: "t", authority: "t", redirectCode: 0 }), "valid"],
        ["normal redirect", redirect({ uri: "t", authority: "t", redirectCode: 308 }), "valid"],
        ["prefix_rewrite alone", redirect({ prefixRewrite: "/bar" }), "valid"],
        ["prefix_rewrite with authority", redirect({ authority: "foo.example.com", prefixRewrite: "/" }), "valid"],
        ["uri and prefix_rewrite mutually exclusive", redirect({ uri: "/old", prefixRewrite: "/new" }), [...RD, "prefixRewrite"]],
        ["prefix_rewrite needs prefix URI matches", vsHttp({ match: [{ uri: { exact: "/a" } }], redirect: { prefixRewrite: "/b" } }), [...RD, "prefixRewrite"]],
        ["bad scheme", redirect({ scheme: "ftp" }), [...RD, "scheme"]],
    ]);

    const DR = [...H, "directResponse"];
    const direct = (d: Json): Json => vsHttp({ directResponse: d });
    const b64 = (n: number): string => Buffer.from("a".repeat(n)).toString("base64");
    table("TestValidateHTTPDirectResponse", "VirtualService", [
        ["status 200", direct({ status: 200 }), "valid"],
        ["status 100", direct({ status: 199 }), [...DR, "status"]],
        ["status 600", direct({ status: 601 }), [...DR, "status"]],
        ["with string body", direct({ status: 200, body: { string: "hello" } }), "valid"],
        ["with string body over 100kb", direct({ status: 200, body: { string: "a".repeat(101 * 1024) } }), { warning: [...DR, "body"] }],
        ["with string body over 1mb", direct({ status: 200, body: { string: "a".repeat(2 * 1024 * 1024) } }), [...DR, "body"]],
        ["with bytes body", direct({ status: 200, body: { bytes: b64(5) } }), "valid"],
        ["with bytes body over 100kb", direct({ status: 200, body: { bytes: b64(100 * 1024 + 1) } }), { warning: [...DR, "body"] }],
        ["with bytes body over 1mb", direct({ status: 200, body: { bytes: b64(1024 * 1024 + 1) } }), [...DR, "body"]],
    ]);

    const DS = [...H, "route", 0, "destination"];
    const toDest = (d: Json): Json => vsHttp({ route: [{ destination: d }] });
    table("TestValidateDestination", "VirtualService", [
        ["empty", toDest({}), [...DS, "host"]],
        ["simple", toDest({ host: "foo.bar" }), "valid"],
        ["full", toDest({ host: "foo.bar", subset: "shiny", port: { number: 5000 } }), "valid"],
        ["unnumbered-selector", toDest({ host: "foo.bar", subset: "shiny", port: {} }), [...DS, "port", "number"]],
        ["wildcard host", toDest({ host: "*" }), [...DS, "host"]],
        ["bad subset", toDest({ host: "foo.bar", subset: "Not_A_Label" }), [...DS, "subset"]],
    ]);

    const RT = [...H, "route"];
    const to = (host: string, weight?: number): Json => ({ destination: { host }, ...(weight === undefined ? {} : { weight }) });
    const hdrs = (headers: Json): Json => vsHttp({ route: [{ destination: { host: "foo.baz" }, headers }] });
    const RH = [...H, "route", 0, "headers"];
    /** The header-operation cases TestValidateHTTPRoute and TestValidateDelegateHTTPRoute share (each route type has them). */
    const headerCases = (wrap: (headers: Json) => Json): Case[] => [
        ["valid headers", wrap({ request: { add: { name: "" }, set: { name: "" }, remove: ["name"] }, response: { add: { name: "" }, set: { name: "" }, remove: ["name"] } }), "valid"],
        ["empty header name - request add", wrap({ request: { add: { "": "value" } } }), [...RH, "request", "add", ""]],
        ["empty header name - request set", wrap({ request: { set: { "": "value" } } }), [...RH, "request", "set", ""]],
        ["empty header name - request remove", wrap({ request: { remove: [""] } }), [...RH, "request", "remove", 0]],
        ["empty header name - response add", wrap({ response: { add: { "": "value" } } }), [...RH, "response", "add", ""]],
        ["empty header name - response set", wrap({ response: { set: { "": "value" } } }), [...RH, "response", "set", ""]],
        ["empty header name - response remove", wrap({ response: { remove: [""] } }), [...RH, "response", "remove", 0]],
    ];
    table("TestValidateHTTPRoute", "VirtualService", [
        ["empty", vsHttp({}), H],
        ["simple", vsHttp({ route: [to("foo.baz")] }), "valid"],
        ["no destination", vsHttp({ route: [{}] }), [...RT, 0]],
        ["weighted", vsHttp({ route: [to("foo.baz.south", 25), to("foo.baz.east", 75)] }), "valid"],
        ["total weight > 100", vsHttp({ route: [to("foo.baz.south", 550), to("foo.baz.east", 500)] }), "valid"],
        ["total weight < 100", vsHttp({ route: [to("foo.baz.south", 49), to("foo.baz.east", 50)] }), "valid"],
        ["simple redirect", vsHttp({ redirect: { uri: "/lerp", authority: "foo.biz" } }), "valid"],
        ["prefix_rewrite redirect with prefix URI match", vsHttp({ match: [{ uri: { prefix: "/foo" } }], redirect: { prefixRewrite: "/bar" } }), "valid"],
        ["prefix_rewrite redirect with exact URI match is invalid", vsHttp({ match: [{ uri: { exact: "/foo" } }], redirect: { prefixRewrite: "/bar" } }), [...H, "redirect", "prefixRewrite"]],
        ["prefix_rewrite redirect with regex URI match is invalid", vsHttp({ match: [{ uri: { regex: "/foo.*" } }], redirect: { prefixRewrite: "/bar" } }), [...H, "redirect", "prefixRewrite"]],
        ["prefix_rewrite redirect with no URI match (wildcard) is valid", vsHttp({ match: [{ headers: { "x-foo": { exact: "bar" } } }], redirect: { prefixRewrite: "/bar" } }), "valid"],
        ["conflicting redirect and route", vsHttp({ route: [to("foo.baz")], redirect: { uri: "/lerp", authority: "foo.biz" } }), [...H, "redirect"]],
        ...headerCases(hdrs),
        ["envoy escaped % set", hdrs({ response: { set: { "i-love-istio": "100%%" } } }), "valid"],
        ["envoy variable set", hdrs({ response: { set: { name: "%HOSTNAME%" } } }), "valid"],
        ["envoy unescaped % set", hdrs({ response: { set: { name: "abcd%oijasodifj" } } }), [...RH, "response", "set", "name"]],
        ["envoy escaped % add", hdrs({ response: { add: { "i-love-istio": "100%% and more" } } }), "valid"],
        ["envoy variable add", hdrs({ response: { add: { name: "hello %HOSTNAME%" } } }), "valid"],
        ["envoy unescaped % add", hdrs({ response: { add: { name: "abcd%oijasodifj" } } }), [...RH, "response", "add", "name"]],
        ["null header match", vsRoute({ match: [{ headers: { header: null } }] }), [...H, "match", 0, "headers", "header"]],
        ["empty prefix header match", vsRoute({ match: [{ headers: { emptyprefix: { prefix: "" } } }] }), [...H, "match", 0, "headers", "emptyprefix", "prefix"]],
        ["nil match", vsRoute({}), "valid"],
        ["match with nil element", vsRoute({ match: [null] }), "valid"],
        ["invalid mirror percent", vsRoute({ mirrorPercent: 101 }), [...H, "mirrorPercent"]],
        ["invalid mirror percentage", vsRoute({ mirrorPercentage: { value: 101 } }), [...H, "mirrorPercentage", "value"]],
        ["valid mirror percentage", vsRoute({ mirrorPercentage: { value: 1 } }), "valid"],
        ["negative mirror percentage", vsRoute({ mirrorPercentage: { value: -1 } }), [...H, "mirrorPercentage", "value"]],
        ["mirrors without destination", vsRoute({ mirrors: [{}] }), [...H, "mirrors", 0]],
        ["mirrors invalid mirror percentage", vsRoute({ mirrors: [{ destination: { host: "foo.baz" } }, { destination: { host: "foo.baz" }, percentage: { value: 101 } }] }), [...H, "mirrors", 1, "percentage", "value"]],
        ["mirrors valid mirror percentage", vsRoute({ mirrors: [{ destination: { host: "foo.baz" }, percentage: { value: 1 } }, { destination: { host: "foo.baz" }, percentage: { value: 50 } }] }), "valid"],
        ["mirrors negative mirror percentage", vsRoute({ mirrors: [{ destination: { host: "foo.baz" }, percentage: { value: -1 } }] }), [...H, "mirrors", 0, "percentage", "value"]],
        ["conflicting mirror and mirrors", vsRoute({ mirror: { host: "foo.baz" }, mirrors: [{ destination: { host: "foo.bar" } }] }), [...H, "mirrors"]],
        ["deprecated mirrorPercent warns", vsRoute({ mirrorPercent: 50 }), { warning: [...H, "mirrorPercent"] }],
        ["authority rewritten twice", vsRoute({ rewrite: { authority: "a.com" }, headers: { request: { set: { host: "b.com" } } } }), [...H, "headers", "request", "set", "host"]],
        ["pseudo-header cannot be set", vsRoute({ headers: { request: { set: { ":path": "/x" } } } }), [...H, "headers", "request", "set", ":path"]],
        ["Host cannot be removed", vsRoute({ headers: { request: { remove: ["Host"] } } }), [...H, "headers", "request", "remove", 0]],
        ["header value with a newline", vsRoute({ headers: { request: { set: { x: "a\nb" } } } }), [...H, "headers", "request", "set", "x"]],
        ["route timeout below 1ms", vsRoute({ timeout: "500us" }), [...H, "timeout"]],
        ["bad header name in a match", vsRoute({ match: [{ headers: { "bad header": { exact: "x" } } }] }), [...H, "match", 0, "headers", "bad header"]],
        ["lookahead regex is not RE2", vsRoute({ match: [{ uri: { regex: "/(?=a)" } }] }), [...H, "match", 0, "uri", "regex"]],
        ["bad sourceNamespace", vsRoute({ match: [{ sourceNamespace: "Not_A_Label" }] }), [...H, "match", 0, "sourceNamespace"]],
    ]);

    const tcp = (route: Json[]): Json => ({ hosts: [HOST], tcp: [{ route }] });
    const TR = ["tcp", 0, "route"];
    table("TestValidateRouteDestination", "VirtualService", [
        ["simple", tcp([to("foo.baz")]), "valid"],
        ["wildcard dash", tcp([to("*-foo.baz")]), "valid"],
        ["wildcard prefix", tcp([to("*foo.baz")]), "valid"],
        ["wildcard", tcp([to("*")]), [...TR, 0, "destination", "host"]],
        ["bad wildcard", tcp([to("foo.*")]), [...TR, 0, "destination", "host"]],
        ["bad fqdn", tcp([to("default/baz")]), [...TR, 0, "destination", "host"]],
        ["no destination", tcp([{}]), [...TR, 0]],
        ["weighted", tcp([to("foo.baz.south", 25), to("foo.baz.east", 75)]), "valid"],
        ["weight < 0", tcp([to("foo.baz.south", 5), to("foo.baz.east", -1)]), [...TR, 1, "weight"]],
        ["total weight > 100", tcp([to("foo.baz.south", 550), to("foo.baz.east", 500)]), "valid"],
        ["total weight < 100", tcp([to("foo.baz.south", 49), to("foo.baz.east", 50)]), "valid"],
        ["total weight = 100", tcp([to("foo.baz.south", 100), to("foo.baz.east", 0)]), "valid"],
        ["weight = 0", tcp([to("foo.baz.south", 0)]), "valid"],
        ["total weight = 0 with multi RouteDestination", tcp([to("foo.baz.south", 0), to("foo.baz.east", 0)]), TR],
    ]);

    const toBaz = [to("foo.baz")];
    table("TestValidateVirtualService", "VirtualService", [
        ["simple", { hosts: ["foo.bar"], http: [{ route: toBaz }] }, "valid"],
        [
            "allow sni based domains",
            {
                hosts: ["outbound_.15010_._.istiod.istio-system.svc.cluster.local"],
                gateways: ["ns1/gateway"],
                tls: [{ match: [{ sniHosts: ["outbound_.15010_._.istiod.istio-system.svc.cluster.local"] }], route: [to("istio.istio-system.svc.cluster.local")] }],
            },
            "valid",
        ],
        ["duplicate hosts", { hosts: ["*.foo.bar", "*.bar"], http: [{ route: toBaz }] }, ["hosts", 1]],
        ["with no destination", { hosts: ["*.foo.bar", "*.bar"], http: [{ route: [{}] }] }, ["http", 0, "route", 0]],
        ["destination with out hosts", { hosts: ["*.foo.bar", "*.bar"], http: [{ route: [{ destination: {} }] }] }, ["http", 0, "route", 0, "destination", "host"]],
        ["delegate with no hosts", { http: [{ route: toBaz }] }, "valid"],
        ["bad host", { hosts: ["foo.ba!r"], http: [{ route: toBaz }] }, ["hosts", 0]],
        ["no tcp or http routing", { hosts: ["foo.bar"] }, []],
        ["bad gateway", { hosts: ["foo.bar"], gateways: ["b@dgateway"], http: [{ route: toBaz }] }, ["gateways", 0]],
        ["FQDN for gateway", { hosts: ["foo.bar"], gateways: ["gateway.example.com"], http: [{ route: toBaz }] }, { warning: ["gateways", 0] }],
        ["namespace/name for gateway", { hosts: ["foo.bar"], gateways: ["ns1/gateway"], http: [{ route: toBaz }] }, "valid"],
        ["namespace/* for gateway", { hosts: ["foo.bar"], gateways: ["ns1/*"], http: [{ route: toBaz }] }, ["gateways", 0]],
        ["*/name for gateway", { hosts: ["foo.bar"], gateways: ["*/gateway"], http: [{ route: toBaz }] }, ["gateways", 0]],
        ["wildcard for mesh gateway", { hosts: ["*"], http: [{ route: toBaz }] }, ["hosts", 0]],
        ["wildcard for non-mesh gateway", { hosts: ["*"], gateways: ["somegateway"], http: [{ route: toBaz }] }, "valid"],
        ["missing tcp route", { hosts: ["foo.bar"], tcp: [{ match: [{ port: 999 }] }] }, ["tcp", 0, "route"]],
        ["missing tls route", { hosts: ["foo.bar"], tls: [{ match: [{ port: 999, sniHosts: ["foo.bar"] }] }] }, ["tls", 0, "route"]],
        ["deprecated mirror", { hosts: ["foo.bar"], gateways: ["ns1/gateway"], http: [{ mirrorPercent: 5, route: toBaz }] }, { warning: ["http", 0, "mirrorPercent"] }],
        ["set authority", { hosts: ["foo.bar"], http: [{ headers: { request: { set: { ":authority": "foo" } } }, route: toBaz }] }, "valid"],
        ["set authority in destination", { hosts: ["foo.bar"], http: [{ route: [{ destination: { host: "foo.baz" }, headers: { request: { set: { ":authority": "foo" } } } }] }] }, "valid"],
        ["set authority in rewrite and header", { hosts: ["foo.bar"], http: [{ headers: { request: { set: { ":authority": "foo" } } }, rewrite: { authority: "bar" }, route: toBaz }] }, ["http", 0, "headers", "request", "set", ":authority"]],
        [
            "non-method-get",
            { hosts: ["foo.bar"], http: [{ route: toBaz, match: [{ uri: { prefix: "/api/v1/product" } }, { uri: { prefix: "/api/v1/products" }, method: { exact: "GET" } }] }] },
            { warning: ["http", 0, "match", 1] },
        ],
        ["uri-with-prefix-exact", { hosts: ["foo.bar"], http: [{ route: toBaz, match: [{ uri: { prefix: "/" } }, { uri: { exact: "/" }, method: { exact: "GET" } }] }] }, "valid"],
        [
            "jwt claim route without gateway",
            { hosts: ["foo.bar"], gateways: ["mesh"], http: [{ route: toBaz, match: [{ uri: { prefix: "/" }, headers: { "@request.auth.claims.foo": { exact: "bar" } } }] }] },
            ["http", 0, "match", 0, "headers", "@request.auth.claims.foo"],
        ],
        ["jwt claim route with a gateway", { hosts: ["foo.bar"], gateways: ["ns1/gateway"], http: [{ route: toBaz, match: [{ headers: { "@request.auth.claims.foo": { exact: "bar" } } }] }] }, "valid"],
        ["ip address as sni host", { hosts: ["foo.bar"], tls: [{ route: toBaz, match: [{ port: 999, sniHosts: ["1.1.1.1"] }] }] }, { warning: ["tls", 0, "match", 0, "sniHosts", 0] }],
        ["invalid wildcard as sni host", { hosts: ["foo.bar"], tls: [{ route: toBaz, match: [{ port: 999, sniHosts: ["foo.*.com"] }] }] }, ["tls", 0, "match", 0, "sniHosts", 0]],
        ["sni host outside the hosts", { hosts: ["foo.bar"], tls: [{ route: toBaz, match: [{ sniHosts: ["other.bar"] }] }] }, ["tls", 0, "match", 0, "sniHosts", 0]],
        ["sni host under a wildcard host", { hosts: ["*.bar"], gateways: ["ns1/gw"], tls: [{ route: toBaz, match: [{ sniHosts: ["foo.bar"] }] }] }, "valid"],
        ["tls route without match", { hosts: ["foo.bar"], tls: [{ route: toBaz }] }, ["tls", 0, "match"]],
        ["bad destination subnet", { hosts: ["foo.bar"], tcp: [{ match: [{ destinationSubnets: ["1.2.3.4/33"] }], route: toBaz }] }, ["tcp", 0, "match", 0, "destinationSubnets", 0]],
        ["two catch-all rules: the second is unreachable", { hosts: ["foo.bar"], http: [{ route: toBaz }, { route: toBaz }] }, { warning: ["http", 1] }],
        ["a duplicate match is ineffective", { hosts: ["foo.bar"], http: [{ match: [{ uri: { exact: "/a" } }], route: toBaz }, { match: [{ uri: { exact: "/a" } }, { uri: { exact: "/b" } }], route: toBaz }] }, { warning: ["http", 1, "match", 0] }],
        ["exportTo . and the own namespace", { hosts: ["foo.bar"], http: [{ route: toBaz }], exportTo: [".", "default"] }, ["exportTo", 1]],
    ]);

    const seStatic = (endpoint: Json, resolution = "STATIC"): Json => ({ hosts: ["foo.bar.com"], resolution, ports: [{ number: 7777, name: "7777", protocol: "HTTP" }], endpoints: [endpoint] });
    table("TestValidateWorkloadEntry (a ServiceEntry's endpoints)", "ServiceEntry", [
        ["valid", seStatic({ address: "1.2.3.4" }), "valid"],
        ["missing address", seStatic({}), ["endpoints", 0, "address"]],
        ["missing address with network", seStatic({ network: "network-2" }), { warning: ["endpoints", 0, "address"] }],
        ["valid unix endpoint", seStatic({ address: "unix:///lon/google/com" }), "valid"],
        ["invalid unix endpoint", seStatic({ address: "unix:///lon/google/com", ports: { "7777": 7777 } }), ["endpoints", 0, "ports"]],
        ["valid FQDN (DNS resolution)", seStatic({ address: "validdns.com", ports: { "7777": 7777 } }, "DNS"), "valid"],
        ["FQDN with STATIC resolution", seStatic({ address: "validdns.com", ports: { "7777": 7777 } }), ["endpoints", 0, "address"]],
        ["invalid FQDN", seStatic({ address: "invaliddns.com:9443", ports: { "7777": 7777 } }, "DNS"), ["endpoints", 0, "address"]],
        ["valid IP", seStatic({ address: "172.16.1.1", ports: { "7777": 7777 } }), "valid"],
        ["endpoint port not a service port", seStatic({ address: "172.16.1.1", ports: { other: 7777 } }), ["endpoints", 0, "ports", "other"]],
    ]);

    const subsets = [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
    ];
    const goodPolicy = { loadBalancer: { simple: "ROUND_ROBIN" }, connectionPool: { tcp: { maxConnections: 7 }, http: { http2MaxRequests: 11 } }, outlierDetection: { minHealthPercent: 20 } };
    const badPolicy = { loadBalancer: { simple: "ROUND_ROBIN" }, connectionPool: {}, outlierDetection: { minHealthPercent: 20 } };
    const drTls = (tls: Json): Json => ({ host: "reviews", trafficPolicy: { tls } });
    const TLS = ["trafficPolicy", "tls"];
    const san = ["reviews.default.svc"];
    table("TestValidateDestinationRule", "DestinationRule", [
        ["simple destination rule", { host: "reviews", subsets }, "valid"],
        ["simple destination rule with empty selector labels", { host: "reviews", subsets, workloadSelector: {} }, { warning: ["workloadSelector"] }],
        ["missing destination name", { host: "", subsets }, ["host"]],
        ["missing subset name", { host: "reviews", subsets: [{ name: "", labels: { version: "v1" } }, subsets[1]] }, ["subsets", 0, "name"]],
        ["duplicate subset names", { host: "reviews", subsets: [{ name: "foo", labels: { version: "v1" } }, { name: "foo", labels: { version: "v2" } }] }, ["subsets", 1, "name"]],
        ["valid traffic policy, top level", { host: "reviews", trafficPolicy: goodPolicy, subsets }, "valid"],
        ["invalid traffic policy, top level", { host: "reviews", trafficPolicy: badPolicy, subsets }, ["trafficPolicy", "connectionPool"]],
        ["valid traffic policy, subset level", { host: "reviews", subsets: [{ ...subsets[0], trafficPolicy: goodPolicy }, subsets[1]] }, "valid"],
        ["invalid traffic policy, subset level", { host: "reviews", subsets: [{ ...subsets[0], trafficPolicy: badPolicy }, subsets[1]] }, ["subsets", 0, "trafficPolicy", "connectionPool"]],
        ["valid traffic policy, both levels", { host: "reviews", trafficPolicy: goodPolicy, subsets: [{ ...subsets[0], trafficPolicy: { ...goodPolicy, outlierDetection: { minHealthPercent: 30 } } }, subsets[1]] }, "valid"],
        ["InsecureSkipVerify not set, SIMPLE, CaCertificates", drTls({ mode: "SIMPLE", caCertificates: "test", subjectAltNames: san }), "valid"],
        ["InsecureSkipVerify not set, SIMPLE, CredentialName", drTls({ mode: "SIMPLE", credentialName: "test", subjectAltNames: san }), "valid"],
        ["InsecureSkipVerify false, SIMPLE, CaCertificates", drTls({ mode: "SIMPLE", caCertificates: "test", subjectAltNames: san, insecureSkipVerify: false }), "valid"],
        ["InsecureSkipVerify false, SIMPLE, CredentialName", drTls({ mode: "SIMPLE", credentialName: "test", subjectAltNames: san, insecureSkipVerify: false }), "valid"],
        ["InsecureSkipVerify true, SIMPLE, CredentialName", drTls({ mode: "SIMPLE", credentialName: "test", insecureSkipVerify: true }), [...TLS, "insecureSkipVerify"]],
        ["InsecureSkipVerify true, SIMPLE, CaCertificates", drTls({ mode: "SIMPLE", caCertificates: "test", insecureSkipVerify: true }), [...TLS, "insecureSkipVerify"]],
        ["InsecureSkipVerify true, SIMPLE, san", drTls({ mode: "SIMPLE", subjectAltNames: san, insecureSkipVerify: true }), [...TLS, "insecureSkipVerify"]],
        ["InsecureSkipVerify not set, MUTUAL, CaCertificates", drTls({ mode: "MUTUAL", caCertificates: "test", privateKey: "key", clientCertificate: "cert", subjectAltNames: san }), "valid"],
        ["InsecureSkipVerify not set, MUTUAL, CredentialName", drTls({ mode: "MUTUAL", credentialName: "test", subjectAltNames: san }), "valid"],
        ["InsecureSkipVerify false, MUTUAL, CaCertificates", drTls({ mode: "MUTUAL", caCertificates: "test", privateKey: "key", clientCertificate: "cert", subjectAltNames: san, insecureSkipVerify: false }), "valid"],
        ["InsecureSkipVerify false, MUTUAL, CredentialName", drTls({ mode: "MUTUAL", credentialName: "test", subjectAltNames: san, insecureSkipVerify: false }), "valid"],
        ["InsecureSkipVerify true, MUTUAL, CaCertificates", drTls({ mode: "MUTUAL", caCertificates: "test", privateKey: "key", clientCertificate: "cert", insecureSkipVerify: true }), [...TLS, "insecureSkipVerify"]],
        ["InsecureSkipVerify true, MUTUAL, CredentialName", drTls({ mode: "MUTUAL", credentialName: "test", insecureSkipVerify: true }), "valid"],
        ["InsecureSkipVerify true, MUTUAL, no CA", drTls({ mode: "MUTUAL", privateKey: "key", clientCertificate: "cert", insecureSkipVerify: true }), "valid"],
        ["InsecureSkipVerify true, MUTUAL, san", drTls({ mode: "MUTUAL", privateKey: "key", clientCertificate: "cert", subjectAltNames: san, insecureSkipVerify: true }), [...TLS, "insecureSkipVerify"]],
        ["MUTUAL without client certificate", drTls({ mode: "MUTUAL", privateKey: "key" }), [...TLS, "clientCertificate"]],
        ["MUTUAL without private key", drTls({ mode: "MUTUAL", clientCertificate: "cert" }), [...TLS, "privateKey"]],
        ["credentialName with a client certificate", drTls({ mode: "SIMPLE", credentialName: "test", clientCertificate: "cert" }), [...TLS, "clientCertificate"]],
        ["configmap credential in another namespace", drTls({ mode: "SIMPLE", credentialName: "configmap://other/ca" }), [...TLS, "credentialName"]],
        ["configmap credential in its own namespace", drTls({ mode: "SIMPLE", credentialName: "configmap://default/ca" }), "valid"],
        ["workload selector with exportTo beyond its namespace", { host: "reviews", subsets, workloadSelector: { matchLabels: { app: "a" } }, exportTo: ["*"] }, ["exportTo"]],
        ["workload selector with a wildcard label", { host: "reviews", subsets, workloadSelector: { matchLabels: { app: "a*" } } }, ["workloadSelector", "matchLabels", "app"]],
        ["bad subset label", { host: "reviews", subsets: [{ name: "v1", labels: { "bad key!": "v1" } }] }, ["subsets", 0, "labels", "bad key!"]],
    ]);

    table("TestValidateTrafficPolicy", "DestinationRule", [
        ["valid traffic policy", dr(goodPolicy), "valid"],
        ["invalid traffic policy, nil entries", dr({}), TP],
        ["invalid traffic policy, missing port in port level settings", dr({ portLevelSettings: [goodPolicy] }), [...TP, "portLevelSettings", 0, "port"]],
        ["invalid traffic policy, bad connection pool", dr(badPolicy), [...TP, "connectionPool"]],
        ["invalid traffic policy, bad max connection duration", dr({ loadBalancer: { simple: "ROUND_ROBIN" }, connectionPool: { tcp: { maxConnectionDuration: "500ns" } } }), [...TP, "connectionPool", "tcp", "maxConnectionDuration"]],
        ["invalid traffic policy, panic threshold too low", dr({ ...goodPolicy, outlierDetection: { minHealthPercent: -1 } }), [...TP, "outlierDetection", "minHealthPercent"]],
        ["invalid traffic policy, both upgrade and use client protocol set", dr({ connectionPool: { http: { h2UpgradePolicy: "UPGRADE", useClientProtocol: true } } }), [...TP, "connectionPool", "http", "useClientProtocol"]],
        ["port level settings with nothing set", dr({ portLevelSettings: [{ port: { number: 80 } }] }), [...TP, "portLevelSettings", 0]],
        ["tunnel and proxyProtocol together", dr({ tunnel: { targetHost: "a.com", targetPort: 80 }, proxyProtocol: { version: "V1" } }), [...TP, "proxyProtocol"]],
        ["tunnel with a bad protocol", dr({ tunnel: { protocol: "GET", targetHost: "a.com", targetPort: 80 } }), [...TP, "tunnel", "protocol"]],
        ["tunnel with a bad target port", dr({ tunnel: { targetHost: "10.0.0.1", targetPort: 0 } }), [...TP, "tunnel", "targetPort"]],
        ["valid tunnel", dr({ tunnel: { protocol: "CONNECT", targetHost: "egress.example.com", targetPort: 8443 } }), "valid"],
    ]);

    const pool = (p: Json): Json => dr({ connectionPool: p });
    const CP = [...TP, "connectionPool"];
    const httpPool = { http1MaxPendingRequests: 2, http2MaxRequests: 11, maxRequestsPerConnection: 5, maxRetries: 4, idleTimeout: "30s", maxConcurrentStreams: 5 };
    table("TestValidateConnectionPool", "DestinationRule", [
        ["valid connection pool, tcp and http", pool({ tcp: { maxConnections: 7, connectTimeout: "2s" }, http: httpPool }), "valid"],
        ["valid connection pool, tcp only", pool({ tcp: { maxConnections: 7, connectTimeout: "2s" } }), "valid"],
        ["valid connection pool, http only", pool({ http: httpPool }), "valid"],
        ["valid connection pool, http only with empty idle timeout", pool({ http: { ...httpPool, idleTimeout: undefined } }), "valid"],
        ["valid connection pool, http2 keepalive", pool({ http: { http2KeepAlive: { interval: "15s", timeout: "5s" } } }), "valid"],
        ["invalid connection pool, empty", pool({}), CP],
        ["invalid connection pool, bad max connections", pool({ tcp: { maxConnections: -1 } }), [...CP, "tcp", "maxConnections"]],
        ["invalid connection pool, bad connect timeout", pool({ tcp: { connectTimeout: "2.000000005s" } }), [...CP, "tcp", "connectTimeout"]],
        ["invalid connection pool, bad max pending requests", pool({ http: { http1MaxPendingRequests: -1 } }), [...CP, "http", "http1MaxPendingRequests"]],
        ["invalid connection pool, bad max requests", pool({ http: { http2MaxRequests: -1 } }), [...CP, "http", "http2MaxRequests"]],
        ["invalid connection pool, bad max requests per connection", pool({ http: { maxRequestsPerConnection: -1 } }), [...CP, "http", "maxRequestsPerConnection"]],
        ["invalid connection pool, bad max retries", pool({ http: { maxRetries: -1 } }), [...CP, "http", "maxRetries"]],
        ["invalid connection pool, bad idle timeout", pool({ http: { idleTimeout: "30.000000005s" } }), [...CP, "http", "idleTimeout"]],
        ["valid connection pool, tcp timeout disabled", pool({ tcp: { idleTimeout: "0s" } }), "valid"],
        ["invalid connection pool, bad max concurrent streams", pool({ http: { maxConcurrentStreams: -1 } }), [...CP, "http", "maxConcurrentStreams"]],
        ["invalid connection pool, http2 keepalive without interval", pool({ http: { http2KeepAlive: { timeout: "5s" } } }), [...CP, "http", "http2KeepAlive", "interval"]],
        ["invalid connection pool, http2 keepalive without timeout", pool({ http: { http2KeepAlive: { interval: "15s" } } }), [...CP, "http", "http2KeepAlive", "timeout"]],
        ["invalid connection pool, bad http2 keepalive interval", pool({ http: { http2KeepAlive: { interval: "15.000000005s", timeout: "5s" } } }), [...CP, "http", "http2KeepAlive", "interval"]],
        ["bad tcp keepalive time", pool({ tcp: { tcpKeepalive: { time: "100us" } } }), [...CP, "tcp", "tcpKeepalive", "time"]],
    ]);

    const lb = (l: Json): Json => dr({ loadBalancer: l });
    const LB = [...TP, "loadBalancer"];
    const CH = [...LB, "consistentHash"];
    table("TestValidateLoadBalancer", "DestinationRule", [
        ["valid load balancer with simple load balancing", lb({ simple: "ROUND_ROBIN" }), "valid"],
        ["valid load balancer with consistentHash load balancing", lb({ consistentHash: { minimumRingSize: 1024, httpCookie: { name: "test", ttl: "3600s" } } }), { warning: [...CH, "minimumRingSize"] }],
        ["invalid load balancer with consistentHash load balancing, missing name", lb({ consistentHash: { minimumRingSize: 1024, httpCookie: { ttl: "3600s" } } }), [...CH, "httpCookie", "name"]],
        ["invalid load balancer with consistentHash load balancing, maglev not prime", lb({ consistentHash: { maglev: { tableSize: 1000 } } }), [...CH, "maglev", "tableSize"]],
        ["valid maglev table size", lb({ consistentHash: { httpHeaderName: "x-user", maglev: { tableSize: 65537 } } }), "valid"],
        ["maglev table size as a uint64 string", lb({ consistentHash: { httpHeaderName: "x-user", maglev: { tableSize: "65537" } } }), "valid"],
        ["minimumRingSize with ringHash", lb({ consistentHash: { minimumRingSize: 1024, ringHash: { minimumRingSize: 1024 }, httpHeaderName: "x" } }), [...CH, "minimumRingSize"]],
        [
            "valid load balancer with consistentHash load balancing and unique cookie attributes",
            lb({ consistentHash: { httpCookie: { name: "test-cookie", ttl: "3600s", attributes: [{ name: "SameSite", value: "Strict" }, { name: "Secure", value: "true" }, { name: "HttpOnly", value: "true" }] } } }),
            "valid",
        ],
        [
            "invalid load balancer with consistentHash load balancing and duplicate cookie attribute names",
            lb({ consistentHash: { httpCookie: { name: "test-cookie", ttl: "3600s", attributes: [{ name: "SameSite", value: "Strict" }, { name: "SameSite", value: "Lax" }, { name: "Secure", value: "true" }] } } }),
            [...CH, "httpCookie", "attributes", 1, "name"],
        ],
        [
            "invalid load balancer with consistentHash load balancing and empty cookie attribute name",
            lb({ consistentHash: { httpCookie: { name: "test-cookie", ttl: "3600s", attributes: [{ name: "SameSite", value: "Strict" }, { name: "", value: "some-value" }, { name: "Secure", value: "true" }] } } }),
            [...CH, "httpCookie", "attributes", 1, "name"],
        ],
        ["invalid: localityLbSetting and zoneAwareLbSetting both set", lb({ localityLbSetting: {}, zoneAwareLbSetting: {} }), [...LB, "zoneAwareLbSetting"]],
        ["valid: zoneAwareLbSetting only", lb({ zoneAwareLbSetting: { failover: [{ from: "us-east", to: "eu-west" }] } }), { warning: [...LB, "zoneAwareLbSetting"] }],
        ["warmup without duration", lb({ warmup: { aggression: 1 } }), [...LB, "warmup", "duration"]],
        ["warmup with aggression 0", lb({ warmup: { duration: "10s", aggression: 0 } }), [...LB, "warmup", "aggression"]],
    ]);

    const loc = (setting: Json, outlier = true): Json => dr({ loadBalancer: { localityLbSetting: setting }, ...(outlier ? { outlierDetection: {} } : {}) });
    const LL = [...TP, "loadBalancer", "localityLbSetting"];
    table("TestValidateLocalityLbSetting (agent/validation_test.go)", "DestinationRule", [
        ["invalid Distribute total weight > 100", loc({ distribute: [{ from: "a/b/c", to: { "a/b/c": 80, "a/b1": 25 } }] }), [...LL, "distribute", 0, "to"]],
        ["invalid Distribute total weight < 100", loc({ distribute: [{ from: "a/b/c", to: { "a/b/c": 80, "a/b1": 15 } }] }), [...LL, "distribute", 0, "to"]],
        ["invalid Distribute weight = 0", loc({ distribute: [{ from: "a/b/c", to: { "a/b/c": 0, "a/b1": 100 } }] }), [...LL, "distribute", 0, "to", "a/b/c"]],
        ["valid Distribute", loc({ distribute: [{ from: "a/b/c", to: { "a/b/c": 80, "a/b1": 20 } }] }), "valid"],
        ["invalid: both distribute and failover", loc({ distribute: [{ from: "a/b/c", to: { "a/b/c": 80, "a/b1": 20 } }], failover: [{ from: "region1", to: "region2" }] }), LL],
        ["invalid failover src and dst have same region", loc({ failover: [{ from: "region1", to: "region1" }] }), [...LL, "failover", 0]],
        ["invalid failover src contain '*' wildcard", loc({ failover: [{ from: "*", to: "region2" }] }), [...LL, "failover", 0]],
        ["invalid failover dst contain '*' wildcard", loc({ failover: [{ from: "region1", to: "*" }] }), [...LL, "failover", 0]],
        ["invalid failover src contain '/' separator", loc({ failover: [{ from: "region1/zone1", to: "region2" }] }), [...LL, "failover", 0]],
        ["invalid failover dst contain '/' separator", loc({ failover: [{ from: "region1", to: "region2/zone1" }] }), [...LL, "failover", 0]],
        [
            "failover priority provided without outlier detection policy",
            loc({ failoverPriority: ["topology.istio.io/network", "topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"] }, false),
            { warning: LL },
        ],
        ["failover provided without outlier detection policy", loc({ failover: [{ from: "us-east", to: "eu-west" }, { from: "us-west", to: "eu-east" }] }, false), { warning: LL }],
        ["invalid: failoverPriority with a region label and failover", loc({ failover: [{ from: "region1", to: "region2" }], failoverPriority: ["topology.kubernetes.io/region"] }), [...LL, "failoverPriority", 0]],
        ["overlapping localities", loc({ distribute: [{ from: "a/*", to: { "a/b": 100 } }, { from: "a/b", to: { "a/b": 100 } }] }), [...LL, "distribute"]],
        ["wildcard not at the end", loc({ distribute: [{ from: "a/*/c", to: { "a/b": 100 } }] }), [...LL, "distribute"]],
    ]);

    const od = (o: Json): Json => dr({ outlierDetection: o });
    const OD = [...TP, "outlierDetection"];
    table("TestValidateOutlierDetection", "DestinationRule", [
        ["valid outlier detection", od({ interval: "2s", baseEjectionTime: "2s", maxEjectionPercent: 50 }), "valid"],
        ["invalid outlier detection, bad interval", od({ interval: "2.000000005s" }), [...OD, "interval"]],
        ["invalid outlier detection, bad base ejection time", od({ baseEjectionTime: "2.000000005s" }), [...OD, "baseEjectionTime"]],
        ["invalid outlier detection, bad max ejection percent", od({ maxEjectionPercent: 105 }), [...OD, "maxEjectionPercent"]],
        ["invalid outlier detection, panic threshold too low", od({ minHealthPercent: -1 }), [...OD, "minHealthPercent"]],
        ["invalid outlier detection, panic threshold too high", od({ minHealthPercent: 101 }), [...OD, "minHealthPercent"]],
        ["deprecated outlier detection, ConsecutiveErrors", od({ consecutiveErrors: 101 }), { warning: [...OD, "consecutiveErrors"] }],
        ["consecutive local origin errors is set but split local origin errors is not set", od({ consecutiveLocalOriginFailures: 10 }), [...OD, "consecutiveLocalOriginFailures"]],
        ["consecutive local origin errors with split local origin errors", od({ consecutiveLocalOriginFailures: 10, splitExternalLocalOriginErrors: true }), "valid"],
    ]);

    const p80 = { number: 80, protocol: "http", name: "http-valid1" };
    const p8080 = { number: 8080, protocol: "http", name: "http-valid2" };
    const ep = (address: string, ports?: Json): Json => ({ address, ...(ports === undefined ? {} : { ports }) });
    const googleEps = [ep("lon.google.com", { "http-valid1": 8080 }), ep("in.google.com", { "http-valid2": 9080 })];
    table("TestValidateServiceEntries", "ServiceEntry", [
        ["discovery type DNS", { hosts: ["*.google.com"], ports: [p80, p8080], endpoints: googleEps, resolution: "DNS" }, "valid"],
        ["discovery type DNS Round Robin", { hosts: ["*.istio.io"], ports: [p80, p8080], endpoints: [ep("api-v1.istio.io", { "http-valid1": 8080 })], resolution: "DNS_ROUND_ROBIN" }, "valid"],
        [
            "discovery type DNS, label tlsMode: istio",
            { hosts: ["*.google.com"], ports: [p80, p8080], endpoints: googleEps.map((e) => ({ ...e, labels: { "security.istio.io/tlsMode": "istio" } })), resolution: "DNS" },
            "valid",
        ],
        ["discovery type DNS, one host set with IP address and https port", { hosts: ["httpbin.org"], addresses: ["10.10.10.10"], ports: [p80, p8080, { number: 443, protocol: "https", name: "https" }], resolution: "DNS" }, "valid"],
        [
            "discovery type DNS, multi hosts set with IP address and https port",
            { hosts: ["httpbin.org", "wikipedia.org"], addresses: ["10.10.10.10"], ports: [p80, p8080, { number: 443, protocol: "https", name: "https" }], resolution: "DNS" },
            { warning: ["hosts"] },
        ],
        ["discovery type DNS, IP address set", { hosts: ["*.google.com"], addresses: ["10.10.10.10"], ports: [p80, p8080], endpoints: googleEps, resolution: "DNS" }, "valid"],
        ["discovery type DNS, IP in endpoints", { hosts: ["*.google.com"], ports: [p80, p8080], endpoints: [ep("1.1.1.1", { "http-valid1": 8080 }), ep("in.google.com", { "http-valid2": 9080 })], resolution: "DNS" }, "valid"],
        ["discovery type DYNAMIC_DNS", { hosts: ["*.google.com"], ports: [p80, p8080], resolution: "DYNAMIC_DNS" }, "valid"],
        ["empty hosts", { ports: [p80], endpoints: [ep("in.google.com", { "http-valid2": 9080 })], resolution: "DNS" }, ["hosts"]],
        ["bad hosts", { hosts: ["-"], ports: [p80], endpoints: [ep("in.google.com", { "http-valid2": 9080 })], resolution: "DNS" }, ["hosts", 0]],
        ["full wildcard host", { hosts: ["foo.com", "*"], ports: [p80], endpoints: [ep("in.google.com", { "http-valid2": 9080 })], resolution: "DNS" }, ["hosts", 1]],
        ["short name host", { hosts: ["foo", "bar.com"], ports: [p80], endpoints: [ep("in.google.com", { "http-valid1": 9080 })], resolution: "DNS" }, "valid"],
        [
            "undefined endpoint port",
            { hosts: ["google.com"], ports: [p80, { ...p8080, number: 80 }], endpoints: [ep("lon.google.com", { "http-valid1": 8080 }), ep("in.google.com", { "http-dne": 9080 })], resolution: "DNS" },
            ["endpoints", 1, "ports", "http-dne"],
        ],
        [
            "discovery type DNS, non-FQDN endpoint",
            { hosts: ["*.google.com"], ports: [p80, p8080], endpoints: [ep("*.lon.google.com", { "http-valid1": 8080 }), ep("in.google.com", { "http-dne": 9080 })], resolution: "DNS" },
            ["endpoints", 0, "address"],
        ],
        ["discovery type DNS, non-FQDN host", { hosts: ["*.google.com"], ports: [p80, p8080], resolution: "DNS" }, ["hosts", 0]],
        ["discovery type DNS, no endpoints", { hosts: ["google.com"], ports: [p80, p8080], resolution: "DNS" }, "valid"],
        ["discovery type DNS, unix endpoint", { hosts: ["*.google.com"], ports: [p80], endpoints: [ep("unix:///lon/google/com")], resolution: "DNS" }, ["endpoints", 0, "address"]],
        ["discovery type none", { hosts: ["google.com"], ports: [p80, p8080], resolution: "NONE" }, "valid"],
        ["discovery type none, endpoints provided", { hosts: ["google.com"], ports: [p80, p8080], endpoints: [ep("lon.google.com", { "http-valid1": 8080 })], resolution: "NONE" }, ["endpoints"]],
        ["discovery type none, cidr addresses", { hosts: ["google.com"], addresses: ["172.1.2.16/16"], ports: [p80, p8080], resolution: "NONE" }, "valid"],
        [
            "discovery type static, cidr addresses with endpoints",
            { hosts: ["google.com"], addresses: ["172.1.2.16/16"], ports: [p80, p8080], endpoints: [ep("1.1.1.1", { "http-valid1": 8080 }), ep("2.2.2.2", { "http-valid2": 9080 })], resolution: "STATIC" },
            "valid",
        ],
        ["discovery type static", { hosts: ["google.com"], addresses: ["172.1.2.16"], ports: [p80, p8080], endpoints: [ep("1.1.1.1", { "http-valid1": 8080 }), ep("2.2.2.2", { "http-valid2": 9080 })], resolution: "STATIC" }, "valid"],
        [
            "discovery type static, FQDN in endpoints",
            { hosts: ["google.com"], addresses: ["172.1.2.16"], ports: [p80, p8080], endpoints: [ep("google.com", { "http-valid1": 8080 }), ep("2.2.2.2", { "http-valid2": 9080 })], resolution: "STATIC" },
            ["endpoints", 0, "address"],
        ],
        ["discovery type static, missing endpoints", { hosts: ["google.com"], addresses: ["172.1.2.16"], ports: [p80, p8080], resolution: "STATIC" }, "valid"],
        [
            "discovery type static, bad endpoint port name",
            { hosts: ["google.com"], addresses: ["172.1.2.16"], ports: [p80, p8080], endpoints: [ep("1.1.1.1", { "http-valid1": 8080 }), ep("2.2.2.2", { "http-dne": 9080 })], resolution: "STATIC" },
            ["endpoints", 1, "ports", "http-dne"],
        ],
        ["discovery type none, conflicting port names", { hosts: ["google.com"], ports: [{ ...p80, name: "http-conflict" }, { ...p8080, name: "http-conflict" }], resolution: "NONE" }, ["ports", 1, "name"]],
        ["discovery type none, conflicting port numbers", { hosts: ["google.com"], ports: [{ ...p80, name: "http-conflict1" }, { ...p80, name: "http-conflict2" }], resolution: "NONE" }, ["ports", 1, "number"]],
        ["unix socket", { hosts: ["uds.cluster.local"], ports: [{ number: 6553, protocol: "grpc", name: "grpc-service1" }], resolution: "STATIC", endpoints: [ep("unix:///path/to/socket")] }, "valid"],
        ["unix socket, relative path", { hosts: ["uds.cluster.local"], ports: [{ number: 6553, protocol: "grpc", name: "grpc-service1" }], resolution: "STATIC", endpoints: [ep("unix://./relative/path.sock")] }, ["endpoints", 0, "address"]],
        [
            "unix socket, endpoint ports",
            { hosts: ["uds.cluster.local"], ports: [{ number: 6553, protocol: "grpc", name: "grpc-service1" }], resolution: "STATIC", endpoints: [ep("unix:///path/to/socket", { "grpc-service1": 6553 })] },
            ["endpoints", 0, "ports"],
        ],
        [
            "unix socket, multiple service ports",
            { hosts: ["uds.cluster.local"], ports: [{ number: 6553, protocol: "grpc", name: "grpc-service1" }, { number: 80, protocol: "http", name: "http-service2" }], resolution: "STATIC", endpoints: [ep("unix:///path/to/socket")] },
            ["endpoints", 0, "address"],
        ],
        ["empty protocol", { hosts: ["google.com"], addresses: ["172.1.2.16/16"], ports: [p80, { number: 8080, name: "http-valid2" }], resolution: "NONE" }, "valid"],
        ["selector", { hosts: ["google.com"], workloadSelector: { labels: { foo: "bar" } }, ports: [p80] }, { warning: ["workloadSelector"] }],
        ["workload selector without labels", { hosts: ["google.com"], ports: [p80, p8080], workloadSelector: {} }, { warning: ["workloadSelector"] }],
        ["selector and endpoints", { hosts: ["google.com"], workloadSelector: { labels: { foo: "bar" } }, ports: [p80], endpoints: [ep("1.1.1.1")] }, { error: ["endpoints"], warning: ["workloadSelector"] }],
        ["selector and resolution NONE", { hosts: ["google.com"], workloadSelector: { labels: { foo: "bar" } }, ports: [p80], resolution: "NONE" }, { warning: ["workloadSelector"] }],
        ["selector and resolution DNS", { hosts: ["google.com"], workloadSelector: { labels: { foo: "bar" } }, ports: [p80], resolution: "DNS" }, "valid"],
        ["bad selector key", { hosts: ["google.com"], workloadSelector: { labels: { "": "bar" } }, ports: [p80] }, ["workloadSelector", "labels", ""]],
        ["repeat target port", { hosts: ["google.com"], resolution: "DNS", ports: [{ ...p80, targetPort: 80 }, { ...p8080, number: 81, targetPort: 80 }] }, "valid"],
        ["valid target port", { hosts: ["google.com"], resolution: "DNS", ports: [{ ...p80, targetPort: 81 }] }, "valid"],
        ["invalid target port", { hosts: ["google.com"], resolution: "DNS", ports: [{ ...p80, targetPort: 65536 }] }, ["ports", 0, "targetPort"]],
        ["warn target port", { hosts: ["google.com"], workloadSelector: { labels: { key: "bar" } }, ports: [{ ...p80, targetPort: 1234 }] }, { warning: ["workloadSelector"] }],
        ["valid endpoint port", { hosts: ["google.com"], ports: [{ ...p80, targetPort: 81 }], resolution: "STATIC", endpoints: [ep("1.1.1.1", { "http-valid1": 8081 })] }, "valid"],
        ["invalid endpoint port", { hosts: ["google.com"], ports: [{ ...p80, targetPort: 81 }], resolution: "STATIC", endpoints: [ep("1.1.1.1", { "http-valid1": 65536 })] }, ["endpoints", 0, "ports", "http-valid1"]],
        ["protocol unset for addresses empty", { hosts: ["google.com"], addresses: [], ports: [p80, { number: 8080, name: "http-valid2" }], resolution: "NONE" }, { warning: ["ports", 1] }],
        ["protocol is TCP for addresses empty", { hosts: ["google.com"], addresses: [], ports: [p80, { number: 81, protocol: "TCP", name: "tcp-valid1" }], resolution: "NONE" }, { warning: ["ports", 1] }],
        [
            "dns round robin with more than one endpoint",
            { hosts: ["google.com"], addresses: [], ports: [{ number: 8081, protocol: "http", name: "http-valid1" }], endpoints: [ep("api-v1.istio.io", { "http-valid1": 8081 }), ep("1.1.1.2", { "http-valid1": 8081 })], resolution: "DNS_ROUND_ROBIN" },
            ["endpoints"],
        ],
        ["dns round robin with 0 endpoints", { hosts: ["google.com"], addresses: [], ports: [{ number: 8081, protocol: "http", name: "http-valid1" }], endpoints: [], resolution: "DNS_ROUND_ROBIN" }, "valid"],
        ["partial wildcard hosts", { hosts: ["*.nytimes.com", "*washingtonpost.com"], addresses: [], ports: [{ number: 443, protocol: "HTTPS", name: "https-nytimes" }], endpoints: [], resolution: "NONE" }, { warning: ["hosts", 1] }],
        ["network set with no address on endpoint", { hosts: ["www.example.com"], addresses: [], ports: [{ number: 443, protocol: "HTTPS", name: "https-example" }], endpoints: [{ network: "cluster-1" }], resolution: "STATIC" }, { warning: ["endpoints", 0, "address"] }],
        ["discovery type DYNAMIC_DNS, unsupported TCP protocol", { hosts: ["*.google.com"], addresses: [], ports: [p80, { number: 81, protocol: "TCP", name: "tcp-valid1" }], resolution: "DYNAMIC_DNS" }, ["ports", 1, "protocol"]],
        ["discovery type DYNAMIC_DNS, GRPC protocol", { hosts: ["*.svc.cluster.local"], addresses: [], ports: [{ number: 9090, protocol: "GRPC", name: "grpc" }], resolution: "DYNAMIC_DNS" }, "valid"],
        ["discovery type DYNAMIC_DNS, FQDN host", { hosts: ["google.com"], addresses: [], ports: [{ ...p80, name: "http-valid" }], resolution: "DYNAMIC_DNS" }, ["hosts", 0]],
        ["discovery type DYNAMIC_DNS, endpoints set", { hosts: ["*.google.com"], addresses: [], ports: [p80], endpoints: [ep("in.google.com", { "http-valid1": 9080 })], resolution: "DYNAMIC_DNS" }, ["endpoints"]],
        ["discovery type DYNAMIC_DNS, IP address set", { hosts: ["*.google.com"], addresses: ["10.10.10.10"], ports: [p80, p8080], resolution: "DYNAMIC_DNS" }, ["addresses"]],
        ["discovery type DYNAMIC_DNS, empty hosts", { hosts: [], addresses: [], ports: [p80], resolution: "DYNAMIC_DNS" }, ["hosts"]],
        ["discovery type DYNAMIC_DNS, multiple wildcarded hosts", { hosts: ["*.google.com", "*.amazon.com"], addresses: [], ports: [p80], resolution: "DYNAMIC_DNS" }, "valid"],
        ["discovery type DYNAMIC_DNS, internal mesh location", { hosts: ["*.google.com"], addresses: [], ports: [p80], resolution: "DYNAMIC_DNS", location: "MESH_INTERNAL" }, "valid"],
        ["discovery type DYNAMIC_DNS, nil port", { hosts: ["*.google.com"], location: "MESH_EXTERNAL", ports: [null], resolution: "DYNAMIC_DNS" }, ["ports", 0]],
        ["nil port in ports array", { hosts: ["google.com"], ports: [null], resolution: "NONE" }, ["ports", 0]],
        ["discovery type DNS with addresses, nil port", { hosts: ["google.com"], addresses: ["1.2.3.4"], ports: [null], resolution: "DNS" }, ["ports", 0]],
        ["multiple hosts with a TCP port", { hosts: ["a.com", "b.com"], ports: [{ number: 5432, protocol: "TCP", name: "tcp" }], resolution: "DNS" }, ["ports", 0, "protocol"]],
        ["CIDR with DNS resolution", { hosts: ["a.com"], addresses: ["10.0.0.0/8"], ports: [p80], resolution: "DNS" }, ["resolution"]],
        ["bad address", { hosts: ["a.com"], addresses: ["10.0.0.256"], ports: [p80], resolution: "DNS" }, ["addresses", 0]],
        ["exportTo ~ and another namespace", { hosts: ["a.com"], ports: [p80], resolution: "DNS", exportTo: ["~", "ns1"] }, ["exportTo"]],
        ["exportTo ~ alone", { hosts: ["a.com"], ports: [p80], resolution: "DNS", exportTo: ["~"] }, "valid"],
        ["unsupported protocol", { hosts: ["a.com"], ports: [{ number: 80, protocol: "kafka", name: "k" }], resolution: "DNS" }, ["ports", 0, "protocol"]],
    ]);

    const eg = (hosts: string[], extra: Json = {}): Json => ({ hosts, ...extra });
    const sc = (egress: Json[], extra: Json = {}): Json => ({ egress, ...extra });
    const all = [eg(["*/*"])];
    const ing = (port: Json, extra: Json = {}): Json => ({ port, ...extra });
    const http90 = { protocol: "http", number: 90, name: "foo" };
    const tcp90 = { protocol: "tcp", number: 90, name: "foo" };
    const uds = { protocol: "http", number: 0, name: "uds" };
    const I0 = ["ingress", 0];
    const ingTls = (tls: Json, endpoint: string, port: Json = tcp90): Json => ({ ingress: [ing(port, { defaultEndpoint: endpoint, tls })] });
    const tlsCerts = [
        { serverCertificate: "/etc/istio/ingress-certs/tls.crt", privateKey: "/etc/istio/ingress-certs/tls.key" },
        { serverCertificate: "/etc/istio/ingress-certs/tls2.crt", privateKey: "/etc/istio/ingress-certs/tls2.key" },
    ];
    const bigPool = { http: { http1MaxPendingRequests: 1024, http2MaxRequests: 1024, maxRequestsPerConnection: 1024, maxRetries: 1024 } };
    const proxy = { host: "foo.bar", subset: "shiny", port: { number: 5000 } };
    table(
        "TestValidateSidecar",
        "Sidecar",
        [
            ["empty ingress and egress", {}, []],
            ["default", sc(all), "valid"],
            ["workload selector without labels", sc(all, { workloadSelector: {} }), { warning: ["workloadSelector"] }],
            ["import local namespace with wildcard", sc([eg(["./*"])]), "valid"],
            ["import local namespace with fqdn", sc([eg(["./foo.com"])]), "valid"],
            ["import nothing", sc([eg(["~/*"])]), "valid"],
            ["import all except a namespace", sc([eg(["*/*", "~ns1/*"])]), "valid"],
            ["import all except an exact host", sc([eg(["*/*", "~/foo.com"])]), "valid"],
            ["exclude with invalid namespace", sc([eg(["*/*", "~Invalid_NS/*"])]), ["egress", 0, "hosts", 1]],
            ["bad egress host 1", sc([eg(["*"])]), ["egress", 0, "hosts", 0]],
            ["bad egress host 2", sc([eg(["/"])]), ["egress", 0, "hosts", 0]],
            ["empty egress host", sc([eg([])]), ["egress", 0, "hosts"]],
            ["multiple wildcard egress", sc([eg(["*/foo.com"]), eg(["ns1/bar.com"])]), ["egress", 0]],
            ["wildcard egress not in end", sc([eg(["*/foo.com"]), eg(["ns1/bar.com"], { port: { protocol: "http", number: 8080, name: "h8080" } })]), ["egress", 0]],
            ["invalid Port: protocol", sc([eg(["ns1/bar.com"], { port: { protocol: "http1", number: 1000000, name: "" } })]), ["egress", 0, "port", "protocol"]],
            ["invalid Port: number", sc([eg(["ns1/bar.com"], { port: { protocol: "http1", number: 1000000, name: "" } })]), ["egress", 0, "port", "number"]],
            ["Port without name", sc([eg(["ns1/bar.com"], { port: { protocol: "http", number: 8080 } })]), "valid"],
            ["UDS bind in outbound", sc([eg(["ns1/bar.com"], { port: uds, bind: "unix:///@foo/bar/com" })]), "valid"],
            ["UDS bind in inbound", { ingress: [ing(uds, { bind: "unix:///@foo/bar/com", defaultEndpoint: "127.0.0.1:9999" })] }, [...I0, "port", "number"]],
            ["UDS bind in outbound 2", sc([eg(["ns1/bar.com"], { port: uds, bind: "unix:///foo/bar/com" })]), "valid"],
            ["invalid bind", sc([eg(["ns1/bar.com"], { port: uds, bind: "foobar:///@foo/bar/com" })]), ["egress", 0, "bind"]],
            ["invalid capture mode with uds bind", sc([eg(["ns1/bar.com"], { port: uds, bind: "unix:///@foo/bar/com", captureMode: "IPTABLES" })]), ["egress", 0, "captureMode"]],
            ["duplicate UDS bind", sc([eg(["ns1/bar.com"], { port: uds, bind: "unix:///@foo/bar/com" }), eg(["ns1/bar.com"], { port: uds, bind: "unix:///@foo/bar/com" })]), ["egress", 1, "bind"]],
            ["duplicate ports", sc([eg(["ns1/bar.com"], { port: { protocol: "http", number: 90, name: "foo" } }), eg(["ns2/bar.com"], { port: { protocol: "tcp", number: 90, name: "tcp" } })]), ["egress", 1, "port", "number"]],
            ["ingress without port", { ingress: [{ defaultEndpoint: "127.0.0.1:110" }], egress: all }, [...I0, "port"]],
            ["ingress without port and with IPv6 endpoint", { ingress: [{ defaultEndpoint: "[::1]:110" }], egress: all }, [...I0, "port"]],
            ["ingress with duplicate ports", { ingress: [ing(http90, { defaultEndpoint: "127.0.0.1:110" }), ing({ ...tcp90, name: "bar" }, { defaultEndpoint: "127.0.0.1:110" })], egress: all }, ["ingress", 1, "port", "number"]],
            ["ingress with duplicate ports and IPv6 endpoint", { ingress: [ing(http90, { defaultEndpoint: "[::1]:110" }), ing({ ...tcp90, name: "bar" }, { defaultEndpoint: "[::1]:110" })], egress: all }, ["ingress", 1, "port", "number"]],
            ["ingress without default endpoint", { ingress: [ing(http90)], egress: all }, "valid"],
            ["ingress with invalid default endpoint in IPv4", { ingress: [ing(http90, { defaultEndpoint: "1.1.1.1:90" })] }, [...I0, "defaultEndpoint"]],
            ["ingress with invalid default endpoint in IPv6", { ingress: [ing(http90, { defaultEndpoint: "[1:1:1:1:1:1:1:1]:90" })] }, [...I0, "defaultEndpoint"]],
            ["ingress with invalid default endpoint uds", { ingress: [ing(http90, { defaultEndpoint: "unix:///" })], egress: all }, [...I0, "defaultEndpoint"]],
            ["ingress with invalid default endpoint port in IPv4", { ingress: [ing(http90, { defaultEndpoint: "127.0.0.1:hi" })], egress: all }, [...I0, "defaultEndpoint"]],
            ["ingress with invalid default endpoint port in IPv6", { ingress: [ing(http90, { defaultEndpoint: "[::1]:hi" })], egress: all }, [...I0, "defaultEndpoint"]],
            ["valid ingress and egress in IPv4", { ingress: [ing(http90, { defaultEndpoint: "127.0.0.1:9999" })], egress: all }, "valid"],
            ["valid ingress and egress in IPv6", { ingress: [ing(http90, { defaultEndpoint: "[::1]:9999" })], egress: all }, "valid"],
            ["valid ingress and empty egress in IPv4", { ingress: [ing(http90, { defaultEndpoint: "127.0.0.1:9999" })] }, "valid"],
            ["valid ingress and empty egress in IPv6", { ingress: [ing(http90, { defaultEndpoint: "[::1]:9999" })] }, "valid"],
            ["just outbound traffic policy", { outboundTrafficPolicy: { mode: "ALLOW_ANY" } }, "valid"],
            ["empty protocol in IPv4", { ingress: [ing({ number: 90, name: "foo" }, { defaultEndpoint: "127.0.0.1:9999" })], egress: all }, "valid"],
            ["empty protocol in IPv6", { ingress: [ing({ number: 90, name: "foo" }, { defaultEndpoint: "[::1]:9999" })], egress: all }, "valid"],
            ["ALLOW_ANY sidecar egress policy with no egress proxy", sc(all, { outboundTrafficPolicy: { mode: "ALLOW_ANY" } }), "valid"],
            ["sidecar egress proxy with REGISTRY_ONLY (default)", sc(all, { outboundTrafficPolicy: { egressProxy: proxy } }), ["outboundTrafficPolicy", "egressProxy"]],
            ["sidecar egress proxy with ALLOW_ANY", sc(all, { outboundTrafficPolicy: { mode: "ALLOW_ANY", egressProxy: proxy } }), "valid"],
            ["sidecar egress proxy with ALLOW_ANY, service hostname invalid fqdn", sc(all, { outboundTrafficPolicy: { mode: "ALLOW_ANY", egressProxy: { ...proxy, host: "foobar*123" } } }), ["outboundTrafficPolicy", "egressProxy", "host"]],
            ["sidecar egress proxy (without port) with ALLOW_ANY", sc(all, { outboundTrafficPolicy: { mode: "ALLOW_ANY", egressProxy: { host: "foo.bar", subset: "shiny" } } }), ["outboundTrafficPolicy", "egressProxy", "port"]],
            ["ALLOW_ANY_DYNAMIC_DNS rejected in sidecar", sc(all, { outboundTrafficPolicy: { mode: "ALLOW_ANY_DYNAMIC_DNS" } }), ["outboundTrafficPolicy", "mode"]],
            ["sidecar egress only one wildcarded", sc([eg(["*/*", "test/a.com"])]), { warning: ["egress", 0, "hosts"] }],
            ["sidecar egress wildcarded ns", sc([eg(["*/b.com", "test/a.com"])]), "valid"],
            ["sidecar egress duplicated with wildcarded same namespace", sc([eg(["test/*", "test/a.com"])]), { warning: ["egress", 0, "hosts", 1] }],
            ["invalid partial wildcard", sc([eg(["test/*a.com"])]), ["egress", 0, "hosts", 0]],
            ["sidecar egress duplicated with wildcarded same namespace .", sc([eg(["./*", "bar/a.com"])]), { warning: ["egress", 0, "hosts", 1] }],
            ["ingress tls mode set to ISTIO_MUTUAL in IPv4", ingTls({ mode: "ISTIO_MUTUAL" }, "127.0.0.1:9999", http90), [...I0, "tls", "mode"]],
            ["ingress tls mode set to ISTIO_MUTUAL in IPv6", ingTls({ mode: "ISTIO_MUTUAL" }, "[::1]:9999", http90), [...I0, "tls", "mode"]],
            ["ingress tls mode set to AUTO_PASSTHROUGH in IPv4", ingTls({ mode: "AUTO_PASSTHROUGH" }, "127.0.0.1:9999", http90), [...I0, "tls", "mode"]],
            ["ingress tls mode set to AUTO_PASSTHROUGH in IPv6", ingTls({ mode: "AUTO_PASSTHROUGH" }, "[::1]:9999", http90), [...I0, "tls", "mode"]],
            ["ingress tls invalid protocol in IPv4", ingTls({ mode: "SIMPLE" }, "127.0.0.1:9999"), [...I0, "tls"]],
            ["ingress tls invalid protocol in IPv6", ingTls({ mode: "SIMPLE" }, "[::1]:9999"), [...I0, "tls"]],
            ["ingress tls httpRedirect is not supported in IPv4", ingTls({ mode: "SIMPLE", httpsRedirect: true }, "127.0.0.1:9999"), [...I0, "tls", "httpsRedirect"]],
            ["ingress tls httpRedirect is not supported in IPv6", ingTls({ mode: "SIMPLE", httpsRedirect: true }, "[::1]:9999"), [...I0, "tls", "httpsRedirect"]],
            ["ingress tls SAN entries are not supported in IPv4", ingTls({ mode: "SIMPLE", subjectAltNames: ["httpbin.com"] }, "127.0.0.1:9999"), [...I0, "tls", "subjectAltNames"]],
            ["ingress tls SAN entries are not supported in IPv6", ingTls({ mode: "SIMPLE", subjectAltNames: ["httpbin.com"] }, "[::1]:9999"), [...I0, "tls", "subjectAltNames"]],
            ["ingress tls credentialName is not supported in IPv4", ingTls({ mode: "SIMPLE", credentialName: "secret-name" }, "127.0.0.1:9999"), [...I0, "tls", "credentialName"]],
            ["ingress tls credentialName is not supported in IPv6", ingTls({ mode: "SIMPLE", credentialName: "secret-name" }, "[::1]:9999"), [...I0, "tls", "credentialName"]],
            ["ingress tls credentialNames is not supported in IPv4", ingTls({ mode: "SIMPLE", credentialNames: ["secret-name"] }, "127.0.0.1:9999"), [...I0, "tls", "credentialNames"]],
            ["ingress tls credentialNames is not supported in IPv6", ingTls({ mode: "SIMPLE", credentialNames: ["secret-name"] }, "[::1]:9999"), [...I0, "tls", "credentialNames"]],
            ["ingress tls tlsCertificates is not supported in IPv4", ingTls({ mode: "SIMPLE", tlsCertificates: tlsCerts }, "127.0.0.1:9999"), [...I0, "tls", "tlsCertificates"]],
            ["ingress tls tlsCertificates is not supported in IPv6", ingTls({ mode: "SIMPLE", tlsCertificates: tlsCerts }, "[::1]:9999"), [...I0, "tls", "tlsCertificates"]],
            ["valid ingress tls", ingTls({ mode: "SIMPLE", serverCertificate: "/c", privateKey: "/k" }, "127.0.0.1:9999", { protocol: "HTTPS", number: 90, name: "foo" }), "valid"],
            ["valid inbound connection pool", { inboundConnectionPool: bigPool }, "valid"],
            ["valid port-level connection pool with top level default", { ingress: [ing(http90, { connectionPool: bigPool })], inboundConnectionPool: bigPool }, "valid"],
            ["valid port-level connection pool without a top level default", { ingress: [ing(http90, { connectionPool: bigPool })] }, "valid"],
            ["warn http connection settings on tcp port", { ingress: [ing(tcp90, { connectionPool: bigPool })] }, { warning: [...I0, "connectionPool", "http"] }],
            ["invalid top level connection pool", { inboundConnectionPool: {} }, ["inboundConnectionPool"]],
            ["invalid port-level connection pool", { ingress: [ing(tcp90, { connectionPool: {} })] }, [...I0, "connectionPool"]],
        ],
        "bar",
    );

    const vsExport = (exportTo?: string[]): Json => ({ hosts: [HOST], http: [{ route: [dest()] }], ...(exportTo === undefined ? {} : { exportTo }) });
    const seExport = (exportTo: string[]): Json => ({ hosts: ["a.com"], resolution: "DNS", ports: [{ number: 80, name: "http", protocol: "HTTP" }], exportTo });
    const drSelExport = (exportTo: string[]): Json => ({ host: HOST, workloadSelector: { matchLabels: { app: "a" } }, exportTo });
    table(
        "Test_validateExportTo (VirtualService)",
        "VirtualService",
        [
            ["empty exportTo is okay", vsExport(), "valid"],
            ["* is allowed", vsExport(["*"]), "valid"],
            [". and ns1 are allowed", vsExport([".", "ns1"]), "valid"],
            ["bunch of namespaces in exportTo is okay", vsExport(["ns1", "ns2", "ns5"]), "valid"],
            ["~ not allowed for non service entry configs", vsExport(["~", "ns1"]), ["exportTo", 0]],
            [". and * together are not allowed", vsExport([".", "*"]), ["exportTo"]],
            ["* and ns1 together are not allowed", vsExport(["*", "ns1"]), ["exportTo"]],
            [". and same namespace in exportTo is not okay", vsExport([".", "ns5"]), ["exportTo", 1]],
            ["duplicate namespaces in exportTo is not okay", vsExport(["ns1", "ns2", "ns1"]), ["exportTo", 2]],
            ["invalid namespace names are not okay", vsExport(["ns1_"]), ["exportTo", 0]],
        ],
        "ns5",
    );
    table(
        "Test_validateExportTo (ServiceEntry)",
        "ServiceEntry",
        [
            ["~ is allowed for service entry configs", seExport(["~"]), "valid"],
            ["duplicate none in service entry exportTo is not okay", seExport(["~", "~", "ns1"]), ["exportTo", 1]],
            ["none and other namespaces cannot be combined in service entry exportTo", seExport(["~", "ns1"]), ["exportTo"]],
        ],
        "ns5",
    );
    table(
        "Test_validateExportTo (DestinationRule with a workloadSelector)",
        "DestinationRule",
        [
            ["destination rule with workloadselector cannot have exportTo (*)", drSelExport(["*"]), ["exportTo"]],
            ["destination rule with workloadselector can have only exportTo (.)", drSelExport(["."]), "valid"],
            ["destination rule with workloadselector cannot have another ns in exportTo", drSelExport(["somens"]), ["exportTo"]],
            ["destination rule with workloadselector cannot have another ns in addition to own ns", drSelExport([".", "somens"]), ["exportTo"]],
        ],
        "ns5",
    );

    const hv = (value: string): Json => vsRoute({ headers: { response: { set: { "x-test": value } } } });
    const HV = [...H, "headers", "response", "set", "x-test"];
    table("TestValidateHTTPHeaderValue", "VirtualService", [
        ["foo", hv("foo"), "valid"],
        ["%HOSTNAME%", hv("%HOSTNAME%"), "valid"],
        ["100%%", hv("100%%"), "valid"],
        ["prefix %HOSTNAME% suffix", hv("prefix %HOSTNAME% suffix"), "valid"],
        ["%DOWNSTREAM_PEER_CERT_V_END(%b %d %H:%M:%S %Y %Z)%", hv("%DOWNSTREAM_PEER_CERT_V_END(%b %d %H:%M:%S %Y %Z)%"), "valid"],
        ["%DYNAMIC_METADATA(com.test.my_filter)%", hv("%DYNAMIC_METADATA(com.test.my_filter)%"), "valid"],
        ['%REQ(["a", "b"])%', hv('%REQ(["a", "b"])%'), "valid"],
        ["%START_TIME%%", hv("%START_TIME%%"), HV],
        ["abc%123", hv("abc%123"), HV],
        ['%REQ(["a" x])%', hv('%REQ(["a" x])%'), HV],
    ]);

    const delegate = { name: "test", namespace: "test" };
    table("TestValidateChainingVirtualService", "VirtualService", [
        ["root simple", { hosts: ["foo.bar"], gateways: ["test-gateway"], http: [{ delegate }] }, "valid"],
        ["root applies to sidecar with delegate", { hosts: ["foo.bar"], http: [{ delegate }] }, "valid"],
        ["root with delegate and destination in one route", { hosts: ["foo.bar"], http: [{ delegate, route: toBaz }] }, ["http", 0, "route"]],
        ["delegate with no destination", { hosts: [], http: [{}] }, ["http", 0]],
        ["delegate with delegate", { hosts: [], http: [{ delegate }] }, ["http", 0, "delegate"]],
        ["delegate with TCP route", { hosts: [], tcp: [{ route: toBaz }] }, ["tcp"]],
        ["delegate with TLS route", { hosts: [], tls: [{ match: [{ sniHosts: ["a.com"] }], route: toBaz }] }, ["tls"]],
        ["delegate with gateway", { hosts: [], gateways: ["test"], http: [{ route: toBaz }] }, ["gateways"]],
        ["delegate with sourceNamespace", { hosts: [], http: [{ match: [{ sourceNamespace: "test" }], route: toBaz }] }, "valid"],
    ]);

    const redirectRoute = { redirect: { uri: "/", authority: "foo.biz" } };
    const M0 = [...H, "match", 0];
    table("TestValidateRootHTTPRoute", "VirtualService", [
        ["simple", vsHttp({ delegate }), "valid"],
        ["route and delegate conflict", vsHttp({ route: toBaz, delegate }), [...H, "route"]],
        ["redirect and delegate conflict", vsHttp({ redirect: { uri: "/lerp", authority: "foo.biz" }, delegate }), [...H, "redirect"]],
        ["null header match", vsHttp({ delegate, match: [{ headers: { header: null } }] }), [...M0, "headers", "header"]],
        ["prefix header match", vsHttp({ delegate, match: [{ headers: { header: { prefix: "test" } } }] }), "valid"],
        ["empty prefix header match (delegate)", vsHttp({ delegate, match: [{ headers: { header: { prefix: "" } } }] }), [...M0, "headers", "header", "prefix"]],
        ["exact header match", vsHttp({ delegate, match: [{ headers: { header: { exact: "test" } } }] }), "valid"],
        ["regex header match", vsHttp({ delegate, match: [{ headers: { header: { regex: "test" } } }] }), "valid"],
        ["exact without headers match", vsHttp({ ...redirectRoute, match: [{ withoutHeaders: { header: { exact: "test" } } }] }), "valid"],
        ["regex without headers match", vsHttp({ ...redirectRoute, match: [{ withoutHeaders: { header: { regex: "test" } } }] }), "valid"],
        ["regex without headers match ?", vsHttp({ ...redirectRoute, match: [{ withoutHeaders: { header: { regex: "?" } } }] }), [...M0, "withoutHeaders", "header", "regex"]],
        ["regex without headers match *", vsHttp({ ...redirectRoute, match: [{ withoutHeaders: { header: { regex: "*" } } }] }), "valid"],
        ["regex uri match", vsHttp({ delegate, match: [{ uri: { regex: "test" } }] }), "valid"],
        ["prefix uri match", vsHttp({ delegate, match: [{ uri: { prefix: "test" } }] }), "valid"],
        ["exact uri match", vsHttp({ delegate, match: [{ uri: { exact: "test" } }] }), "valid"],
        ["prefix queryParams match", vsHttp({ delegate, match: [{ queryParams: { q: { prefix: "test" } } }] }), "valid"],
        ["exact queryParams match", vsHttp({ delegate, match: [{ queryParams: { q: { exact: "test" } } }] }), "valid"],
        ["regex queryParams match", vsHttp({ delegate, match: [{ headers: { q: { regex: "test" } } }] }), "valid"],
        ["empty prefix match in method", vsHttp({ ...redirectRoute, match: [{ method: { prefix: "" } }] }), [...M0, "method", "prefix"]],
        ["empty regex match in method", vsHttp({ ...redirectRoute, match: [{ method: { regex: "" } }] }), [...M0, "method", "regex"]],
        ["empty prefix match in uri", vsHttp({ ...redirectRoute, match: [{ uri: { prefix: "" } }] }), "valid"],
        ["empty regex match in uri", vsHttp({ ...redirectRoute, match: [{ uri: { regex: "" } }] }), [...M0, "uri", "regex"]],
        ["empty regex match in query", vsHttp({ ...redirectRoute, match: [{ queryParams: { q: { regex: "" } } }] }), [...M0, "queryParams", "q", "regex"]],
        ["empty regex match in scheme", vsHttp({ ...redirectRoute, match: [{ scheme: { regex: "" } }] }), [...M0, "scheme", "regex"]],
        ["empty prefix match in scheme", vsHttp({ ...redirectRoute, match: [{ scheme: { prefix: "" } }] }), [...M0, "scheme", "prefix"]],
        ["empty prefix header match", vsHttp({ match: [{ headers: { header: { prefix: "" } } }] }), [...M0, "headers", "header", "prefix"]],
    ]);

    /** A delegate VirtualService (no hosts) with one HTTP route. */
    const dlg = (route: Json): Json => ({ http: [route] });
    const dh = (headers: Json): Json => dlg({ route: [{ destination: { host: "foo.baz" }, headers }] });
    table("TestValidateDelegateHTTPRoute", "VirtualService", [
        ["empty", dlg({}), H],
        ["simple", dlg({ route: toBaz }), "valid"],
        ["no destination", dlg({ route: [{}] }), [...RT, 0]],
        ["weighted", dlg({ route: [to("foo.baz.south", 25), to("foo.baz.east", 75)] }), "valid"],
        ["total weight > 100", dlg({ route: [to("foo.baz.south", 55), to("foo.baz.east", 50)] }), "valid"],
        ["total weight < 100", dlg({ route: [to("foo.baz.south", 49), to("foo.baz.east", 50)] }), "valid"],
        ["simple redirect", dlg({ redirect: { uri: "/lerp", authority: "foo.biz" } }), "valid"],
        ["conflicting redirect and route", dlg({ route: toBaz, redirect: { uri: "/lerp", authority: "foo.biz" } }), [...H, "redirect"]],
        ...headerCases(dh),
        ["null header match", dlg({ route: [dest()], match: [{ headers: { header: null } }] }), [...M0, "headers", "header"]],
        ["nil match", dlg({ route: [dest()] }), "valid"],
        ["match with nil element", dlg({ route: [dest()], match: [null] }), "valid"],
        ["invalid mirror percent", dlg({ mirrorPercent: 101, route: [dest()], match: [null] }), [...H, "mirrorPercent"]],
        ["invalid mirror percentage", dlg({ mirrorPercentage: { value: 101 }, route: [dest()], match: [null] }), [...H, "mirrorPercentage", "value"]],
        ["valid mirror percentage", dlg({ mirrorPercentage: { value: 1 }, route: [dest()], match: [null] }), "valid"],
        ["negative mirror percentage", dlg({ mirrorPercentage: { value: -1 }, route: [dest()], match: [null] }), [...H, "mirrorPercentage", "value"]],
        ["delegate route with delegate", dlg({ delegate }), [...H, "delegate"]],
    ]);

    describe("an odd value never throws", () => {
        const odd: [IstioKind, Json][] = [
            ["VirtualService", { hosts: "x", http: [{ route: "y", match: [{ headers: [1] }], headers: null, retries: { retryOn: 5 } }, 7, null], tcp: {}, tls: [{ match: [null] }] }],
            ["DestinationRule", { host: 1, trafficPolicy: [], subsets: [null, { name: 3, trafficPolicy: { loadBalancer: { localityLbSetting: { distribute: [{ to: { a: "x" } }] } } } }] }],
            ["ServiceEntry", { hosts: [null, 3], ports: [{ number: "80" }], resolution: 5, endpoints: [{ ports: { a: null } }] }],
            ["Gateway", { servers: [{ port: null, hosts: [null], tls: { mode: 3, tlsCertificates: [null] } }] }],
            ["Sidecar", { egress: [{ port: {}, hosts: [1] }], ingress: [{ port: { number: "x" }, defaultEndpoint: ":" }] }],
        ];
        for (const [kind, spec] of odd) {
            it(`${kind}: findings, no exception`, () => {
                expect(() => validateIstioSpec(kind, spec)).not.to.throw();
                expect(() => validateIstioSpec(kind, null as unknown as Json)).not.to.throw();
            });
        }
    });

    describe("property: any value at any place of a rich spec gives findings, never an exception", () => {
        const rich: [IstioKind, Json][] = [
            [
                "VirtualService",
                {
                    hosts: ["a.example.com"],
                    gateways: ["ns/gw", "mesh"],
                    http: [
                        {
                            match: [{ uri: { prefix: "/a" }, headers: { x: { regex: "a.*" } }, withoutHeaders: { y: {} }, queryParams: { q: { exact: "1" } }, port: 80, sourceLabels: { app: "a" } }],
                            route: [{ destination: { host: "a", subset: "v1", port: { number: 80 } }, weight: 100, headers: { request: { set: { a: "b" } } } }],
                            retries: { attempts: 2, retryOn: "5xx", perTryTimeout: "1s" },
                            fault: { abort: { httpStatus: 500, percentage: { value: 1 } }, delay: { fixedDelay: "1s" } },
                            corsPolicy: { allowOrigins: [{ exact: "x" }], allowMethods: ["GET"], maxAge: "1s" },
                            mirrors: [{ destination: { host: "m" }, percentage: { value: 5 } }],
                            rewrite: { uriRegexRewrite: { match: "a", rewrite: "b" } },
                            timeout: "2s",
                        },
                        { redirect: { uri: "/", redirectCode: 301 } },
                        { directResponse: { status: 200, body: { string: "x" } } },
                    ],
                    tls: [{ match: [{ sniHosts: ["a.example.com"], destinationSubnets: ["10.0.0.0/8"] }], route: [{ destination: { host: "a" } }] }],
                    tcp: [{ match: [{ port: 9000 }], route: [{ destination: { host: "a" } }] }],
                    exportTo: ["."],
                },
            ],
            [
                "DestinationRule",
                {
                    host: "a",
                    trafficPolicy: {
                        ...goodPolicy,
                        tls: { mode: "MUTUAL", clientCertificate: "c", privateKey: "k" },
                        loadBalancer: { consistentHash: { httpCookie: { name: "c", attributes: [{ name: "x" }] }, maglev: { tableSize: 65537 } }, localityLbSetting: { distribute: [{ from: "a/b", to: { "a/b": 100 } }] } },
                        portLevelSettings: [{ port: { number: 80 }, connectionPool: { tcp: { tcpKeepalive: { time: "1s" } } } }],
                    },
                    subsets: [{ name: "v1", labels: { version: "v1" }, trafficPolicy: { tunnel: { targetHost: "a.b", targetPort: 80 } } }],
                    workloadSelector: { matchLabels: { app: "a" } },
                },
            ],
            ["ServiceEntry", { hosts: ["a.com"], addresses: ["10.0.0.1"], ports: [{ number: 80, name: "http", protocol: "HTTP", targetPort: 8080 }], resolution: "STATIC", endpoints: [{ address: "1.2.3.4", ports: { http: 80 }, labels: { a: "b" } }], exportTo: ["~"] }],
            ["Gateway", { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["ns/a.com"], tls: { mode: "MUTUAL", credentialName: "c", cipherSuites: ["AES128-SHA"] }, bind: "0.0.0.0" }] }],
            [
                "Sidecar",
                {
                    workloadSelector: { labels: { app: "a" } },
                    ingress: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, defaultEndpoint: "127.0.0.1:8080", tls: { mode: "SIMPLE", serverCertificate: "/c", privateKey: "/k" } }],
                    egress: [{ port: { number: 0, name: "uds", protocol: "HTTP" }, bind: "unix:///x", hosts: ["./*"] }, { hosts: ["*/*"] }],
                    outboundTrafficPolicy: { mode: "ALLOW_ANY", egressProxy: { host: "a.b", port: { number: 80 } } },
                    inboundConnectionPool: bigPool,
                },
            ],
        ];
        const leaves = (v: unknown, at: Path = []): Path[] =>
            v !== null && typeof v === "object" ? [at, ...Object.entries(v).flatMap(([k, x]) => leaves(x, [...at, Array.isArray(v) ? Number(k) : k]))] : [at];
        const setAt = (root: unknown, at: Path, value: unknown): unknown => {
            if (at.length === 0) {
                return value;
            }
            const copy = JSON.parse(JSON.stringify(root)) as Record<string | number, unknown>;
            let node = copy;
            for (const k of at.slice(0, -1)) {
                node = node[k] as Record<string | number, unknown>;
            }
            node[at[at.length - 1] as string | number] = value;
            return copy;
        };
        for (const [kind, spec] of rich) {
            it(`${kind}`, () => {
                expect(validateIstioSpec(kind, spec, { namespace: "default" }).filter((f) => f.severity === "error"), "the rich spec itself").to.deep.equal([]);
                const paths = leaves(spec);
                fc.assert(
                    fc.property(fc.nat(), fc.jsonValue(), (i, value) => {
                        const mutated = setAt(spec, paths[i % paths.length] ?? [], value) as Json;
                        const findings = validateIstioSpec(kind, mutated, { namespace: "default" });
                        return Array.isArray(findings) && findings.every((f) => Array.isArray(f.path) && typeof f.message === "string");
                    }),
                    { numRuns: 400, seed: 19 },
                );
            });
        }
    });

    describe("messages name the value and the rule", () => {
        it("route and redirect together", () => {
            const [finding] = validateIstioSpec("VirtualService", vsRoute({ redirect: { uri: "/x" } }));
            expect(finding).to.deep.equal({
                path: ["http", 0, "redirect"],
                message: "sets both route and redirect; an HTTP route takes one of route, redirect, directResponse or delegate",
                severity: "error",
            });
        });
        it("a retryOn condition", () => {
            const findings = validateIstioSpec("VirtualService", vsRoute({ retries: { attempts: 2, retryOn: "5xx,conect-failure" } }));
            expect(findings).to.have.length(1);
            expect(findings[0]?.path).to.deep.equal(["http", 0, "retries", "retryOn"]);
            expect(findings[0]?.message).to.match(/^retryOn has "conect-failure", which is neither an Envoy retry condition nor an HTTP status code; /);
        });
        it("a DestinationRule's MUTUAL TLS without a client certificate", () => {
            const findings = validateIstioSpec("DestinationRule", drTls({ mode: "MUTUAL", privateKey: "/k" }));
            expect(findings.map((f) => [f.path, f.severity])).to.deep.equal([[[...TLS, "clientCertificate"], "error"]]);
            expect(findings[0]?.message).to.equal("tls mode MUTUAL needs a clientCertificate (or a credentialName)");
            expect(findings[0]?.fix).to.be.a("string");
        });
    });
});

// ---------------------------------------------------------------------------------------------------
// The module's own samples: every traffic-management object must pass.

const SAMPLE_FILES = [
    "samples/bookinfo/networking/*.yaml",
    "samples/helloworld/helloworld-gateway.yaml",
    "samples/httpbin/httpbin-gateway.yaml",
    "samples/tcp-echo/*.yaml",
    "samples/websockets/route.yaml",
    "samples/external/*.yaml",
];
const KINDS = new Set<string>(["VirtualService", "DestinationRule", "ServiceEntry", "Gateway", "Sidecar"]);

function sampleFiles(moduleDir: string): string[] {
    return SAMPLE_FILES.flatMap((pattern) => {
        const dir = path.join(moduleDir, path.dirname(pattern));
        const base = path.basename(pattern);
        if (!base.includes("*")) {
            return [path.join(dir, base)];
        }
        const suffix = base.slice(base.indexOf("*") + 1);
        return fs.readdirSync(dir).filter((f) => f.endsWith(suffix)).sort().map((f) => path.join(dir, f));
    });
}

describe("validateIstioSpec on the pinned Istio module's samples", function () {
    this.timeout(60_000);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- test support, loaded here so a missing module fails this suite only, with its how-to message
    const { istioModuleDir } = require("../../support/istioModule") as typeof import("../../support/istioModule");
    let moduleDir = "";
    before(() => {
        moduleDir = istioModuleDir();
    });
    it("every traffic-management object of the samples gives no errors", () => {
        const files = sampleFiles(moduleDir);
        expect(files.length, "sample files").to.be.greaterThan(20);
        let objects = 0;
        const failures: string[] = [];
        for (const file of files) {
            for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
                const o = doc as { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string }; spec?: Json } | null;
                if (o === null || typeof o !== "object" || !KINDS.has(o.kind ?? "") || !String(o.apiVersion).startsWith("networking.istio.io/")) {
                    continue;
                }
                objects++;
                const errors = validateIstioSpec(o.kind as IstioKind, o.spec ?? {}, { namespace: o.metadata?.namespace ?? "default" }).filter((f) => f.severity === "error");
                if (errors.length > 0) {
                    failures.push(`${path.relative(moduleDir, file)} ${o.kind}/${o.metadata?.name ?? "?"}:\n${render(errors)}`);
                }
            }
        }
        expect(failures, failures.join("\n")).to.deep.equal([]);
        expect(objects, "traffic-management objects in the samples").to.be.greaterThan(30);
    });
});
