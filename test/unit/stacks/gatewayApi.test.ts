/**
 * `routingApi: gateway-api` (stacks/gatewayApi.ts, components/gatewayApiPlan.ts): the objects a stack registers
 * under Pulumi mocks, each validated against the pinned CRDs' schema (Gateway API objects against the Gateway API
 * bundle, the DestinationRules against Istio's), and every refusal with its path, value, rule and fix. What istiod
 * makes of these objects is proven by test/e2e/istiod/gatewayApi.test.ts, not here.
 */
import { expect } from "chai";
import { checkStackConfig } from "../../../stacks/config";
import type { RecordedResource } from "../../support/mocks";
import { baseStackConfig, sampleApp, type RawStack } from "../../support/stackFixtures";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const SERVICE = "kubernetes:core/v1:Service";
const DR = "kubernetes:networking.istio.io/v1:DestinationRule";

/** The base fixture in gateway-api mode, without the egress host (test/unit/stacks/gatewayApiGateways.test.ts covers egress). */
function gatewayApiStack(): RawStack {
    const raw = baseStackConfig();
    raw["routingApi"] = "gateway-api";
    delete raw["egress"];
    return raw;
}

/** A service with every route kind the mode expresses. */
function everyRoute(raw: RawStack): RawStack {
    const svc = sampleApp(raw);
    svc["pins"] = [
        { header: "x-canary", exact: "always" },
        { header: "x-team", prefix: "qa." },
        { cookie: "canary", value: "yes" },
    ];
    svc["abTest"] = { header: "x-new-feature", cookie: "new-feature" };
    svc["redirects"] = [{ prefix: "/old", uri: "/new", redirectCode: 308 }];
    svc["uriRoutes"] = [{ prefix: "/api/v2", subset: "canary", rewrite: "/v2" }];
    svc["timeout"] = "10s";
    svc["mirror"] = { percentage: 5 };
    svc["trafficPolicy"] = { outlierDetection: { consecutive5xxErrors: 5 } };
    svc["canary"] = { ...svc.canary, trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } };
    return raw;
}

const specOf = (r: RecordedResource): unknown => r.inputs["spec"];
const nameOf = (r: RecordedResource): string => (r.inputs["metadata"] as { name: string }).name;

