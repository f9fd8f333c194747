/**
 * The analyzer rules of test/support/istioAnalyzer.ts that follow Istio's VirtualService delegation
 * (`istioctl analyze` does not check delegation, so ours must): each rule on a good set and on a set that
 * breaks it, with the merge semantics of istiod (pilot/pkg/model/virtualservice.go: a delegate's match must
 * nest in the root route's, a delegate route inherits the root's timeout/retries/fault, names join with "-").
 * Then, under Pulumi mocks, the single layout against the per-service layout: the gateway's routes, merged as
 * istiod merges them, are the same in both (issue 19).
 */
import { expect } from "chai";
import { istioObjects } from "../../support/emitted";
import { prodEnvironment } from "../../support/environments";
import { analyzeMesh, mergedVirtualServices, type IstioObject } from "../../support/istioAnalyzer";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";

type Spec = IstioObject["spec"];
const vs = (name: string, namespace: string, spec: Spec): IstioObject => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace },
    spec,
});
const dr = (host: string, namespace: string, subsets: string[]): IstioObject => ({
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: host, namespace },
    spec: { host, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
});
const gateway: IstioObject = {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: "ingress", namespace: "edge" },
    spec: { selector: { istio: "ingressgateway" }, servers: [] },
};

const split = (stable: number, canary: number): Spec[] => [
    { destination: { host: "checkout", subset: "stable" }, weight: stable },
    { destination: { host: "checkout", subset: "canary" }, weight: canary },
];

/** A good environment: ingress root in `edge`, mesh root and delegate of checkout in `shop`. */
function good(): IstioObject[] {
    return [
        gateway,
        dr("checkout", "shop", ["stable", "canary"]),
        vs("ingress", "edge", {
            hosts: ["shop.example.com"],
            gateways: ["edge/ingress"],
            http: [{ name: "route-0", match: [{ uri: { prefix: "/api" } }], delegate: { name: "checkout-delegate", namespace: "shop" } }],
        }),
        vs("checkout", "shop", { hosts: ["checkout"], http: [{ delegate: { name: "checkout-delegate", namespace: "shop" } }] }),
        vs("checkout-delegate", "shop", {
            exportTo: [".", "edge"],
            http: [
                { name: "canary-pin-0", match: [{ headers: { "x-canary": { exact: "true" } } }], route: [{ destination: { host: "checkout", subset: "canary" } }] },
                { name: "uri-0", match: [{ uri: { prefix: "/api/legacy" } }], route: [{ destination: { host: "checkout", subset: "stable" } }] },
                { name: "catch-all", route: split(80, 20), timeout: "5s" },
            ],
        }),
    ];
}

const find = (objs: IstioObject[], name: string): IstioObject => {
    const o = objs.find((x) => x.kind === "VirtualService" && x.metadata.name === name);
    if (o === undefined) throw new Error(`no ${name}`);
    return o;
};
const routesOf = (o: IstioObject): Spec[] => o.spec["http"] as Spec[];

