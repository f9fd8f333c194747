/**
 * A plain-HTTP ingress (`ingress.protocol: HTTP`, hosts `*`) and gateway routes on one exact path (`ingress.routes[].exact`),
 * issue 19/22: the objects each mode registers under Pulumi mocks (Istio's API and the Gateway API, the single layout and
 * the per-service layout, whose platform stack owns the gateway), each valid against its pinned CRD schema; then every
 * new key's bad input with its path, value, rule and fix, refused before anything is registered; and the pure parts.
 * What istiod makes of the Gateway API objects is test/e2e/istiod/samples.test.ts's (Istio's bookinfo-gateway and
 * helloworld samples); that the single and per-service Istio layouts give the gateway the same routes on an exact path
 * is test/unit/stacks/delegation.test.ts's.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { planGatewayApiIngress, rulesUnderPaths, type GatewayApiIngressArgs } from "../../../components/gatewayApiPlan";
import type { HTTPRouteRule } from "../../../components/gatewayApi/types";
import { planIngressGateway } from "../../../components/ingressGatewayPlan";
import type { Plain } from "../../../components/inputs";
import { checkGatewayRouteUri, prefixRoutesCovering } from "../../../components/routes";
import { checkStackConfig, type StackConfigProblem } from "../../../stacks/config";
import { gatewayApiEnvironment, prodEnvironment } from "../../support/environments";
import type { RecordedResource } from "../../support/mocks";
import { programError, runProgram } from "../../support/programUnderMocks";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

type Raw = Record<string, unknown>;
const ISTIO_GATEWAY = "kubernetes:networking.istio.io/v1:Gateway";
const VS = "kubernetes:networking.istio.io/v1:VirtualService";
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";

/** Istio's bookinfo-gateway in our config: productpage (a canary at 10 %, a header pin, a URI route) on one exact path and a prefix, any host, plain HTTP. */
function bookinfo(routingApi: "istio" | "gateway-api"): Raw {
    return {
        namespace: "shop",
        routingApi,
        services: {
            productpage: {
                port: 9080,
                image: "docker.io/istio/examples-bookinfo-productpage-{version}:1.20.3",
                stable: { version: "v1" },
                canary: { version: "v2", weight: 10 },
                pins: [{ header: "x-canary", exact: "yes" }],
                uriRoutes: [{ prefix: "/api/v2", subset: "canary" }],
            },
        },
        ingress: {
            enabled: true,
            protocol: "HTTP",
            hosts: ["*"],
            routes: [
                { exact: "/productpage", service: "productpage" },
                { prefix: "/static", service: "productpage" },
            ],
        },
    };
}
const ingressOf = (raw: Raw): Raw => raw["ingress"] as Raw;
const productpageOf = (raw: Raw): Raw => (raw["services"] as Record<string, Raw>)["productpage"] as Raw;
const specOf = (r: RecordedResource): unknown => r.inputs["spec"];
const kindName = (r: RecordedResource): string => `${r.type.split(":").pop() ?? ""}/${(r.inputs["metadata"] as { name: string }).name}`;

const dest = (subset: string, weight?: number): Raw => ({ destination: { host: "productpage", subset, port: { number: 9080 } }, ...(weight === undefined ? {} : { weight }) });
const backend = (version: string, weight: number): Raw => ({ name: `productpage-${version}`, port: 9080, weight });

