/**
 * The single layout's gateway VirtualServices under Pulumi mocks (issue 19): for each `ingress.routes` (and
 * `internalGateway.routes`) entry, the service's own routes, in the mesh VirtualService's order, restricted to
 * the entry's prefix as istiod restricts a delegate's routes to its root route: pins, A/B flag, header-only fault
 * route, faults, redirects, URI routes, retries, timeout, mirror and the weighted catch-all. A service route
 * whose URI prefix does not start with the gateway prefix is left out of that gateway (with a warning) and stays
 * in the mesh. The release program's live-split read and the simulator still read the mesh VirtualService.
 *
 * Not proven here: what istiod makes of these objects (test/e2e/istiod/istiod.test.ts compares its gateway
 * routes), nor that the per-service layout gives the same routes (test/unit/stacks/delegation.test.ts).
 */
import { expect } from "chai";
import { istioObjects } from "../../support/emitted";
import { prodEnvironment } from "../../support/environments";
import { analyzeMesh, type IstioObject } from "../../support/istioAnalyzer";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";
import { liveSplitOf, type LiveVirtualService } from "../../../release/core/live";
import { planFromMesh, type MeshObject, type VirtualServiceSpec, type DestinationRuleSpec } from "../../../sim/routing";

type Raw = Record<string, unknown>;
interface Route {
    name: string;
    match?: Raw[];
    route?: { destination: { host: string; subset?: string; port?: { number: number } }; weight?: number }[];
    redirect?: Raw;
    rewrite?: Raw;
    fault?: Raw;
    timeout?: string;
    retries?: Raw;
    mirror?: Raw;
    mirrorPercentage?: Raw;
}

/**
 * A single stack with the example environment's ingress (shop.example.com: /api to checkout, / to frontend):
 * checkout with a canary at 20 % and every kind of route, frontend stable only.
 */
function config(): Raw {
    return {
        namespace: "shop",
        skipAwait: true,
        ingress: prodEnvironment().platform.config["ingress"],
        services: {
            checkout: {
                image: "ghcr.io/acme/checkout:{version}",
                stable: { version: "v1" },
                canary: { version: "v2", weight: 20 },
                pins: [{ header: "x-canary", exact: "true" }, { cookie: "canary", value: "always" }],
                abTest: { header: "x-new-checkout", value: "on" },
                redirects: [{ prefix: "/api/old", uri: "/api/new" }],
                uriRoutes: [{ prefix: "/api/legacy", subset: "stable", rewrite: "/legacy" }],
                mirror: { percentage: 5 },
                timeout: "5s",
                retries: { attempts: 2, perTryTimeout: "2s", retryOn: "5xx" },
                faults: { abort: { percentage: 10, httpStatus: 503 }, header: { name: "x-fault", value: "on" } },
            },
            frontend: {
                port: 80,
                image: "ghcr.io/acme/frontend:{version}",
                stable: { version: "v7" },
                timeout: "3s",
                faults: { delay: { percentage: 5, fixedDelay: "1s" } },
            },
        },
    };
}

const checkoutOf = (raw: Raw): Raw => (raw["services"] as Record<string, Raw>)["checkout"] as Raw;
const vsNamed = (objects: IstioObject[], name: string): IstioObject => {
    const o = objects.find((x) => x.kind === "VirtualService" && x.metadata.name === name);
    if (o === undefined) throw new Error(`no VirtualService ${name}`);
    return o;
};
const httpOf = (o: IstioObject): Route[] => o.spec["http"] as Route[];
const withoutMatch = (r: Route): Omit<Route, "name" | "match"> => {
    const { name: _name, match: _match, ...rest } = r;
    return rest;
};