describe("analyzer: VirtualService delegation (test/support/istioAnalyzer.ts)", () => {
    it("a good root + delegate set passes every rule, mesh and gateway roots included", () => {
        expect(analyzeMesh(good())).to.deep.equal([]);
    });

    it("delegate-exists: a root route to a delegate that is not emitted, or to a VirtualService with hosts", () => {
        const missing = good().filter((o) => o.metadata.name !== "checkout-delegate");
        expect(analyzeMesh(missing).map((p) => [p.rule, p.object])).to.deep.equal([
            ["delegate-exists", "VirtualService/edge/ingress"],
            ["delegate-exists", "VirtualService/shop/checkout"],
        ]);
        const withHosts = good();
        find(withHosts, "checkout-delegate").spec["hosts"] = ["checkout-delegate"];
        expect(analyzeMesh(withHosts).filter((p) => p.rule === "delegate-exists").map((p) => p.message)).to.include(
            "http[0] delegates to VirtualService shop/checkout-delegate, which has hosts (a delegate has none); Istio drops the route",
        );
    });

    it("delegate-visible: exportTo that leaves out the root's namespace; '.' is the delegate's own namespace; absent is everywhere", () => {
        const hidden = good();
        find(hidden, "checkout-delegate").spec["exportTo"] = ["."];
        expect(analyzeMesh(hidden).map((p) => [p.rule, p.object])).to.deep.equal([["delegate-visible", "VirtualService/edge/ingress"]]);
        const open = good();
        delete find(open, "checkout-delegate").spec["exportTo"];
        expect(analyzeMesh(open)).to.deep.equal([]);
    });

    it("delegate-match-nests: a delegate uri prefix outside the root's prefix (dropped for that root only)", () => {
        const objs = good();
        (routesOf(find(objs, "checkout-delegate"))[1] as Spec)["match"] = [{ uri: { prefix: "/legacy" } }];
        const p = analyzeMesh(objs);
        expect(p.map((x) => [x.rule, x.object])).to.deep.equal([["delegate-match-nests", "VirtualService/shop/checkout-delegate"]]);
        expect(p[0]?.message).to.contain("does not nest in the match [{\"uri\":{\"prefix\":\"/api\"}}] of VirtualService/edge/ingress http[0]");
    });

    it("delegate-match-nests follows Istio's string match rules: regex vs prefix, exact under prefix, headers", () => {
        const objs = good();
        const d = routesOf(find(objs, "checkout-delegate"));
        (d[0] as Spec)["match"] = [{ uri: { exact: "/api/pay" } }]; // exact under the root's prefix: nests
        (d[1] as Spec)["match"] = [{ uri: { regex: "/api/.*" } }]; // regex under a prefix root: conflict
        expect(analyzeMesh(objs).map((x) => x.message.slice(0, 12))).to.deep.equal(["http[1] (uri"]);
        const ignoreCase = good();
        (routesOf(find(ignoreCase, "checkout-delegate"))[0] as Spec)["match"] = [{ ignoreUriCase: true, uri: { prefix: "/api/x" } }];
        expect(analyzeMesh(ignoreCase).map((x) => x.rule)).to.deep.equal(["delegate-match-nests"]);
    });

    it("delegate-match-nests under an exact root: quiet for a prefix that takes no request on its path, reported for one that covers it", () => {
        const objs = good();
        (routesOf(find(objs, "ingress"))[0] as Spec)["match"] = [{ uri: { exact: "/api/checkout" } }];
        // uri-0 (/api/legacy) takes no request on /api/checkout: istiod drops it for this root and loses nothing
        expect(analyzeMesh(objs)).to.deep.equal([]);
        const merged = routesOf(find(mergedVirtualServices(objs), "ingress")).map((r) => [r["name"], r["match"]]);
        expect(merged).to.deep.equal([
            ["route-0-canary-pin-0", [{ headers: { "x-canary": { exact: "true" } }, uri: { exact: "/api/checkout" } }]],
            ["route-0-catch-all", [{ uri: { exact: "/api/checkout" } }]],
        ]);
        (routesOf(find(objs, "checkout-delegate"))[1] as Spec)["match"] = [{ uri: { prefix: "/api" } }]; // covers /api/checkout
        expect(analyzeMesh(objs).map((x) => [x.rule, x.message.slice(0, 12)])).to.deep.equal([["delegate-match-nests", "http[1] (uri"]]);
    });

    it("no-nested-delegation, delegate-no-gateways, delegate-http-only, root-route-only-delegates", () => {
        const objs = good();
        const d = find(objs, "checkout-delegate");
        (routesOf(d)[0] as Spec)["delegate"] = { name: "other", namespace: "shop" };
        d.spec["gateways"] = ["edge/ingress"];
        d.spec["tcp"] = [{ route: [{ destination: { host: "checkout" } }] }];
        (routesOf(find(objs, "ingress"))[0] as Spec)["route"] = [{ destination: { host: "checkout" } }];
        expect(analyzeMesh(objs).map((p) => p.rule).sort()).to.deep.equal([
            "delegate-http-only",
            "delegate-no-gateways",
            "no-nested-delegation",
            "root-route-only-delegates",
        ]);
    });

    it("merged routes keep the other rules: a subset the DestinationRule lacks is found through the delegate", () => {
        const objs = good();
        objs[1] = dr("checkout", "shop", ["stable"]);
        const p = analyzeMesh(objs);
        expect(new Set(p.map((x) => x.rule))).to.deep.equal(new Set(["subset-exists"]));
        expect(p.map((x) => x.object)).to.include.members(["VirtualService/edge/ingress", "VirtualService/shop/checkout"]);
    });

    it("IST0140 through delegation: a gateway root delegating to its own delegate with another split than the mesh is found", () => {
        const objs = good();
        objs.push(
            vs("checkout-edge", "shop", { exportTo: ["*"], http: [{ name: "catch-all", route: split(50, 50) }] }),
        );
        (routesOf(find(objs, "ingress"))[0] as Spec)["delegate"] = { name: "checkout-edge", namespace: "shop" };
        const p = analyzeMesh(objs);
        expect(p.map((x) => [x.rule, x.object])).to.deep.equal([["gateway-canary-weighted", "VirtualService/edge/ingress"]]);
        expect(p[0]?.message).to.contain('as [["stable",50],["canary",50]], but its mesh VirtualService splits [["stable",80],["canary",20]]');
    });
});

