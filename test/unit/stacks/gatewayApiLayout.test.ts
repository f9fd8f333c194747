/**
 * Per-service stacks with `routingApi: gateway-api` under Pulumi mocks: the platform stack owns the ingress Gateway
 * (its HTTPS listener admitting the namespaces of the services it serves) and the HTTP redirect; each service stack,
 * run through the program as `pulumi up` runs it (meshProgram, reading its platform's output), owns its HTTPRoutes:
 * the mesh one (parent: its Service) and `<svc>-ingress` (parent: the platform's Gateway) with its rules under the
 * prefixes the platform routes to it. Every object validated against the pinned CRDs' schema. Then the per-service
 * rules in this mode, each refused before any object is registered: the stack name, the platform's routing API, a
 * route the platform cannot serve; and the environment check. What istiod makes of it: test/e2e/istiod/gatewayApi.test.ts.
 */
import { expect } from "chai";
import { gatewayApiEnvironment, prodEnvironment } from "../../support/environments";
import type { RecordedResource } from "../../support/mocks";
import { programError, runProgram } from "../../support/programUnderMocks";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";
import { allowedRoutesFor, planGatewayApiIngress, rulesUnderPrefixes, underPrefix } from "../../../components/gatewayApiPlan";
import type * as Stacks from "../../../stacks";

type Raw = Record<string, unknown>;
const HTTPROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";

const checkoutOf = (cfg: Raw): Raw => (cfg["services"] as Record<string, Raw>)["checkout"] as Raw;
const kindName = (r: RecordedResource): string => `${r.type.split(":").pop() ?? ""}/${(r.inputs["metadata"] as { name: string }).name}`;

