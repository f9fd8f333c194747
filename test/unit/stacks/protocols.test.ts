/**
 * `services.<svc>.protocol` (issue 22): what a tcp and a grpc service register in both routing APIs under Pulumi mocks,
 * each object validated against its pinned CRD schema (Istio's; Gateway API v1.6.0's standard channel), and every
 * refusal with its path, value, rule and fix. What istiod makes of them (a tcp_proxy's weighted clusters) is the e2e
 * suite's to prove, not this file's.
 */
import { expect } from "chai";
import { checkStackConfig } from "../../../stacks/config";
import { checkEnvironment } from "../../../stacks/environment";
import type { RecordedResource } from "../../support/mocks";
import { baseStackConfig, sampleApp, type RawStack } from "../../support/stackFixtures";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

const VS = "kubernetes:networking.istio.io/v1:VirtualService";
const SERVICE = "kubernetes:core/v1:Service";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const TCPROUTE = "kubernetes:gateway.networking.k8s.io/v1:TCPRoute";
const GRPCROUTE = "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute";
const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

/** The base fixture with sample-app speaking `protocol`, canary v2 at 20 %, no ingress or egress. */
function stack(api: "istio" | "gateway-api", protocol: "tcp" | "grpc"): RawStack {
    const raw = baseStackConfig();
    raw["routingApi"] = api;
    delete raw["egress"];
    raw.ingress = { enabled: false, hosts: ["shop.example.com"], routes: [] };
    const svc = sampleApp(raw);
    svc["protocol"] = protocol;
    svc.canary = { version: "v2", weight: 20 };
    return raw;
}

const specOf = (r: RecordedResource): unknown => r.inputs["spec"];
const kindsOf = (objects: readonly RecordedResource[]): string[] => objects.map((r) => `${r.type.split(":").pop() ?? ""}/${r.name}`).sort();
const portNames = (r: RecordedResource): string[] => (specOf(r) as { ports: { name: string }[] }).ports.map((p) => p.name);