describe("ingress.protocol HTTP and exact-path gateway routes (issue 19/22)", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();

    /** The problems with which a service stack's own program refuses `service` against the platform `platformConfig`; nothing registered. */
    async function refusedAgainst(platformConfig: Raw, service: Raw): Promise<readonly StackConfigProblem[]> {
        const platform = mesh.stacks.platformOutputs(mesh.stacks.parseStackConfig("prod", platformConfig));
        mesh.rec.stackOutputs.set("prod", { platform });
        mesh.rec.reset();
        const err = await programError(mesh.stacks, service, "prod.checkout");
        await mesh.rec.settled();
        expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")), "nothing registered").to.deep.equal([]);
        expect(err).to.be.instanceOf(mesh.stacks.StackConfigError);
        return (err as InstanceType<typeof mesh.stacks.StackConfigError>).problems;
    }

    /** Every Kubernetes object of the recorder, each Istio and Gateway API one valid against its pinned CRD schema. */
    function validated(): RecordedResource[] {
        const objects = mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
        return objects;
    }

    describe("routingApi istio", () => {
        it("single layout: one plain-HTTP server for any host, no TLS and no redirect; the exact route carries the pin and the split on its path only", async () => {
            await mesh.build(bookinfo("istio"));
            validated();
            expect(specOf(mesh.rec.one("ingress-gateway", ISTIO_GATEWAY))).to.deep.equal({
                selector: { istio: "ingressgateway" },
                servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
            });
            const exact = [{ uri: { exact: "/productpage" } }];
            const pin = [{ headers: { "x-canary": { exact: "yes" } }, uri: { exact: "/productpage" } }];
            expect(specOf(mesh.rec.one("ingress-vs", VS))).to.deep.equal({
                hosts: ["*"],
                gateways: ["shop/ingress"],
                http: [
                    // uri-0 (/api/v2) takes no request on /productpage: not carried there, without a warning
                    { name: "route-0-canary-pin-0", match: pin, route: [dest("canary")] },
                    { name: "route-0-catch-all", match: exact, route: [dest("stable", 90), dest("canary", 10)] },
                    { name: "route-1-canary-pin-0", match: [{ headers: { "x-canary": { exact: "yes" } }, uri: { prefix: "/static" } }], route: [dest("canary")] },
                    { name: "route-1-catch-all", match: [{ uri: { prefix: "/static" } }], route: [dest("stable", 90), dest("canary", 10)] },
                ],
            });
        });

        it("protocol HTTPS (the default) keeps today's Gateway: the HTTP server redirects, the HTTPS server terminates TLS", async () => {
            const raw = bookinfo("istio");
            Object.assign(ingressOf(raw), { protocol: "HTTPS", hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" } });
            await mesh.build(raw);
            expect(specOf(mesh.rec.one("ingress-gateway", ISTIO_GATEWAY))).to.deep.equal({
                selector: { istio: "ingressgateway" },
                servers: [
                    { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["shop.example.com"], tls: { httpsRedirect: true } },
                    { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" } },
                ],
            });
        });

        describe("per-service layout: the platform stack owns the plain-HTTP gateway, its root delegates on the exact path", () => {
            /** The example environment with a plain-HTTP ingress for any host routing one exact path to checkout. */
            function environment(exact: string): ReturnType<typeof prodEnvironment> {
                const env = prodEnvironment();
                const ingress = env.platform.config["ingress"] as Raw;
                delete ingress["tls"];
                Object.assign(ingress, { protocol: "HTTP", hosts: ["*"], routes: [{ exact, service: "checkout" }, { prefix: "/", service: "frontend" }] });
                return env;
            }

            it("the platform's Gateway (one HTTP server) and root (uri.exact, delegating); its output names the exact path and the protocol; the service stack's delegate carries its routes", async () => {
                const env = environment("/api/checkout");
                mesh.rec.reset();
                const out = await runProgram(mesh.stacks, env.platform.config, "prod");
                await mesh.rec.settled();
                validated();
                expect(specOf(mesh.rec.one("ingress-gateway", ISTIO_GATEWAY))).to.deep.equal({
                    selector: { istio: "ingressgateway" },
                    servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
                });
                expect((specOf(mesh.rec.one("ingress-vs", VS)) as { http: unknown[] }).http).to.deep.equal([
                    { name: "route-0", match: [{ uri: { exact: "/api/checkout" } }], delegate: { name: "checkout-delegate", namespace: "shop" } },
                    { name: "route-1", match: [{ uri: { prefix: "/" } }], delegate: { name: "frontend-delegate", namespace: "shop" } },
                ]);
                expect(out.platform?.routes).to.deep.equal([
                    { gateway: "ingress", index: 0, prefix: "", exact: "/api/checkout", service: "checkout" },
                    { gateway: "ingress", index: 1, prefix: "/", service: "frontend" },
                ]);
                expect(out.platform?.ingressProtocol).to.equal("HTTP");
                // checkout's URI route /api/legacy takes no request on /api/checkout: the service stack is not refused
                mesh.rec.stackOutputs.set("prod", { platform: out.platform });
                mesh.rec.reset();
                await runProgram(mesh.stacks, env.services[0]!.config, "prod.checkout");
                await mesh.rec.settled();
                expect(validated().map(kindName)).to.include.members(["VirtualService/checkout-delegate", "VirtualService/checkout"]);
            });

            it("a service stack whose URI route covers the platform's exact path is refused by its own program, before anything is registered", async () => {
                const env = environment("/api/legacy/orders");
                const problems = await refusedAgainst(env.platform.config, env.services[0]!.config);
                expect(problems).to.deep.equal([
                    {
                        propertyPath: "services.checkout.uriRoutes[0].prefix",
                        reason:
                            'services.checkout.uriRoutes[0].prefix is "/api/legacy", which covers the exact path "/api/legacy/orders" that ingress.routes[0] of the platform stack routes to checkout: ' +
                            "mesh traffic on that path takes this URI route, but a gateway route on one exact path cannot carry a prefix route (istiod drops a delegate's prefix match under an exact root), so gateway traffic would skip it",
                        fix: 'route "/api/legacy/orders" by prefix (ingress.routes[0] of the platform stack: prefix "/api/legacy/orders" instead of exact), or give services.checkout.uriRoutes[0].prefix a prefix that does not cover "/api/legacy/orders"',
                    },
                ]);
            });

            it("a service stack's route table: a route whose uri prefix (or regex) may take the exact path is refused at the route; one on the exact path itself is taken", async () => {
                const env = environment("/api/checkout");
                const service = env.services[0]!.config;
                const route = (name: string, uri: Raw): Raw => ({ name, match: [{ uri }], route: [{ destination: { host: "checkout", subset: "stable" } }] });
                service["routing"] = {
                    virtualServices: { checkout: { http: [route("api", { prefix: "/api" }), route("re", { regex: "/api/.*" }), route("legacy", { prefix: "/legacy" }), { release: "checkout" }] } },
                };
                const problems = await refusedAgainst(env.platform.config, service);
                expect(problems.map((p) => p.propertyPath)).to.deep.equal(["routing.virtualServices.checkout.http[0]", "routing.virtualServices.checkout.http[1]"]);
                expect(problems[0]).to.deep.equal({
                    propertyPath: "routing.virtualServices.checkout.http[0]",
                    reason:
                        'routing.virtualServices.checkout.http[0] matches uri prefix "/api", which may take requests on the exact path "/api/checkout" that ingress.routes[0] of the platform stack routes to checkout; ' +
                        "istiod drops a delegate's prefix or regex match under an exact root, so gateway traffic would skip this route while mesh traffic takes it",
                    fix: 'match it by an exact uri, or by a prefix that does not cover "/api/checkout" (or route "/api/checkout" by prefix in the platform stack)',
                });
                service["routing"] = { virtualServices: { checkout: { http: [route("exact", { exact: "/api/checkout" }), route("legacy", { prefix: "/legacy" }), { release: "checkout" }] } } };
                const platform = mesh.stacks.platformOutputs(mesh.stacks.parseStackConfig("prod", env.platform.config));
                expect(mesh.stacks.checkServiceAgainstPlatform(mesh.stacks.parseStackConfig("prod.checkout", service), platform, "prod.checkout")).to.deep.equal([]);
            });
        });
    });

    describe("routingApi gateway-api", () => {
        it("single layout: a Gateway with one HTTP listener admitting the namespace, no redirect HTTPRoute, no hostnames; the exact route's rules match path Exact", async () => {
            const objects = await mesh.build(bookinfo("gateway-api"));
            validated();
            const gatewayObjects = objects.map(kindName).filter((k) => k.startsWith("Gateway/") || k.startsWith("HTTPRoute/")).sort();
            expect(gatewayObjects).to.deep.equal(["Gateway/ingress", "HTTPRoute/ingress-0", "HTTPRoute/ingress-1", "HTTPRoute/productpage"]);
            // the owners' list (one owner per object name) names what is registered: no redirect HTTPRoute
            const named = mesh.stacks.stackObjects(mesh.stacks.parseStackConfig("test", bookinfo("gateway-api")));
            expect(named.filter((o) => o.kind === "Gateway" || o.kind === "HTTPRoute").map((o) => `${o.kind}/${o.name}`).sort()).to.deep.equal(gatewayObjects);
            expect(specOf(mesh.rec.one("ingress-gateway", GATEWAY))).to.deep.equal({
                gatewayClassName: "istio",
                listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }],
            });
            const exact = { type: "Exact", value: "/productpage" };
            expect(specOf(mesh.rec.one("ingress-0-httproute", HTTPROUTE))).to.deep.equal({
                parentRefs: [{ name: "ingress", sectionName: "http" }],
                rules: [
                    { name: "canary-pin-0", matches: [{ path: exact, headers: [{ type: "Exact", name: "x-canary", value: "yes" }] }], backendRefs: [backend("v2", 100)] },
                    { name: "catch-all", matches: [{ path: exact }], backendRefs: [backend("v1", 90), backend("v2", 10)] },
                ],
            });
            const prefix = (specOf(mesh.rec.one("ingress-1-httproute", HTTPROUTE)) as { rules: HTTPRouteRule[] }).rules.map((r) => r.matches?.map((m) => m.path));
            expect(prefix).to.deep.equal([[{ type: "PathPrefix", value: "/static" }], [{ type: "PathPrefix", value: "/static" }]]);
        });

        it("the GatewayApiIngress component with protocol HTTP registers the Gateway and its routes, no redirect HTTPRoute", async () => {
            mesh.rec.reset();
            const { GatewayApiIngress } = await import("../../../components/gatewayApiIngress");
            const args: GatewayApiIngressArgs = {
                namespace: "shop",
                protocol: "HTTP",
                hosts: ["*"],
                routes: [{ exact: "/hello", service: "helloworld", backends: [{ name: "helloworld-v1", port: 5000, weight: 100 }] }],
            };
            const c = new GatewayApiIngress("edge", args);
            await mesh.rec.settled();
            expect(c.redirectRoute).to.equal(undefined);
            expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")).map(kindName)).to.deep.equal(["Gateway/edge", "HTTPRoute/edge-0"]);
            expect(specOf(mesh.rec.one("edge-0-httproute", HTTPROUTE))).to.deep.equal({
                parentRefs: [{ name: "edge", sectionName: "http" }],
                rules: [{ name: "route", matches: [{ path: { type: "Exact", value: "/hello" } }], backendRefs: [{ name: "helloworld-v1", port: 5000, weight: 100 }] }],
            });
            validated();
        });

        describe("per-service layout: the platform's Gateway has one HTTP listener; a service stack's HTTPRoute attaches to it", () => {
            function environment(): ReturnType<typeof gatewayApiEnvironment> {
                const env = gatewayApiEnvironment();
                const ingress = env.platform.config["ingress"] as Raw;
                delete ingress["tls"];
                Object.assign(ingress, {
                    protocol: "HTTP",
                    hosts: ["*"],
                    routes: [
                        { exact: "/api/checkout", service: "checkout" },
                        { prefix: "/api", service: "checkout" },
                        { prefix: "/", service: "frontend" },
                    ],
                });
                return env;
            }

            it("the platform: Gateway with the HTTP listener only, no redirect; the service stack: its HTTPRoute on listener http, no hostnames, its rules on the exact path and under the prefix", async () => {
                const env = environment();
                mesh.rec.reset();
                const out = await runProgram(mesh.stacks, env.platform.config, "prod");
                await mesh.rec.settled();
                expect(validated().map(kindName).sort()).to.deep.equal(["Gateway/ingress", "Namespace/shop"]);
                expect(specOf(mesh.rec.one("ingress-gateway", GATEWAY))).to.deep.equal({
                    gatewayClassName: "istio",
                    listeners: [{ name: "http", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }],
                });
                mesh.rec.stackOutputs.set("prod", { platform: out.platform });
                mesh.rec.reset();
                await runProgram(mesh.stacks, env.services[0]!.config, "prod.checkout");
                await mesh.rec.settled();
                validated();
                const route = specOf(mesh.rec.one("checkout-ingress-httproute", HTTPROUTE)) as { parentRefs: unknown; hostnames?: unknown; rules: HTTPRouteRule[] };
                expect(route.parentRefs).to.deep.equal([{ name: "ingress", namespace: "shop", sectionName: "http" }]);
                expect(route.hostnames, "any host: no hostnames").to.equal(undefined);
                expect(route.rules.map((r) => [r.name, (r.matches ?? []).map((m) => `${m.path?.type} ${m.path?.value}`)])).to.deep.equal([
                    ["canary-pin-0", ["PathPrefix /api", "PathPrefix /api/legacy", "Exact /api/checkout"]],
                    ["ab-test", ["PathPrefix /api", "PathPrefix /api/legacy", "Exact /api/checkout"]],
                    ["uri-0", ["PathPrefix /api/legacy"]],
                    ["catch-all", ["PathPrefix /api", "Exact /api/checkout"]],
                ]);
            });

            it("a service stack whose URI route covers the platform's exact path (by whole segments) is refused before anything is registered", async () => {
                const env = environment();
                ((env.platform.config["ingress"] as Raw)["routes"] as Raw[])[0] = { exact: "/api/legacy/orders", service: "checkout" };
                const problems = await refusedAgainst(env.platform.config, env.services[0]!.config);
                expect(problems.map((p) => p.propertyPath)).to.deep.equal(["services.checkout.uriRoutes[0].prefix"]);
                expect(problems[0]?.reason).to.contain("(its HTTPRoute rule would need an Exact match)");
            });
        });
    });

    describe("bad input: stack, path, value, rule and fix, before anything is registered", () => {
        /** The problems of `bookinfo(api)` after `edit`; the config must be refused. */
        function problemsOf(api: "istio" | "gateway-api", edit: (raw: Raw) => void): StackConfigProblem[] {
            const raw = bookinfo(api);
            edit(raw);
            const r = checkStackConfig(raw);
            expect(r.config, "refused").to.equal(undefined);
            return r.problems;
        }
        const both = ["istio", "gateway-api"] as const;

        for (const api of both) {
            it(`${api}: tls or httpsPort with protocol HTTP: refused, not ignored; the fix removes them or sets HTTPS`, () => {
                expect(
                    problemsOf(api, (r) => Object.assign(ingressOf(r), { tls: { mode: "SIMPLE", credentialName: "shop-tls" }, httpsPort: 8443 })),
                ).to.deep.equal([
                    {
                        propertyPath: "ingress.tls",
                        reason: 'ingress.tls is {"mode":"SIMPLE","credentialName":"shop-tls"}, but protocol is HTTP; a plain-HTTP ingress serves no TLS: remove ingress.tls, or set protocol HTTPS',
                        fix: "pulumi config rm --path 'ingress.tls'   # or: pulumi config set --path 'ingress.protocol' HTTPS",
                    },
                    {
                        propertyPath: "ingress.httpsPort",
                        reason: "ingress.httpsPort is 8443, but protocol is HTTP; a plain-HTTP ingress serves httpPort only: remove ingress.httpsPort, or set protocol HTTPS",
                        fix: "pulumi config rm --path 'ingress.httpsPort'   # or: pulumi config set --path 'ingress.protocol' HTTPS",
                    },
                ]);
            });

            it(`${api}: a misspelt protocol: a did-you-mean, and no follow-on (no "tls is missing")`, () => {
                expect(problemsOf(api, (r) => (ingressOf(r)["protocol"] = "http"))).to.deep.equal([
                    { propertyPath: "ingress.protocol", reason: 'ingress.protocol is "http"; it must be one of "HTTPS", "HTTP"; did you mean "HTTP"?', fix: "pulumi config set --path 'ingress.protocol' HTTP" },
                ]);
            });

            it(`${api}: protocol HTTPS without tls is still refused at ingress.tls`, () => {
                expect(problemsOf(api, (r) => (ingressOf(r)["protocol"] = "HTTPS")).map((p) => p.propertyPath)).to.deep.equal(["ingress.tls"]);
            });

            it(`${api}: a route with both prefix and exact, or neither: refused once at the route, the fix keeps one`, () => {
                expect(problemsOf(api, (r) => (((ingressOf(r)["routes"] as Raw[])[0] as Raw)["prefix"] = "/p"))).to.deep.equal([
                    {
                        propertyPath: "ingress.routes[0]",
                        reason: 'ingress.routes[0] sets prefix "/p" and exact "/productpage"; a route matches exactly one of them (a URI prefix, or one exact path): keep one',
                        fix: "pulumi config rm --path 'ingress.routes[0].exact'   # or rm its prefix: keep one",
                    },
                ]);
                expect(problemsOf(api, (r) => delete ((ingressOf(r)["routes"] as Raw[])[0] as Raw)["exact"])).to.deep.equal([
                    {
                        propertyPath: "ingress.routes[0]",
                        reason: 'ingress.routes[0] sets neither prefix nor exact; a route matches exactly one of them, such as prefix "/" (every path) or exact "/login" (one path)',
                        fix: "pulumi config set --path 'ingress.routes[0].prefix' /   # or: --path 'ingress.routes[0].exact' /<path>",
                    },
                ]);
            });

            it(`${api}: an exact path without "/", or one an earlier route already takes (a covering prefix, the same exact path)`, () => {
                expect(problemsOf(api, (r) => (((ingressOf(r)["routes"] as Raw[])[0] as Raw)["exact"] = "productpage"))).to.deep.equal([
                    { propertyPath: "ingress.routes[0].exact", reason: 'ingress.routes[0].exact is "productpage"; it must be a path starting with "/"', fix: "pulumi config set --path 'ingress.routes[0].exact' <valid value>" },
                ]);
                expect(problemsOf(api, (r) => (ingressOf(r)["routes"] as Raw[]).unshift({ prefix: "/product", service: "productpage" })).map((p) => p.reason)).to.deep.equal([
                    'ingress.routes[1].exact is "/productpage"; it is shadowed by routes[0] (prefix "/product"), which matches first; put the exact route first or remove one',
                ]);
                expect(problemsOf(api, (r) => (ingressOf(r)["routes"] as Raw[]).push({ exact: "/productpage", service: "productpage" })).map((p) => p.reason)).to.deep.equal([
                    'ingress.routes[2].exact is "/productpage"; it is shadowed by routes[0] (exact path "/productpage"), which matches first; put the exact route first or remove one',
                ]);
            });

            it(`${api}: a URI route or redirect whose prefix covers an exact route's path, at the service's key, with both fixes`, () => {
                const problems = problemsOf(api, (r) => {
                    ((ingressOf(r)["routes"] as Raw[])[0] as Raw)["exact"] = "/api/v2/items";
                    productpageOf(r)["redirects"] = [{ prefix: "/old", uri: "/new" }];
                });
                const how = api === "istio" ? "istiod drops a delegate's prefix match under an exact root" : "its HTTPRoute rule would need an Exact match";
                expect(problems).to.deep.equal([
                    {
                        propertyPath: "services.productpage.uriRoutes[0].prefix",
                        reason:
                            'services.productpage.uriRoutes[0].prefix is "/api/v2", which covers the exact path "/api/v2/items" that ingress.routes[0] routes to productpage: mesh traffic on that path ' +
                            `takes this URI route, but a gateway route on one exact path cannot carry a prefix route (${how}), so gateway traffic would skip it`,
                        fix: 'route "/api/v2/items" by prefix (ingress.routes[0]: prefix "/api/v2/items" instead of exact), or give services.productpage.uriRoutes[0].prefix a prefix that does not cover "/api/v2/items"',
                    },
                ]);
            });
        }

        it("gateway-api: hosts with \"*\" beside named hosts (\"*\" alone is any host)", () => {
            expect(problemsOf("gateway-api", (r) => (ingressOf(r)["hosts"] = ["*", "shop.example.com"]))).to.deep.equal([
                {
                    propertyPath: "ingress.hosts",
                    reason:
                        'ingress.hosts is ["*","shop.example.com"]; an HTTPRoute hostname cannot be "*": "*" alone means any host (the HTTPRoutes name none), beside named ones it is no hostname ' +
                        '(routingApi gateway-api): use ["*"] alone for any host, or leave "*" out',
                    fix: "pulumi config set --path 'ingress.hosts' <valid value>",
                },
            ]);
            expect(checkStackConfig(bookinfo("istio")).problems, "Istio's Gateway takes \"*\" beside names").to.deep.equal([]);
        });

        it("istio: the internal gateway's routes take exact paths too, with the same checks", () => {
            const raw = bookinfo("istio");
            raw["internalGateway"] = { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ exact: "/productpage", prefix: "/p", service: "productpage" }] };
            expect(checkStackConfig(raw).problems.map((p) => p.propertyPath)).to.deep.equal(["internalGateway.routes[0]"]);
        });
    });

    describe("the pure parts", () => {
        it("checkGatewayRouteUri: exactly one of prefix and exact, each starting with /", () => {
            expect(checkGatewayRouteUri("routes[0]", { exact: "/a" })).to.deep.equal([]);
            expect(checkGatewayRouteUri("routes[0]", { prefix: "/" })).to.deep.equal([]);
            expect(checkGatewayRouteUri("routes[0]", { exact: "a" }).map((p) => p.propertyPath)).to.deep.equal(["routes[0].exact"]);
            expect(checkGatewayRouteUri("routes[0]", { prefix: "a" }).map((p) => p.propertyPath)).to.deep.equal(["routes[0].prefix"]);
            expect(checkGatewayRouteUri("routes[0]", {}).map((p) => p.propertyPath)).to.deep.equal(["routes[0]"]);
            expect(checkGatewayRouteUri("routes[0]", { exact: "/a", prefix: "/a" }).map((p) => p.propertyPath)).to.deep.equal(["routes[0]"]);
        });

        it("prefixRoutesCovering: a uri prefix the path starts with, or a regex; not an exact match, headers only or another prefix", () => {
            const routes = [
                { name: "pin", match: [{ headers: { a: { exact: "1" } } }] },
                { name: "covers", match: [{ uri: { prefix: "/api" } }] },
                { name: "elsewhere", match: [{ uri: { prefix: "/static" } }] },
                { name: "regex", match: [{ uri: { regex: "/a.*" } }] },
                { name: "same", match: [{ uri: { exact: "/api/x" } }] },
                { name: "catch-all" },
            ];
            expect(prefixRoutesCovering("/api/x", routes).map((c) => [c.index, c.uri])).to.deep.equal([
                [1, 'uri prefix "/api"'],
                [3, 'uri regex "/a.*"'],
            ]);
        });

        it("rulesUnderPaths: on an exact path a rule's match on / becomes Exact (headers kept); a rule only under a covering prefix is named, one elsewhere left out silently", () => {
            const rules: HTTPRouteRule[] = [
                { name: "pin", matches: [{ path: { type: "PathPrefix", value: "/" }, headers: [{ type: "Exact", name: "x", value: "1" }] }, { path: { type: "PathPrefix", value: "/api" }, headers: [{ type: "Exact", name: "x", value: "1" }] }] },
                { name: "uri-0", matches: [{ path: { type: "PathPrefix", value: "/api" } }] },
                { name: "uri-0-canary-session", matches: [{ path: { type: "PathPrefix", value: "/api" } }] },
                { name: "uri-1", matches: [{ path: { type: "PathPrefix", value: "/static" } }] },
                { name: "catch-all", matches: [{ path: { type: "PathPrefix", value: "/" } }] },
            ];
            const got = rulesUnderPaths(rules, [{ type: "Exact", value: "/api/x" }]);
            expect(got.rules.map((r) => [r.name, r.matches])).to.deep.equal([
                ["pin", [{ path: { type: "Exact", value: "/api/x" }, headers: [{ type: "Exact", name: "x", value: "1" }] }]],
                ["catch-all", [{ path: { type: "Exact", value: "/api/x" } }]],
            ]);
            expect(got.covering).to.deep.equal([
                { rule: "uri-0", exact: "/api/x", prefix: "/api" },
                { rule: "uri-0-canary-session", exact: "/api/x", prefix: "/api" },
            ]);
            expect(got.dropped, "an exact path names no dropped rule").to.deep.equal([]);
            // by whole segments: /apix is not under /api
            expect(rulesUnderPaths(rules, [{ type: "Exact", value: "/apix" }]).covering).to.deep.equal([]);
        });

        it("the components' plans: an HTTP ingress refuses tls and httpsPort given anyway; an HTTPS one without tls is refused at tls", () => {
            const plan = planIngressGateway("edge", { namespace: "shop", protocol: "HTTP", hosts: ["*"], tls: { mode: "SIMPLE", credentialName: "x" }, httpsPort: 443, routes: [{ exact: "/a", host: "a" }] });
            expect(plan.problems.map((p) => p.propertyPath)).to.deep.equal(["tls", "httpsPort"]);
            expect(plan.gateway.servers).to.deep.equal([{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }]);
            const https = planIngressGateway("edge", { namespace: "shop", hosts: ["a.example.com"], routes: [{ prefix: "/", host: "a" }] });
            expect(https.problems).to.deep.equal([
                { propertyPath: "tls", reason: 'tls is missing; an HTTPS ingress terminates TLS: set tls { mode: "SIMPLE", credentialName: "<secret>" }, or protocol "HTTP"' },
            ]);
            const args: Plain<GatewayApiIngressArgs> = { namespace: "shop", protocol: "HTTP", hosts: ["*"], routes: [] };
            const gw = planGatewayApiIngress("edge", args);
            expect(gw.problems).to.deep.equal([]);
            expect(gw.redirectRoute).to.equal(undefined);
        });
    });

    it("the README's plain-HTTP example is a config the program takes, in both routing APIs", () => {
        const readme = fs.readFileSync(path.resolve(__dirname, "..", "..", "..", "README.md"), "utf8");
        const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "").find((b) => b.includes("protocol: HTTP"));
        expect(block, "README has the example").to.not.equal(undefined);
        const config = (parse(block ?? "") as { config: Record<string, unknown> }).config;
        const raw = Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^mesh-traffic:/, ""), v]));
        for (const routingApi of ["istio", "gateway-api"]) {
            expect(checkStackConfig({ ...raw, routingApi }).problems, routingApi).to.deep.equal([]);
        }
    });
});