describe("analyzer: IST0140 on the single layout's gateway routes, which carry the mesh routes under the prefix", () => {
    /** The single layout's objects: the mesh VirtualService's routes and the ingress's, named `route-0-<route>`. */
    function single(): IstioObject[] {
        const pin = { name: "canary-pin-0", match: [{ headers: { "x-canary": { exact: "true" } } }], route: [{ destination: { host: "checkout", subset: "canary" } }] };
        const catchAll = { name: "catch-all", route: split(80, 20) };
        const under = (r: Spec): Spec => ({ ...r, name: `route-0-${String(r["name"])}`, match: [{ uri: { prefix: "/api" }, ...((r["match"] as Spec[] | undefined)?.[0] ?? {}) }] });
        return [
            { ...gateway, metadata: { name: "ingress", namespace: "shop" } },
            dr("checkout", "shop", ["stable", "canary"]),
            vs("checkout", "shop", { hosts: ["checkout"], http: [pin, catchAll] }),
            vs("ingress", "shop", { hosts: ["shop.example.com"], gateways: ["shop/ingress"], http: [under(pin), under(catchAll)] }),
        ];
    }

    it("a carried pin is compared with the mesh pin (all to the canary), not with the catch-all's split", () => {
        expect(analyzeMesh(single())).to.deep.equal([]);
    });

    it("a carried catch-all with another split, or a carried pin with the split, is found", () => {
        const objs = single();
        const ingress = routesOf(find(objs, "ingress"));
        (ingress[1] as Spec)["route"] = split(50, 50);
        (ingress[0] as Spec)["route"] = split(80, 20);
        expect(analyzeMesh(objs).map((p) => p.message.slice(0, 80))).to.deep.equal([
            'http[0] sends gateway traffic for checkout as [["stable",80],["canary",20]], but',
            'http[1] sends gateway traffic for checkout as [["stable",50],["canary",50]], but',
        ]);
    });
});