describe("per-service stacks with routingApi gateway-api", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();
    let platformOut: Stacks.MeshStackOutputs;
    let platformObjects: RecordedResource[];

    /** Every Kubernetes object of the recorder, each Istio and Gateway API one valid against its CRD schema; returns them. */
    function validated(): RecordedResource[] {
        const objects = mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:"));
        expect(mesh.crdProblems(objects)).to.deep.equal([]);
        return objects;
    }

    before(async () => {
        mesh.rec.reset();
        platformOut = await runProgram(mesh.stacks, gatewayApiEnvironment().platform.config, "prod");
        await mesh.rec.settled();
        platformObjects = validated();
    });

    it("the platform stack: namespace, the Gateway (HTTPS admitting the namespace of the services it serves), the HTTP redirect; no route of a service", () => {
        expect(platformObjects.map(kindName).sort()).to.deep.equal(["Gateway/ingress", "HTTPRoute/ingress-https-redirect", "Namespace/shop"]);
        const gw = mesh.rec.one("ingress-gateway", GATEWAY).inputs["spec"] as { listeners: { name: string; allowedRoutes: unknown }[] };
        expect(gw.listeners.map((l) => [l.name, l.allowedRoutes])).to.deep.equal([
            ["http", { namespaces: { from: "Same" } }],
            ["https", { namespaces: { from: "Same" } }],
        ]);
        // What the Istio mode's platform exports (its routes and hosts), and the routing API and the admitted namespaces.
        const istio = mesh.stacks.platformOutputs(mesh.stacks.parseStackConfig("prod", prodEnvironment().platform.config));
        expect(istio.routes.map((r) => r.service)).to.deep.equal(["checkout", "frontend"]);
        expect(platformOut.platform).to.deep.equal({ ...istio, routingApi: "gateway-api", routeNamespaces: ["shop"] });
    });

    it("a service stack through the program: Workloads, a Service per version, DestinationRules, its mesh HTTPRoute and its HTTPRoute on the platform's Gateway; no VirtualService, no delegate", async () => {
        const env = gatewayApiEnvironment();
        mesh.rec.stackOutputs.set("prod", { platform: platformOut.platform });
        mesh.rec.reset();
        const out = await runProgram(mesh.stacks, env.services[0]!.config, "prod.checkout");
        await mesh.rec.settled();
        expect(validated().map(kindName).sort()).to.deep.equal([
            "Deployment/checkout-v1",
            "Deployment/checkout-v2",
            "DestinationRule/checkout",
            "HTTPRoute/checkout",
            "HTTPRoute/checkout-ingress",
            "Service/checkout",
            "Service/checkout-v1",
            "Service/checkout-v2",
        ]);
        const meshRoute = mesh.rec.one("checkout-httproute", HTTPROUTE).inputs["spec"] as { rules: { name: string; matches: unknown[] }[] };
        const ingress = mesh.rec.one("checkout-ingress-httproute", HTTPROUTE).inputs["spec"] as {
            parentRefs: unknown[];
            hostnames: string[];
            rules: { name: string; matches: { path: { value: string }; headers?: unknown[] }[]; backendRefs: unknown[]; timeouts?: unknown }[];
        };
        expect(ingress.parentRefs).to.deep.equal([{ name: "ingress", namespace: "shop", sectionName: "https" }]);
        expect(ingress.hostnames).to.deep.equal(["shop.example.com"]);
        // The mesh rules under the platform's prefix /api: the pin, the A/B flag, the URI route /api/legacy, the split.
        expect(ingress.rules.map((r) => [r.name, r.matches.map((m) => m.path.value)])).to.deep.equal([
            ["canary-pin-0", ["/api", "/api/legacy"]],
            ["ab-test", ["/api", "/api/legacy"]],
            ["uri-0", ["/api/legacy"]],
            ["catch-all", ["/api"]],
        ]);
        expect(ingress.rules.map((r) => r.name)).to.deep.equal(meshRoute.rules.map((r) => r.name));
        expect(ingress.rules.at(-1)?.backendRefs).to.deep.equal([
            { name: "checkout-v1", port: 8080, weight: 80 },
            { name: "checkout-v2", port: 8080, weight: 20 },
        ]);
        expect(ingress.rules.every((r) => JSON.stringify(r.timeouts) === '{"request":"5s"}'), "timeout on every gateway rule").to.equal(true);
        expect(out.services["checkout"]?.gatewayHosts).to.deep.equal(["shop.example.com"]);
        // The other service (routed on "/"): its rules unchanged under "/".
        mesh.rec.reset();
        await runProgram(mesh.stacks, env.services[1]!.config, "prod.frontend");
        await mesh.rec.settled();
        const frontend = mesh.rec.one("frontend-ingress-httproute", HTTPROUTE).inputs["spec"] as { rules: unknown[] };
        expect(frontend.rules).to.deep.equal((mesh.rec.one("frontend-httproute", HTTPROUTE).inputs["spec"] as { rules: unknown[] }).rules);
        validated();
    });

    it("a service the platform does not route to makes no HTTPRoute on the Gateway", async () => {
        const env = gatewayApiEnvironment();
        const platform = { ...platformOut.platform!, routes: platformOut.platform!.routes.filter((r) => r.service !== "checkout") };
        mesh.rec.stackOutputs.set("prod", { platform });
        mesh.rec.reset();
        await runProgram(mesh.stacks, env.services[0]!.config, "prod.checkout");
        await mesh.rec.settled();
        expect(mesh.rec.byType(HTTPROUTE).map((r) => r.name)).to.deep.equal(["checkout-httproute"]);
    });

    /** The program's refusal of `raw` as `stack` against the gateway-api platform: problems and what was registered. */
    async function refusedByProgram(raw: Raw, stack: string, platform: unknown = platformOut.platform): Promise<{ paths: string[]; message: string }> {
        mesh.rec.stackOutputs.set("prod", { platform });
        mesh.rec.reset();
        const err = await programError(mesh.stacks, raw, stack);
        await mesh.rec.settled();
        expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")), "nothing registered").to.deep.equal([]);
        expect(err).to.be.instanceOf(mesh.stacks.StackConfigError);
        const e = err as InstanceType<typeof mesh.stacks.StackConfigError>;
        return { paths: e.problems.map((p) => p.propertyPath), message: e.message };
    }

    it("whoever runs up: a second stack holding the service is refused by its own program (its name is not <platform>.<svc>)", async () => {
        const r = await refusedByProgram(gatewayApiEnvironment().services[0]!.config, "prod.checkout-copy");
        expect(r.paths).to.deep.equal(["services.checkout"]);
        expect(r.message).to.contain('this service stack is "prod.checkout-copy", but a service stack of "checkout" with platformStack "prod" must be named "prod.checkout"');
    });

    it("a service stack whose routing API is not its platform's is refused, both ways, naming both and the fix", async () => {
        const istioPlatform = { ...platformOut.platform! };
        delete istioPlatform.routingApi;
        delete istioPlatform.routeNamespaces;
        const r = await refusedByProgram(gatewayApiEnvironment().services[0]!.config, "prod.checkout", istioPlatform);
        expect(r.paths).to.deep.equal(["routingApi"]);
        expect(r.message).to.contain('routingApi is "gateway-api", but the platform stack "prod" routes with "istio"; a service stack routes with its platform\'s API');
        expect(r.message).to.contain("fix: pulumi config set routingApi istio");
        const istioService = prodEnvironment().services[0]!.config;
        const back = await refusedByProgram(istioService, "prod.checkout");
        expect(back.paths).to.deep.equal(["routingApi"]);
        expect(back.message).to.contain('routingApi is "istio", but the platform stack "prod" routes with "gateway-api"');
    });

    it("a route the platform cannot serve: a URI route outside every prefix routed to the service (by whole path segments: /apix is not under /api)", async () => {
        const raw = gatewayApiEnvironment().services[0]!.config;
        (checkoutOf(raw)["uriRoutes"] as { prefix: string }[])[0]!.prefix = "/apix";
        const r = await refusedByProgram(raw, "prod.checkout");
        expect(r.paths).to.deep.equal(["services.checkout.uriRoutes[0].prefix"]);
        expect(r.message).to.contain(
            'services.checkout.uriRoutes[0].prefix is "/apix", which no root route of the platform stack covers (it routes "/api" to checkout); the service\'s HTTPRoute on the platform\'s Gateway carries a rule under a routed prefix only when its path lies under that prefix (whole path segments)',
        );
        // Istio's delegation nests by string prefix: there "/apix" is under "/api".
        const svc = { uriRoutes: [{ prefix: "/apix" }], redirects: [] } as unknown as Stacks.ServiceConfig;
        const roots: Stacks.RootRoute[] = [{ gateway: "ingress", index: 0, prefix: "/api", service: "checkout" }];
        expect(mesh.stacks.checkDelegateNesting("checkout", svc, roots, "istio")).to.deep.equal([]);
        expect(mesh.stacks.checkDelegateNesting("checkout", svc, roots, "gateway-api").map((p) => p.propertyPath)).to.deep.equal(["services.checkout.uriRoutes[0].prefix"]);
    });

    it("a route the platform cannot serve: a platform whose Gateway does not admit the service's namespace", async () => {
        const r = await refusedByProgram(gatewayApiEnvironment().services[0]!.config, "prod.checkout", { ...platformOut.platform!, routeNamespaces: ["other"] });
        expect(r.paths).to.deep.equal(["platformStack"]);
        expect(r.message).to.contain('whose ingress Gateway admits HTTPRoutes of the namespaces ["other"], not "shop" where this service\'s route goes');
    });

    it("a route the platform cannot serve: its HTTPRoute on the Gateway would exceed the CRD's limits under the routed prefixes", async () => {
        const raw = gatewayApiEnvironment().services[0]!.config;
        // 40 pins on 2 prefixes (/api, /api/legacy): 80 matches in a rule of the gateway route; the mesh route has them too, on 2 prefixes
        checkoutOf(raw)["pins"] = Array.from({ length: 40 }, (_, i) => ({ header: `x-pin-${i}`, exact: "1" }));
        checkoutOf(raw)["uriRoutes"] = [];
        const platform = { ...platformOut.platform!, routes: [...platformOut.platform!.routes, { gateway: "ingress" as const, index: 2, prefix: "/checkout", service: "checkout" }] };
        const r = await refusedByProgram(raw, "prod.checkout", platform);
        expect(r.paths).to.deep.equal(["services.checkout"]);
        expect(r.message).to.contain("an HTTPRoute holds at most 16");
    });

    describe("checkEnvironment (mesh-release env checks these before it applies anything)", () => {
        it("the gateway-api environment has no problem", () => {
            const env = gatewayApiEnvironment();
            expect(mesh.stacks.checkEnvironment(env.platform, env.services)).to.deep.equal([]);
        });

        it("a service stack in the other routing API, a URI route the platform cannot serve, a second owner, a root route to no stack", () => {
            const env = gatewayApiEnvironment();
            const frontend = env.services[1]!;
            frontend.config["routingApi"] = "istio";
            (checkoutOf(env.services[0]!.config)["uriRoutes"] as { prefix: string }[])[0]!.prefix = "/legacy";
            const twin = { stack: "prod.checkout2", config: structuredClone(env.services[0]!.config) };
            const p = mesh.stacks.checkEnvironment(env.platform, [env.services[0]!, twin]);
            expect(p.map((x) => `${x.stack} ${x.propertyPath}`)).to.deep.equal([
                "prod.checkout services.checkout.uriRoutes[0].prefix",
                "prod.checkout2 services.checkout",
                "prod.checkout2 services.checkout",
                "prod ingress.routes[1].service",
            ]);
            expect(p[3]?.reason).to.contain("no stack would attach an HTTPRoute for it to the Gateway, so the prefix would route nowhere");
            const mixed = mesh.stacks.checkEnvironment(env.platform, [frontend]);
            const frontendProblems = mixed.filter((x) => x.stack === "prod.frontend");
            expect(frontendProblems.map((x) => x.propertyPath)).to.deep.equal(["routingApi"]);
            expect(frontendProblems[0]?.reason).to.contain('routingApi is "istio", but the platform stack "prod" routes with "gateway-api"');
        });

        it("an object name made by two stacks: a service named like another service's HTTPRoute on the Gateway", () => {
            const env = gatewayApiEnvironment();
            const clash = { stack: "prod.checkout-ingress", config: { layout: "service", platformStack: "prod", routingApi: "gateway-api", services: { "checkout-ingress": { image: "x:{version}", stable: { version: "v1" } } } } };
            const p = mesh.stacks.checkEnvironment(env.platform, [...env.services, clash]);
            expect(p.map((x) => [x.stack, x.propertyPath])).to.deep.equal([["prod.checkout-ingress", "services.checkout-ingress"]]);
            expect(p[0]?.reason).to.contain('makes HTTPRoute "checkout-ingress", which services.checkout (its ingress HTTPRoute) of stack "prod.checkout" also makes');
        });

        it("a platform's ingress prefix the Gateway API's CRD refuses is refused in the platform stack", () => {
            const env = gatewayApiEnvironment();
            ((env.platform.config["ingress"] as Raw)["routes"] as { prefix: string }[])[0]!.prefix = "/api//x";
            const p = mesh.stacks.checkStackConfig(env.platform.config).problems;
            expect(p.map((x) => x.propertyPath)).to.deep.equal(["ingress.routes[0].prefix"]);
        });
    });

    describe("the pure parts", () => {
        it("underPrefix: whole path segments", () => {
            const table: [string, string, boolean][] = [
                ["/api", "/api", true],
                ["/api/v2", "/api", true],
                ["/api/", "/api", true],
                ["/apix", "/api", false],
                ["/x", "/", true],
                ["/api/v2", "/api/", true],
                ["/a", "/api", false],
            ];
            for (const [p, root, want] of table) expect(underPrefix(p, root), `${p} under ${root}`).to.equal(want);
        });

        it("rulesUnderPrefixes: / becomes each prefix, a nested path is kept once, a rule outside a prefix is named for it", () => {
            const rules = [
                { name: "pin", matches: [{ path: { type: "PathPrefix" as const, value: "/" }, headers: [{ type: "Exact" as const, name: "x", value: "1" }] }] },
                { name: "uri", matches: [{ path: { type: "PathPrefix" as const, value: "/a/b" } }] },
                { name: "all", matches: [{ path: { type: "PathPrefix" as const, value: "/" } }] },
            ];
            const got = rulesUnderPrefixes(rules, ["/a", "/c", "/a"]);
            expect(got.rules.map((r) => [r.name, r.matches?.map((m) => m.path?.value)])).to.deep.equal([
                ["pin", ["/a", "/c"]],
                ["uri", ["/a/b"]],
                ["all", ["/a", "/c"]],
            ]);
            expect(got.dropped).to.deep.equal([{ rule: "uri", prefix: "/c" }]);
        });

        it("allowedRoutes: the Gateway's own namespace is Same; any other set a selector on the namespace's name label, valid against the CRD", () => {
            expect(allowedRoutesFor("shop", ["shop"])).to.deep.equal({ namespaces: { from: "Same" } });
            const other = allowedRoutesFor("shop", ["shop", "pay", "shop"]);
            expect(other).to.deep.equal({
                namespaces: { from: "Selector", selector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["pay", "shop"] }] } },
            });
            const plan = planGatewayApiIngress("ingress", { namespace: "shop", hosts: ["a.example.com"], tls: { mode: "SIMPLE", credentialName: "t" }, routes: [], routeNamespaces: ["shop", "pay"] });
            expect(plan.problems).to.deep.equal([]);
            expect(mesh.gatewaySchema.validate({ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "ingress", namespace: "shop" }, spec: plan.gateway })).to.deep.equal([]);
            expect(planGatewayApiIngress("ingress", { namespace: "shop", hosts: ["a.example.com"], tls: { mode: "SIMPLE", credentialName: "t" }, routes: [], routeNamespaces: [] }).problems.map((p) => p.propertyPath)).to.deep.equal(["routeNamespaces"]);
        });
    });
});