describe("routingApi gateway-api: the objects (stacks/gatewayApi.ts, components/gatewayApiPlan.ts)", () => {
    const mesh = stacksUnderMocks();
    const build = (raw: RawStack): Promise<RecordedResource[]> => mesh.build(raw);

    it("every route kind: the mesh HTTPRoute in the Istio mode's order, pins and the flag on every prefix", async () => {
        await build(everyRoute(gatewayApiStack()));
        const route = mesh.rec.one("sample-app-httproute", HTTPROUTE);
        const every = (headers: unknown[]) => ["/", "/old", "/api/v2"].map((value) => ({ path: { type: "PathPrefix", value }, headers }));
        const toCanary = [{ name: "sample-app-v2", port: 8080, weight: 100 }];
        const timeouts = { request: "10s" };
        expect(specOf(route)).to.deep.equal({
            parentRefs: [{ group: "", kind: "Service", name: "sample-app" }],
            rules: [
                { name: "canary-pin-0", matches: every([{ type: "Exact", name: "x-canary", value: "always" }]), backendRefs: toCanary, timeouts },
                { name: "canary-pin-1", matches: every([{ type: "RegularExpression", name: "x-team", value: "qa\\..*" }]), backendRefs: toCanary, timeouts },
                {
                    name: "canary-pin-2",
                    matches: every([{ type: "RegularExpression", name: "cookie", value: "^(.*?;\\s*)?canary=yes(;.*)?$" }]),
                    backendRefs: toCanary,
                    timeouts,
                },
                {
                    name: "ab-test",
                    matches: [
                        ...every([{ type: "Exact", name: "x-new-feature", value: "enabled" }]),
                        ...every([{ type: "RegularExpression", name: "cookie", value: "^(.*?;\\s*)?new-feature=enabled(;.*)?$" }]),
                    ],
                    backendRefs: toCanary,
                    timeouts,
                },
                {
                    name: "redirect-0",
                    matches: [{ path: { type: "PathPrefix", value: "/old" } }],
                    filters: [{ type: "RequestRedirect", requestRedirect: { path: { type: "ReplaceFullPath", replaceFullPath: "/new" }, statusCode: 308 } }],
                },
                {
                    name: "uri-0",
                    matches: [{ path: { type: "PathPrefix", value: "/api/v2" } }],
                    backendRefs: toCanary,
                    timeouts,
                    filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" } } }],
                },
                {
                    name: "catch-all",
                    matches: [{ path: { type: "PathPrefix", value: "/" } }],
                    backendRefs: [
                        { name: "sample-app-v1", port: 8080, weight: 90 },
                        { name: "sample-app-v2", port: 8080, weight: 10 },
                    ],
                    timeouts,
                    filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "sample-app-v2", port: 8080 }, percent: 5 } }],
                },
            ],
        });
    });

    it("a Service per version, DestinationRules for the service and each policed version, the Gateway and its routes", async () => {
        const objects = await build(everyRoute(gatewayApiStack()));
        expect(objects.map((r) => `${r.type.split(":").pop() ?? ""}/${nameOf(r)}`).sort()).to.deep.equal([
            "Deployment/sample-app-v1",
            "Deployment/sample-app-v2",
            "DestinationRule/sample-app",
            "DestinationRule/sample-app-v1",
            "DestinationRule/sample-app-v2",
            "Gateway/ingress",
            "HTTPRoute/ingress-0",
            "HTTPRoute/ingress-https-redirect",
            "HTTPRoute/sample-app",
            "Namespace/shop",
            "Service/sample-app",
            "Service/sample-app-v1",
            "Service/sample-app-v2",
        ]);
        expect(specOf(mesh.rec.one("sample-app-v2-service", SERVICE))).to.deep.equal({
            selector: { app: "sample-app", version: "v2" },
            ports: [{ name: "http", port: 8080, targetPort: 8080 }],
        });
        // The host-wide policy on every version, the canary's own over it, field by field (Istio's subset merge).
        expect(specOf(mesh.rec.one("sample-app-v1-dr", DR))).to.deep.equal({ host: "sample-app-v1", trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } } });
        expect(specOf(mesh.rec.one("sample-app-v2-dr", DR))).to.deep.equal({
            host: "sample-app-v2",
            trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 }, connectionPool: { tcp: { maxConnections: 10 } } },
        });
        expect(specOf(mesh.rec.one("ingress-gateway", GATEWAY))).to.deep.equal({
            gatewayClassName: "istio",
            listeners: [
                { name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } },
                {
                    name: "https",
                    port: 443,
                    protocol: "HTTPS",
                    tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: "shop-tls" }] },
                    allowedRoutes: { namespaces: { from: "Same" } },
                },
            ],
        });
        expect(specOf(mesh.rec.one("ingress-https-redirect", HTTPROUTE))).to.deep.equal({
            parentRefs: [{ name: "ingress", sectionName: "http" }],
            hostnames: ["shop.example.com"],
            rules: [{ name: "https-redirect", filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
        });
        // The ingress route `/` carries the service's mesh rules (under `/`: unchanged), pins and A/B flag included.
        expect(specOf(mesh.rec.one("ingress-0-httproute", HTTPROUTE))).to.deep.equal({
            parentRefs: [{ name: "ingress", sectionName: "https" }],
            hostnames: ["shop.example.com"],
            rules: (specOf(mesh.rec.one("sample-app-httproute", HTTPROUTE)) as { rules: unknown[] }).rules,
        });
    });

    it("an ingress route under a prefix carries the service's rules under it; a rule whose path lies outside is left out, with a warning", async () => {
        const raw = everyRoute(gatewayApiStack());
        (raw["ingress"] as { routes: { prefix: string; service: string }[] }).routes = [{ prefix: "/api", service: "sample-app" }];
        const warnings: string[] = [];
        const original = console.warn;
        // Under mocks there is no engine: pulumi.log.warn writes to console.warn.
        console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
        try {
            await build(raw);
        } finally {
            console.warn = original;
        }
        const rules = (specOf(mesh.rec.one("ingress-0-httproute", HTTPROUTE)) as { rules: { name: string; matches: { path: { value: string } }[] }[] }).rules;
        // "/" becomes "/api", "/api/v2" lies under it and stays, "/old" does not: the redirect is left out for this route
        expect(rules.map((r) => [r.name, r.matches.map((m) => m.path.value)])).to.deep.equal([
            ["canary-pin-0", ["/api", "/api/v2"]],
            ["canary-pin-1", ["/api", "/api/v2"]],
            ["canary-pin-2", ["/api", "/api/v2"]],
            ["ab-test", ["/api", "/api/v2", "/api", "/api/v2"]],
            ["uri-0", ["/api/v2"]],
            ["catch-all", ["/api"]],
        ]);
        expect(warnings.join("\n")).to.contain('HTTPRoute "ingress-0": rule "redirect-0" of sample-app matches no path under "/api"');
    });

    it("every object is valid against the pinned CRDs (Gateway API v1.6.0 standard channel; Istio's), unknown fields rejected", async () => {
        const raw = everyRoute(gatewayApiStack());
        raw.ingress["tls"] = { mode: "MUTUAL", credentialName: "shop-tls" };
        raw.ingress["httpsPort"] = 8443;
        sampleApp(raw)["mirror"] = { percentage: 0.5 };
        const objects = await build(raw);
        const checked = objects.filter((r) => r.type.includes("gateway.networking.k8s.io") || r.type.includes("networking.istio.io"));
        expect(checked.length).to.equal(7);
        expect(mesh.crdProblems(checked)).to.deep.equal([]);
        // MUTUAL through Istio's listener option; a fraction of a percent mirrored as parts per million.
        const https = (specOf(mesh.rec.one("ingress-gateway", GATEWAY)) as { listeners: { tls?: unknown }[] }).listeners[1];
        expect(https?.tls).to.deep.equal({
            mode: "Terminate",
            certificateRefs: [{ group: "", kind: "Secret", name: "shop-tls" }],
            options: { "gateway.istio.io/tls-terminate-mode": "MUTUAL" },
        });
        const rules = (specOf(mesh.rec.one("sample-app-httproute", HTTPROUTE)) as { rules: { name: string; filters?: unknown }[] }).rules;
        expect(rules.find((r) => r.name === "catch-all")?.filters).to.deep.equal([
            { type: "RequestMirror", requestMirror: { backendRef: { name: "sample-app-v2", port: 8080 }, fraction: { numerator: 5000, denominator: 1000000 } } },
        ]);
        expect(specOf(mesh.rec.one("ingress-https-redirect", HTTPROUTE))).to.have.nested.property("rules[0].filters[0].requestRedirect.port", 8443);
    });

    it("no canary routed: one backend, no pins, no mirror; a promoted service routes to its one version", async () => {
        const raw = everyRoute(gatewayApiStack());
        sampleApp(raw).canary = { version: "v2", weight: 0, routed: false };
        await build(raw);
        const rules = (specOf(mesh.rec.one("sample-app-httproute", HTTPROUTE)) as { rules: { name: string; backendRefs?: unknown; filters?: unknown }[] }).rules;
        expect(rules.map((r) => r.name)).to.deep.equal(["redirect-0", "uri-0", "catch-all"]);
        expect(rules[1]?.backendRefs, "a URI route to the unrouted canary goes to stable, as in the Istio mode").to.deep.equal([{ name: "sample-app-v1", port: 8080, weight: 100 }]);
        expect(rules[2]).to.deep.include({ backendRefs: [{ name: "sample-app-v1", port: 8080, weight: 100 }] });
        expect(rules[2]?.filters).to.equal(undefined);
    });

    it("stackObjects lists what the components register (the name-collision rule checks these names)", async () => {
        const raw = everyRoute(gatewayApiStack());
        raw.services["payments"] = { image: "pay:{version}", stable: { version: "v3" }, canary: {} };
        const objects = await build(raw);
        const registered = objects.map((r) => `${r.type.split(":").pop() ?? ""}/${nameOf(r)}`).filter((k) => !k.startsWith("Namespace/"));
        const listed = mesh.stacks.stackObjects(mesh.stacks.parseStackConfig("test", raw)).map((o) => `${o.kind}/${o.name}`);
        // DestinationRules of the version Services are left out: the version Service of the same name is listed.
        expect(listed.sort()).to.deep.equal(registered.filter((k) => !/^DestinationRule\/.*-v\d$/.test(k)).sort());
    });

    it("a service named like another's version Service is refused, naming both", () => {
        const raw = gatewayApiStack();
        raw.services["sample-app-v1"] = { image: "x:{version}", stable: { version: "v9" }, canary: {} };
        const problems = checkStackConfig(raw).problems;
        expect(problems.map((p) => p.reason)).to.include(
            'services.sample-app-v1 makes Service "sample-app-v1", which services.sample-app.stable also makes; each object name must have one owner: rename the service',
        );
    });
});