describe("services.<svc>.protocol: the objects of a tcp and a grpc service (stacks/, components/canaryPlan.ts, gatewayApiPlan.ts)", () => {
    const mesh = stacksUnderMocks();

    it("tcp, routingApi istio: the VirtualService has one tcp route, the 80/20 split to the subsets, and no http; ports named tcp", async () => {
        const objects = await mesh.build(stack("istio", "tcp"));
        expect(specOf(mesh.rec.one("sample-app-vs", VS))).to.deep.equal({
            hosts: ["sample-app"],
            tcp: [
                {
                    route: [
                        { destination: { host: "sample-app", port: { number: 8080 }, subset: "stable" }, weight: 80 },
                        { destination: { host: "sample-app", port: { number: 8080 }, subset: "canary" }, weight: 20 },
                    ],
                },
            ],
        });
        expect(portNames(mesh.rec.one("sample-app-service", SERVICE))).to.deep.equal(["tcp"]);
        const container = (specOf(mesh.rec.one("sample-app-v2", DEPLOYMENT)) as { template: { spec: { containers: { ports: { name: string }[] }[] } } }).template.spec.containers[0];
        expect(container?.ports.map((p) => p.name)).to.deep.equal(["tcp"]);
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
    });

    it("tcp, routingApi gateway-api: a TCPRoute (v1) on the Service, 80/20 over the version Services, no HTTPRoute", async () => {
        const objects = await mesh.build(stack("gateway-api", "tcp"));
        expect(kindsOf(objects)).to.deep.equal([
            "Deployment/sample-app-v1",
            "Deployment/sample-app-v2",
            "DestinationRule/sample-app-dr",
            "Namespace/namespace",
            "Service/sample-app-service",
            "Service/sample-app-v1-service",
            "Service/sample-app-v2-service",
            "TCPRoute/sample-app-tcproute",
        ]);
        expect(specOf(mesh.rec.one("sample-app-tcproute", TCPROUTE))).to.deep.equal({
            parentRefs: [{ group: "", kind: "Service", name: "sample-app" }],
            rules: [{ name: "catch-all", backendRefs: [{ name: "sample-app-v1", port: 8080, weight: 80 }, { name: "sample-app-v2", port: 8080, weight: 20 }] }],
        });
        expect(portNames(mesh.rec.one("sample-app-v2-service", SERVICE))).to.deep.equal(["tcp"]);
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
    });

    it("tcp at 0 %: the canary is left out of both routes (as a 0-weight subset is)", async () => {
        const raw = stack("gateway-api", "tcp");
        sampleApp(raw).canary = { version: "v2", weight: 0 };
        await mesh.build(raw);
        expect(specOf(mesh.rec.one("sample-app-tcproute", TCPROUTE))).to.have.deep.nested.property("rules[0].backendRefs", [{ name: "sample-app-v1", port: 8080, weight: 100 }]);
        await mesh.build({ ...raw, routingApi: "istio" });
        expect(specOf(mesh.rec.one("sample-app-vs", VS))).to.have.deep.nested.property("tcp[0].route", [{ destination: { host: "sample-app", port: { number: 8080 }, subset: "stable" } }]);
    });

    it("grpc, routingApi istio: http routes as for http (gRPC rides HTTP/2), the Service port named grpc", async () => {
        const raw = stack("istio", "grpc");
        sampleApp(raw)["pins"] = [{ header: "x-canary", exact: "always" }];
        const objects = await mesh.build(raw);
        const vs = specOf(mesh.rec.one("sample-app-vs", VS)) as { http: { name: string }[]; tcp?: unknown };
        expect(vs.http.map((r) => r.name)).to.deep.equal(["canary-pin-0", "catch-all"]);
        expect(vs.tcp).to.equal(undefined);
        expect(portNames(mesh.rec.one("sample-app-service", SERVICE))).to.deep.equal(["grpc"]);
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
    });

    it("grpc, routingApi gateway-api: a GRPCRoute with the HTTPRoute's weights, pins, A/B flag, mirror and parentRef; no HTTPRoute", async () => {
        const raw = stack("gateway-api", "grpc");
        const svc = sampleApp(raw);
        svc["pins"] = [{ header: "x-canary", exact: "always" }, { cookie: "canary", value: "yes" }];
        svc["abTest"] = { header: "x-new" };
        svc["mirror"] = { percentage: 5 };
        const objects = await mesh.build(raw);
        expect(objects.filter((r) => r.type === HTTPROUTE)).to.deep.equal([]);
        const toCanary = [{ name: "sample-app-v2", port: 8080, weight: 100 }];
        expect(specOf(mesh.rec.one("sample-app-grpcroute", GRPCROUTE))).to.deep.equal({
            parentRefs: [{ group: "", kind: "Service", name: "sample-app" }],
            rules: [
                { name: "canary-pin-0", matches: [{ headers: [{ type: "Exact", name: "x-canary", value: "always" }] }], backendRefs: toCanary },
                { name: "canary-pin-1", matches: [{ headers: [{ type: "RegularExpression", name: "cookie", value: "^(.*?;\\s*)?canary=yes(;.*)?$" }] }], backendRefs: toCanary },
                { name: "ab-test", matches: [{ headers: [{ type: "Exact", name: "x-new", value: "enabled" }] }], backendRefs: toCanary },
                {
                    name: "catch-all",
                    filters: [{ type: "RequestMirror", requestMirror: { backendRef: { name: "sample-app-v2", port: 8080 }, percent: 5 } }],
                    backendRefs: [{ name: "sample-app-v1", port: 8080, weight: 80 }, { name: "sample-app-v2", port: 8080, weight: 20 }],
                },
            ],
        });
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
    });

    it("grpc with sticky sessions: the session rules and the backends' Set-Cookie filters carry over, valid against the GRPCRoute CRD", async () => {
        const raw = stack("gateway-api", "grpc");
        sampleApp(raw).canary = { version: "v2", weight: 20, sessionAffinity: { cookieName: "sticky" } };
        const objects = await mesh.build(raw);
        const rules = (specOf(mesh.rec.one("sample-app-grpcroute", GRPCROUTE)) as { rules: { name: string; matches?: unknown[] }[] }).rules;
        expect(rules.map((r) => [r.name, r.matches?.length])).to.deep.equal([
            ["catch-all-canary-session", 1],
            ["catch-all-stable-session", 1],
            ["catch-all", undefined],
        ]);
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
    });

    it("grpc through the ingress (gateway-api): the gateway route stays an HTTPRoute under its prefix, with the pins", async () => {
        const raw = stack("gateway-api", "grpc");
        raw.ingress = { enabled: true, hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" }, routes: [{ prefix: "/shop.Cart/", service: "sample-app" }] };
        sampleApp(raw)["pins"] = [{ header: "x-canary", exact: "always" }];
        const objects = await mesh.build(raw);
        const rules = (specOf(mesh.rec.one("ingress-0-httproute", HTTPROUTE)) as { rules: { name: string; matches: { path: unknown }[] }[] }).rules;
        expect(rules.map((r) => [r.name, r.matches.map((m) => m.path)])).to.deep.equal([
            ["canary-pin-0", [{ type: "PathPrefix", value: "/shop.Cart/" }]],
            ["catch-all", [{ type: "PathPrefix", value: "/shop.Cart/" }]],
        ]);
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
    });

    it("stackObjects names the TCPRoute and the GRPCRoute (the name-collision rule checks these)", async () => {
        for (const protocol of ["tcp", "grpc"] as const) {
            const raw = stack("gateway-api", protocol);
            const objects = await mesh.build(raw);
            const registered = objects.map((r) => `${r.type.split(":").pop() ?? ""}/${(r.inputs["metadata"] as { name: string }).name}`).filter((k) => !k.startsWith("Namespace/"));
            const listed = mesh.stacks.stackObjects(mesh.stacks.parseStackConfig("test", raw)).map((o) => `${o.kind}/${o.name}`);
            expect(listed.sort(), protocol).to.deep.equal(registered.sort());
        }
    });
});

describe("services.<svc>.protocol: what a tcp or grpc service refuses (components/canaryPlan.ts checkTcpArgs, gatewayApiPlan.ts, stacks/rules.ts)", () => {
    const refused = (raw: RawStack): { path: string; reason: string; fix: string | undefined }[] => {
        const result = checkStackConfig(raw);
        expect(result.config, "the config must be refused").to.equal(undefined);
        return result.problems.map((p) => ({ path: p.propertyPath, reason: p.reason, fix: p.fix }));
    };

    it("the fixtures are valid: tcp and grpc in both modes", () => {
        for (const api of ["istio", "gateway-api"] as const) {
            for (const protocol of ["tcp", "grpc"] as const) expect(checkStackConfig(stack(api, protocol)).problems, `${api} ${protocol}`).to.deep.equal([]);
        }
    });

    for (const api of ["istio", "gateway-api"] as const) {
        it(`tcp (${api}): every HTTP-only key is refused once, naming the value, the rule and the fix`, () => {
            const raw = stack(api, "tcp");
            const svc = sampleApp(raw);
            svc["pins"] = [{ header: "x-canary", exact: "always" }];
            svc["abTest"] = { header: "x-new" };
            svc["timeout"] = "10s";
            const got = refused(raw);
            const rule = (key: string, value: string): string =>
                `services.sample-app.${key} is ${value}; it acts on HTTP requests, and the service's protocol is tcp (a TCP connection is split by weight only): remove services.sample-app.${key}, or set protocol http or grpc`;
            expect(got.map((p) => [p.path, p.reason])).to.deep.equal([
                ["services.sample-app.pins", rule("pins", '[{"header":"x-canary","exact":"always"}]')],
                ["services.sample-app.abTest", rule("abTest", '{"header":"x-new"}')],
                ["services.sample-app.timeout", rule("timeout", '"10s"')],
            ]);
        });
    }

    it("tcp: an ingress route to it is refused (a gateway routes HTTP by URI)", () => {
        const raw = stack("istio", "tcp");
        raw.ingress = { enabled: true, hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" }, routes: [{ prefix: "/", service: "sample-app" }] };
        expect(refused(raw)).to.deep.include({
            path: "ingress.routes[0].service",
            reason:
                'ingress.routes[0].service is "sample-app", a tcp service (services.sample-app.protocol); ingress routes HTTP requests by URI, and a TCP connection has no URI: route it from the mesh, or set the service\'s protocol to http or grpc',
            fix: "pulumi config rm --path 'ingress.routes[0]'",
        });
    });

    for (const api of ["istio", "gateway-api"] as const) {
        it(`tcp in a service stack (${api}): the platform's ingress route to it is refused by the environment check, naming both stacks`, () => {
            const ingress = { enabled: true, hosts: ["a.example.com"], tls: { mode: "SIMPLE", credentialName: "x" }, routes: [{ prefix: "/", service: "ledger" }] };
            const platform = { stack: "prod", config: { layout: "platform", routingApi: api, namespace: "shop", ingress } };
            const ledger = { image: "i:{version}", port: 9000, protocol: "tcp", stable: { version: "v1" }, canary: { version: "v2", weight: 20 } };
            const service = { stack: "prod.ledger", config: { layout: "service", routingApi: api, platformStack: "prod", services: { ledger } } };
            const problems = checkEnvironment(platform, [service]);
            // Gateway API: the service stack's own check refuses its HTTPRoute on the platform's Gateway too (what its `up` says).
            if (api === "gateway-api") {
                expect(problems.shift()).to.deep.include({
                    stack: "prod.ledger",
                    propertyPath: "services.ledger",
                    reason:
                        'services.ledger is ["ledger-ingress"]; the platform\'s gateways route HTTP requests to this service by URI, and its protocol is tcp: a TCP connection has no URI, so no HTTPRoute can carry it (routingApi gateway-api): remove the platform stack\'s ingress or internalGateway routes to it, or set protocol http or grpc',
                });
            }
            expect(problems).to.deep.equal([
                {
                    stack: "prod",
                    propertyPath: "ingress.routes[0].service",
                    reason:
                        'ingress.routes[0].service is "ledger", a tcp service (services.ledger.protocol in stack "prod.ledger"); ingress routes HTTP requests by URI, and a TCP connection has no URI: route it from the mesh, or set the service\'s protocol to http or grpc',
                    fix: "pulumi config rm --path 'ingress.routes[0]' in stack prod",
                },
            ]);
            // Without the route the environment is valid: the service stack's mesh route needs nothing of the platform.
            expect(checkEnvironment({ ...platform, config: { ...platform.config, ingress: { enabled: false } } }, [service])).to.deep.equal([]);
        });
    }

    it("grpc (gateway-api): URI routes, redirects and a timeout are refused: a GRPCRoute has no path match, redirect, rewrite or timeout", () => {
        const raw = stack("gateway-api", "grpc");
        const svc = sampleApp(raw);
        svc["uriRoutes"] = [{ prefix: "/shop.Cart/", subset: "canary", rewrite: "/shop.v2.Cart/" }];
        svc["redirects"] = [{ prefix: "/old", uri: "/new" }];
        svc["timeout"] = "10s";
        const fix = "remove it, set the service's protocol to http (an HTTPRoute carries gRPC too), or use routingApi istio";
        expect(refused(raw).map((p) => [p.path, p.reason])).to.deep.equal([
            [
                "services.sample-app.redirects",
                `services.sample-app.redirects is [{"prefix":"/old","uri":"/new"}]; the service's protocol is grpc, and a GRPCRoute has no redirect filter (it matches gRPC methods, not URI paths) (routingApi gateway-api): ${fix}`,
            ],
            [
                "services.sample-app.uriRoutes",
                `services.sample-app.uriRoutes is [{"prefix":"/shop.Cart/","subset":"canary","rewrite":"/shop.v2.Cart/"}]; the service's protocol is grpc, and a GRPCRoute matches gRPC methods and headers, not URI prefixes, and has no URL rewrite (routingApi gateway-api): ${fix}`,
            ],
            ["services.sample-app.timeout", `services.sample-app.timeout is "10s"; the service's protocol is grpc, and a GRPCRoute has no per-request deadline (no timeouts field) in Gateway API v1.6.0 (routingApi gateway-api): ${fix}`],
        ]);
    });

    it("grpc (gateway-api): faults are refused as for http (no fault injection in the Gateway API)", () => {
        const raw = stack("gateway-api", "grpc");
        sampleApp(raw)["faults"] = { abort: { percentage: 10, httpStatus: 503 } };
        expect(refused(raw).map((p) => p.path)).to.deep.equal(["services.sample-app.faults"]);
    });

    it("grpc (istio): URI routes and a timeout stay allowed (the VirtualService's http routes carry gRPC)", () => {
        const raw = stack("istio", "grpc");
        sampleApp(raw)["uriRoutes"] = [{ prefix: "/shop.Cart/", subset: "canary" }];
        sampleApp(raw)["timeout"] = "10s";
        expect(checkStackConfig(raw).problems).to.deep.equal([]);
    });

    it("an unknown protocol is refused by the schema, naming the choices", () => {
        const raw = stack("istio", "tcp");
        sampleApp(raw)["protocol"] = "udp";
        const got = refused(raw);
        expect(got.map((p) => p.path)).to.deep.equal(["services.sample-app.protocol"]);
        expect(got[0]?.reason).to.contain('"udp"').and.to.contain("http").and.to.contain("grpc").and.to.contain("tcp");
    });
});