describe("the single and per-service layouts give the gateway the same routes, as istiod merges them (issue 19)", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();
    type Raw = Record<string, unknown>;

    /** Per-service: the example environment's platform and service stacks; single: the same config in one stack. */
    async function layouts(edit: (checkout: Raw) => void, editIngress: (ingress: Raw) => void = () => undefined): Promise<{ single: IstioObject[]; perService: IstioObject[] }> {
        const env = prodEnvironment();
        const checkout = (env.services[0]?.config["services"] as Record<string, Raw>)["checkout"] as Raw;
        edit(checkout);
        editIngress(env.platform.config["ingress"] as Raw);
        mesh.rec.reset();
        const platform = mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("prod", env.platform.config)).outputs.platform;
        for (const s of env.services) {
            mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig(s.stack, s.config), platform);
        }
        await mesh.rec.settled();
        const perService = istioObjects(mesh.rec);
        const services = Object.assign({}, ...env.services.map((s) => s.config["services"] as Raw)) as Raw;
        mesh.rec.reset();
        mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("prod", { ...env.platform.config, layout: "single", services }));
        await mesh.rec.settled();
        return { single: istioObjects(mesh.rec), perService };
    }

    /** The merged routes of a VirtualService as Envoy gets them: the analyzer's marks dropped, hosts fully qualified. */
    function envoyRoutes(objects: IstioObject[], name: string): Spec[] {
        const o = mergedVirtualServices(objects).find((v) => v.metadata.name === name);
        const fq = (d: Spec): Spec => ({ ...d, host: String(d["host"]).includes(".") ? d["host"] : `${String(d["host"])}.shop.svc.cluster.local` });
        return ((o?.spec["http"] ?? []) as Spec[]).map((r) => {
            const { fromDelegate: _f, delegateCatchAll: _c, ...rest } = r;
            const out: Spec = { ...rest };
            if (Array.isArray(r["route"])) out["route"] = (r["route"] as Spec[]).map((d) => ({ ...d, destination: fq(d["destination"] as Spec) }));
            if (r["mirror"] !== undefined) out["mirror"] = fq(r["mirror"] as Spec);
            return out;
        });
    }

    const cases: [string, (checkout: Raw) => void][] = [
        ["pins, A/B flag, a URI route, faults on every request, retries, timeout (the example environment)", () => undefined],
        [
            "a cookie pin, an A/B cookie, a header-only fault, a redirect, a rewrite, a mirror",
            (c) => {
                c["pins"] = [{ header: "x-canary", exact: "true" }, { cookie: "canary", value: "always" }];
                c["abTest"] = { header: "x-new-checkout", cookie: "new-checkout", value: "on" };
                c["faults"] = { abort: { percentage: 10, httpStatus: 503 }, delay: { percentage: 50, fixedDelay: "2s" }, header: { name: "x-fault", value: "on" } };
                c["redirects"] = [{ prefix: "/api/old", uri: "/api/new", redirectCode: 302 }];
                c["uriRoutes"] = [{ prefix: "/api/legacy", weights: { stable: 70, canary: 30 }, rewrite: "/legacy" }];
                c["mirror"] = { percentage: 5 };
            },
        ],
        ["an unrouted canary (rollback): no pin, no A/B route", (c) => void (c["canary"] = { version: "v2", weight: 0, routed: false })],
        [
            "sticky sessions (issue 21): the session routes before the split and before a split URI route, each version adding its cookie",
            (c) => {
                c["canary"] = { version: "v2", weight: 20, sessionAffinity: { maxAge: "30m" }, revision: "r7k2" };
                c["uriRoutes"] = [{ prefix: "/api/legacy", subset: "stable" }, { prefix: "/api/cart" }];
            },
        ],
    ];
    /** A plain-HTTP ingress for any host whose route to checkout is one exact path (Istio's bookinfo-gateway shape). */
    const exactPath = (ingress: Raw): void => {
        delete ingress["tls"];
        Object.assign(ingress, { protocol: "HTTP", hosts: ["*"], routes: [{ exact: "/api/checkout", service: "checkout" }, { prefix: "/", service: "frontend" }] });
    };
    const exactCases: [string, (checkout: Raw) => void][] = [
        ["an exact-path root (plain HTTP, any host): the pin, the A/B flag, faults, retries, timeout and the split on that path; the URI route /api/legacy, which takes no request on it, left out", () => undefined],
        [
            "an exact-path root with a cookie pin, a header-only fault, a redirect elsewhere, a mirror and sticky sessions",
            (c) => {
                c["pins"] = [{ cookie: "canary", value: "always" }];
                c["faults"] = { abort: { percentage: 10, httpStatus: 503 }, header: { name: "x-fault", value: "on" } };
                c["redirects"] = [{ prefix: "/api/old", uri: "/api/new" }];
                c["mirror"] = { percentage: 5 };
                c["canary"] = { version: "v2", weight: 20, sessionAffinity: { maxAge: "30m" }, revision: "r7k2" };
            },
        ],
    ];
    for (const [what, edit] of exactCases) {
        it(what, async () => {
            const { single, perService } = await layouts(edit, exactPath);
            const gateway = envoyRoutes(single, "ingress");
            expect(gateway.length, "the single layout's gateway carries the routes").to.be.greaterThan(2);
            expect(gateway).to.deep.equal(envoyRoutes(perService, "ingress"));
            const checkoutRoutes = gateway.filter((r) => JSON.stringify(r).includes("checkout"));
            expect(checkoutRoutes.length).to.be.greaterThan(1);
            expect(
                checkoutRoutes.every((r) => (r["match"] as Spec[]).every((m) => JSON.stringify(m["uri"]) === '{"exact":"/api/checkout"}')),
                "every checkout route on the exact path only",
            ).to.equal(true);
            expect(analyzeMesh(single)).to.deep.equal([]);
            expect(analyzeMesh(perService)).to.deep.equal([]);
        });
    }
    for (const [what, edit] of cases) {
        it(what, async () => {
            const { single, perService } = await layouts(edit);
            const gateway = envoyRoutes(single, "ingress");
            expect(gateway.length, "the single layout's gateway carries the routes").to.be.greaterThan(2);
            expect(gateway).to.deep.equal(envoyRoutes(perService, "ingress"));
            expect(envoyRoutes(single, "checkout"), "and the mesh routes").to.deep.equal(envoyRoutes(perService, "checkout"));
            expect(analyzeMesh(single)).to.deep.equal([]);
            expect(analyzeMesh(perService)).to.deep.equal([]);
        });
    }
});