describe("routingApi gateway-api: what it refuses (stacks/gatewayApi.ts)", () => {
    const refused = (edit: (raw: RawStack) => void): { path: string; reason: string; fix: string | undefined }[] => {
        const raw = gatewayApiStack();
        edit(raw);
        const result = checkStackConfig(raw);
        expect(result.config, "the config must be refused").to.equal(undefined);
        return result.problems.map((p) => ({ path: p.propertyPath, reason: p.reason, fix: p.fix }));
    };

    it("the default is istio, and the base stack is valid in gateway-api mode", () => {
        expect(checkStackConfig(baseStackConfig()).config?.routingApi).to.equal("istio");
        expect(checkStackConfig(gatewayApiStack()).problems).to.deep.equal([]);
    });

    it("faults: the Gateway API has no fault injection", () => {
        expect(refused((r) => (sampleApp(r)["faults"] = { abort: { percentage: 10, httpStatus: 503 } }))).to.deep.equal([
            {
                path: "services.sample-app.faults",
                reason:
                    'services.sample-app.faults is {"abort":{"percentage":10,"httpStatus":503}}; the Gateway API (v1.6.0) has no fault injection, so an HTTPRoute cannot carry it (routingApi gateway-api): remove it or use routingApi istio',
                fix: "pulumi config rm --path 'services.sample-app.faults'   # or: pulumi config set routingApi istio",
            },
        ]);
    });

    it("retries: experimental in v1.6.0, not in the standard channel", () => {
        expect(refused((r) => (sampleApp(r)["retries"] = { attempts: 3 }))).to.deep.equal([
            {
                path: "services.sample-app.retries",
                reason:
                    `services.sample-app.retries is {"attempts":3}; an HTTPRoute's retry policy is experimental in Gateway API v1.6.0, not in the standard channel this stack installs (routingApi gateway-api): remove it or use routingApi istio`,
                fix: "pulumi config rm --path 'services.sample-app.retries'   # or: pulumi config set routingApi istio",
            },
        ]);
    });

    it("mesh hosts other than the Service: a GAMMA route attaches to the Service", () => {
        expect(refused((r) => (sampleApp(r)["hosts"] = ["sample-app", "shop.internal"]))).to.deep.equal([
            {
                path: "services.sample-app.hosts",
                reason:
                    'services.sample-app.hosts is ["sample-app","shop.internal"]; a mesh HTTPRoute attaches to the service\'s Service (GAMMA), so it serves that one host only (routingApi gateway-api): remove it or use routingApi istio',
                fix: "pulumi config rm --path 'services.sample-app.hosts'   # or: pulumi config set routingApi istio",
            },
        ]);
    });

    it("a timeout Go accepts but GEP-2257 does not", () => {
        expect(refused((r) => (sampleApp(r)["timeout"] = "1.5s"))).to.deep.equal([
            {
                path: "services.sample-app.timeout",
                reason:
                    `services.sample-app.timeout is "1.5s"; it must be a GEP-2257 duration for an HTTPRoute: up to four integer parts of h, m, s or ms, such as "10s" or "1500ms" (routingApi gateway-api): write it so, e.g. "1500ms" for "1.5s"`,
                fix: "pulumi config set --path 'services.sample-app.timeout' <valid value>",
            },
        ]);
    });

    it("a path prefix the Gateway API's CRD refuses (the API server would at up): in URI routes, redirects and ingress routes", () => {
        const got = refused((r) => {
            sampleApp(r)["uriRoutes"] = [{ prefix: "/a//b", subset: "stable" }];
            sampleApp(r)["redirects"] = [{ prefix: "/x#y", uri: "/" }];
            r.ingress["routes"] = [{ prefix: "/shop/../admin", service: "sample-app" }];
        });
        const rule = 'a Gateway API path prefix starts with "/", has no "//", "/./", "/../", "%2f" or "#", and only URL path characters (routingApi gateway-api): write it so or use routingApi istio';
        expect(got.map((p) => [p.path, p.reason])).to.deep.equal([
            ["services.sample-app.redirects[0].prefix", `services.sample-app.redirects[0].prefix is "/x#y"; ${rule}`],
            ["services.sample-app.uriRoutes[0].prefix", `services.sample-app.uriRoutes[0].prefix is "/a//b"; ${rule}`],
            ["ingress.routes[0].prefix", `ingress.routes[0].prefix is "/shop/../admin"; ${rule}`],
        ]);
    });

    it("more rules than an HTTPRoute holds (16)", () => {
        const got = refused((r) => (sampleApp(r)["pins"] = Array.from({ length: 16 }, (_, i) => ({ header: `x-pin-${i}`, exact: "1" }))));
        expect(got.map((p) => p.path)).to.deep.equal(["services.sample-app"]);
        expect(got[0]?.reason).to.match(/^services\.sample-app: the service needs an HTTPRoute with 17 rules \(canary-pin-0, .*, catch-all\); an HTTPRoute holds at most 16 \(routingApi gateway-api\): route fewer pins, redirects or URI routes, or use routingApi istio$/);
    });

    it("more matches than a rule holds (a pin matches every prefix)", () => {
        const got = refused((r) => (sampleApp(r)["redirects"] = Array.from({ length: 64 }, (_, i) => ({ prefix: `/r${String(i).padStart(2, "0")}/`, uri: "/" })), sampleApp(r)["pins"] = [{ header: "x-pin", exact: "1" }]));
        expect(got.map((p) => p.path)).to.deep.include("services.sample-app");
        expect(got.map((p) => p.reason).join("\n")).to.include('needs rule "canary-pin-0" with 65 matches (a pin matches every prefix of the redirects and URI routes); a rule holds at most 64');
    });

    it("routing's VirtualServices: Istio does not support a VirtualService and an HTTPRoute for one workload", () => {
        const got = refused((r) => (r["routing"] = { virtualServices: { extra: { hosts: ["extra"], http: [{ route: [{ destination: { host: "extra" } }] }] } } }));
        expect(got.map((p) => [p.path, p.fix])).to.deep.include(["routing.virtualServices.extra", "pulumi config rm --path 'routing.virtualServices.extra'   # or: pulumi config set routingApi istio"]);
    });
});