describe("single layout: gateway VirtualServices carry each service's routes under their prefix (issue 19)", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();
    const warnings: string[] = [];
    const original = console.warn;

    /** Builds a single stack of `raw`; returns its Istio objects and the warnings the program logged. */
    async function build(raw: Raw): Promise<IstioObject[]> {
        mesh.rec.reset();
        warnings.length = 0;
        // Under mocks there is no engine: pulumi.log.warn writes to console.warn.
        console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
        try {
            mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("shop", raw));
            await mesh.rec.settled();
        } finally {
            console.warn = original;
        }
        return istioObjects(mesh.rec);
    }

    it("the ingress VirtualService: each service's routes in the mesh's order, under its prefix, named route-<i>-<route>; valid for Istio's schema and the analyzer", async () => {
        const objects = await build(config());
        const ingress = httpOf(vsNamed(objects, "ingress"));
        expect(ingress.map((r) => [r.name, r.match])).to.deep.equal([
            ["route-0-fault-injection", [{ uri: { prefix: "/api" }, headers: { "x-fault": { exact: "on" } } }]],
            ["route-0-canary-pin-0", [{ uri: { prefix: "/api" }, headers: { "x-canary": { exact: "true" } } }]],
            ["route-0-canary-pin-1", [{ uri: { prefix: "/api" }, headers: { cookie: { regex: "^(.*?;\\s*)?canary=always(;.*)?$" } } }]],
            ["route-0-ab-test", [{ uri: { prefix: "/api" }, headers: { "x-new-checkout": { exact: "on" } } }]],
            ["route-0-redirect-0", [{ uri: { prefix: "/api/old" } }]],
            ["route-0-uri-0", [{ uri: { prefix: "/api/legacy" } }]],
            ["route-0-catch-all", [{ uri: { prefix: "/api" } }]],
            ["route-1-catch-all", [{ uri: { prefix: "/" } }]],
        ]);
        expect(new Set(ingress.map((r) => r.name)).size, "route names unique in the VirtualService").to.equal(ingress.length);
        expect(objects.flatMap((o) => mesh.schema.validate(o)), "Istio's schema").to.deep.equal([]);
        expect(analyzeMesh(objects), "analyzer rules, IST0140 included").to.deep.equal([]);
        expect(warnings).to.deep.equal([]);
    });

    it("every gateway route is its mesh twin but for the match: pins and the A/B flag to the canary, faults, retries, timeouts, rewrite, mirror, the weighted split", async () => {
        const objects = await build(config());
        const ingress = httpOf(vsNamed(objects, "ingress"));
        for (const [service, root] of [["checkout", "route-0"], ["frontend", "route-1"]] as const) {
            const meshRoutes = httpOf(vsNamed(objects, service));
            const carried = ingress.filter((r) => r.name.startsWith(`${root}-`));
            expect(carried.map((r) => r.name), service).to.deep.equal(meshRoutes.map((r) => `${root}-${r.name}`));
            carried.forEach((r, i) => expect(withoutMatch(r), r.name).to.deep.equal(withoutMatch(meshRoutes[i] as Route)));
        }
        const byName = new Map(ingress.map((r) => [r.name, r]));
        const to = (subset: string) => ({ host: "checkout", subset, port: { number: 8080 } });
        const canary = [{ destination: to("canary") }];
        expect(byName.get("route-0-canary-pin-0")?.route, "a pin through the ingress").to.deep.equal(canary);
        expect(byName.get("route-0-ab-test")?.route, "the A/B flag through the ingress").to.deep.equal(canary);
        expect(byName.get("route-0-fault-injection")?.fault).to.deep.equal({ abort: { percentage: { value: 10 }, httpStatus: 503 } });
        expect(byName.get("route-0-catch-all")).to.deep.include({
            route: [
                { destination: to("stable"), weight: 80 },
                { destination: to("canary"), weight: 20 },
            ],
            timeout: "5s",
            retries: { attempts: 2, perTryTimeout: "2s", retryOn: "5xx" },
            mirror: to("canary"),
            mirrorPercentage: { value: 5 },
        });
        expect(byName.get("route-0-catch-all")?.fault, "a header-only fault stays on its own route").to.equal(undefined);
        expect(byName.get("route-0-uri-0")?.rewrite).to.deep.equal({ uri: "/legacy" });
        expect(byName.get("route-1-catch-all"), "faults of every request, timeout").to.deep.include({
            fault: { delay: { percentage: { value: 5 }, fixedDelay: "1s" } },
            timeout: "3s",
        });
    });

    it("a canary step changes the ingress routes with the mesh's; an unrouted canary leaves the pins and the A/B flag out of both", async () => {
        const raw = config();
        (checkoutOf(raw)["canary"] as Raw)["weight"] = 50;
        const split = (o: IstioObject, name: string): unknown => httpOf(o).find((r) => r.name === name)?.route?.map((d) => [d.destination.subset, d.weight]);
        let objects = await build(raw);
        expect(split(vsNamed(objects, "ingress"), "route-0-catch-all")).to.deep.equal(split(vsNamed(objects, "checkout"), "catch-all")).and.to.deep.equal([
            ["stable", 50],
            ["canary", 50],
        ]);
        checkoutOf(raw)["canary"] = { version: "v2", weight: 0, routed: false };
        objects = await build(raw);
        const names = httpOf(vsNamed(objects, "ingress")).map((r) => r.name);
        expect(names).to.deep.equal(["route-0-fault-injection", "route-0-redirect-0", "route-0-uri-0", "route-0-catch-all", "route-1-catch-all"]);
        expect(JSON.stringify(httpOf(vsNamed(objects, "ingress"))), "no route names the canary subset").to.not.contain('"canary"');
    });

    it("a service route whose prefix does not start with the gateway prefix (/static under /api): not emitted for the gateway, named in a warning; the mesh keeps it", async () => {
        const raw = config();
        checkoutOf(raw)["uriRoutes"] = [{ prefix: "/static", subset: "stable" }, { prefix: "/api/legacy", subset: "stable" }];
        checkoutOf(raw)["redirects"] = [{ prefix: "/old", uri: "/new" }];
        const objects = await build(raw);
        const names = httpOf(vsNamed(objects, "ingress")).map((r) => r.name);
        expect(names.filter((n) => n.startsWith("route-0-"))).to.deep.equal([
            "route-0-fault-injection",
            "route-0-canary-pin-0",
            "route-0-canary-pin-1",
            "route-0-ab-test",
            "route-0-uri-1",
            "route-0-catch-all",
        ]);
        expect(httpOf(vsNamed(objects, "checkout")).map((r) => r.name), "mesh traffic still takes them").to.include.members(["redirect-0", "uri-0"]);
        expect(warnings).to.deep.equal([
            'warning: [runtime] routes[0] sends "/api" to "checkout", whose route "redirect-0" matches uri prefix "/old", outside "/api": no request ' +
                "through this gateway route can reach it, so the gateway's VirtualService leaves it out (istiod drops a delegate's route that does not " +
                'nest in its root route the same way); mesh traffic still takes it. To route it through the gateway, move it under "/api" or add a ' +
                "gateway route for its prefix",
            'warning: [runtime] routes[0] sends "/api" to "checkout", whose route "uri-0" matches uri prefix "/static", outside "/api": no request ' +
                "through this gateway route can reach it, so the gateway's VirtualService leaves it out (istiod drops a delegate's route that does not " +
                'nest in its root route the same way); mesh traffic still takes it. To route it through the gateway, move it under "/api" or add a ' +
                "gateway route for its prefix",
        ]);
        // Not a refusal: the config check finds nothing, as before (these routes were mesh-only then too).
        expect(mesh.stacks.checkStackConfig(raw).problems).to.deep.equal([]);
        expect(analyzeMesh(objects)).to.deep.equal([]);
    });

    it("the internal gateway's VirtualService shares the code: the same routes under its own prefix", async () => {
        const raw = config();
        raw["internalGateway"] = { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ prefix: "/api/legacy", service: "checkout" }] };
        const objects = await build(raw);
        const internal = httpOf(vsNamed(objects, "internal"));
        // Under /api/legacy, /api/old (the redirect) does not nest: left out there, kept through the ingress.
        expect(internal.map((r) => [r.name, r.match?.[0]?.["uri"]])).to.deep.equal([
            ["route-0-fault-injection", { prefix: "/api/legacy" }],
            ["route-0-canary-pin-0", { prefix: "/api/legacy" }],
            ["route-0-canary-pin-1", { prefix: "/api/legacy" }],
            ["route-0-ab-test", { prefix: "/api/legacy" }],
            ["route-0-uri-0", { prefix: "/api/legacy" }],
            ["route-0-catch-all", { prefix: "/api/legacy" }],
        ]);
        expect(warnings.map((w) => w.split(", outside")[0])).to.deep.equal(['warning: [runtime] routes[0] sends "/api/legacy" to "checkout", whose route "redirect-0" matches uri prefix "/api/old"']);
        expect(objects.flatMap((o) => mesh.schema.validate(o))).to.deep.equal([]);
        expect(analyzeMesh(objects)).to.deep.equal([]);
    });

    it("the release program's live-split read and the simulator read the mesh VirtualService, not the ingress, which now routes pins to the canary too", async () => {
        const raw = config();
        checkoutOf(raw)["pins"] = [];
        delete checkoutOf(raw)["abTest"];
        delete checkoutOf(raw)["faults"];
        const objects = await build(raw);
        const vss = objects.filter((o) => o.kind === "VirtualService");
        expect(liveSplitOf(vss as LiveVirtualService[], "shop", "checkout")).to.deep.equal({ object: "VirtualService shop/checkout", canary: 20 });
        const plan = planFromMesh({
            service: { name: "checkout", namespace: "shop" },
            virtualServices: vss as MeshObject<VirtualServiceSpec>[],
            destinationRules: objects.filter((o) => o.kind === "DestinationRule") as MeshObject<DestinationRuleSpec>[],
        });
        expect(plan.source).to.equal("VirtualService checkout");
        expect(plan.outcomes.map((o) => [o.kind === "version" ? o.version : o.kind, Math.round(o.share * 100)])).to.deep.equal([
            ["v1", 80],
            ["v2", 20],
        ]);
    });
});
