import { expect } from "chai";
import * as fc from "fast-check";
import {
    destinationShares,
    hostMatches,
    type HttpRoute,
    type MeshObject,
    pickOutcome,
    planFromMesh,
    planFromWeights,
    requestMatches,
    type SyntheticRequest,
    type VirtualServiceSpec,
    type DestinationRuleSpec,
} from "../../../sim/routing";

const svc = { name: "sample-app", namespace: "shop" };

const dr = (subsets: Record<string, string | undefined>): MeshObject<DestinationRuleSpec> => ({
    metadata: { name: "sample-app", namespace: "shop" },
    spec: {
        host: "sample-app",
        subsets: Object.entries(subsets).map(([name, version]) => {
            const labels: Record<string, string> = version === undefined ? { app: "sample-app" } : { app: "sample-app", version };
            return { name, labels };
        }),
    },
});

const vs = (http: HttpRoute[], extra: Partial<VirtualServiceSpec> = {}): MeshObject<VirtualServiceSpec> => ({
    metadata: { name: "sample-app", namespace: "shop" },
    spec: { hosts: ["sample-app"], http, ...extra },
});

const canaryRoute = (stable: number, canary: number): HttpRoute => ({
    name: "primary",
    route: [
        { destination: { host: "sample-app", subset: "stable" }, weight: stable },
        { destination: { host: "sample-app", subset: "canary" }, weight: canary },
    ],
});

const req = (headers: Record<string, string> = {}): SyntheticRequest => ({
    uri: "/",
    method: "GET",
    scheme: "http",
    headers,
    sourceLabels: { app: "loadgenerator" },
    sourceNamespace: "shop",
});

describe("sim/routing", () => {
    describe("hostMatches", () => {
        const table: [string, string, boolean][] = [
            ["sample-app", "shop", true],
            ["sample-app", "other", false], // a short name resolves in the object's namespace
            ["sample-app.shop", "other", true],
            ["sample-app.shop.svc", "other", true],
            ["sample-app.shop.svc.cluster.local", "other", true],
            ["*.shop.svc.cluster.local", "shop", true],
            ["*.other.svc.cluster.local", "shop", false],
            ["*", "shop", true],
            ["reviews", "shop", false],
            ["sample-app.example.com", "shop", false],
        ];
        for (const [host, ns, want] of table) {
            it(`${host} in namespace ${ns} -> ${want}`, () => {
                expect(hostMatches(host, svc, ns)).to.equal(want);
            });
        }
    });

    describe("requestMatches (synthetic GET / with the class's headers)", () => {
        const table: [string, Parameters<typeof requestMatches>[0], Record<string, string>, boolean][] = [
            ["uri prefix /", { uri: { prefix: "/" } }, {}, true],
            ["uri prefix /api", { uri: { prefix: "/api" } }, {}, false],
            ["uri exact /", { uri: { exact: "/" } }, {}, true],
            ["uri regex", { uri: { regex: "/.*" } }, {}, true],
            ["regex is a full match", { uri: { regex: "x*" } }, {}, false],
            ["invalid JS regex never matches", { uri: { regex: "(?P<x>a)" } }, {}, false],
            ["method GET", { method: { exact: "GET" } }, {}, true],
            ["method POST", { method: { exact: "POST" } }, {}, false],
            ["header absent", { headers: { "x-canary": { exact: "true" } } }, {}, false],
            ["header present", { headers: { "x-canary": { exact: "true" } } }, { "x-canary": "true" }, true],
            ["header name is case-insensitive", { headers: { "X-Canary": { exact: "true" } } }, { "x-canary": "true" }, true],
            ["header {} = presence", { headers: { "x-canary": {} } }, { "x-canary": "no" }, true],
            ["cookie by regex", { headers: { cookie: { regex: ".*canary=1.*" } } }, { cookie: "a=b; canary=1" }, true],
            ["withoutHeaders, header absent", { withoutHeaders: { "x-canary": {} } }, {}, true],
            ["withoutHeaders, header present", { withoutHeaders: { "x-canary": {} } }, { "x-canary": "1" }, false],
            ["sourceLabels match", { sourceLabels: { app: "loadgenerator" } }, {}, true],
            ["sourceLabels differ", { sourceLabels: { app: "frontend" } }, {}, false],
            ["gateway-only match", { gateways: ["shop/ingress"] }, {}, false],
            ["mesh gateway match", { gateways: ["mesh"] }, {}, true],
            ["queryParams never set", { queryParams: { a: { exact: "1" } } }, {}, false],
            ["ignoreUriCase", { uri: { exact: "/" }, ignoreUriCase: true }, {}, true],
        ];
        for (const [name, match, headers, want] of table) {
            it(`${name} -> ${want}`, () => {
                expect(requestMatches(match, req(headers))).to.equal(want);
            });
        }
    });

    describe("destinationShares (Istio: weight / sum of weights)", () => {
        const table: [string, HttpRoute, number[]][] = [
            ["one destination, no weight", { route: [{ destination: { host: "a" } }] }, [1]],
            ["one destination, weight 0 still gets all", { route: [{ destination: { host: "a" }, weight: 0 }] }, [1]],
            ["90/10", canaryRoute(90, 10), [0.9, 0.1]],
            ["0/100", canaryRoute(0, 100), [0, 1]],
            ["relative 1/3", canaryRoute(1, 3), [0.25, 0.75]],
            [
                "absent weight with several destinations is 0",
                { route: [{ destination: { host: "a" }, weight: 50 }, { destination: { host: "a", subset: "c" } }] },
                [1, 0],
            ],
            ["all zero -> no destination", canaryRoute(0, 0), []],
        ];
        for (const [name, route, want] of table) {
            it(name, () => {
                expect(destinationShares(route).map((d) => d.share)).to.deep.equal(want);
            });
        }
    });

    describe("planFromMesh", () => {
        it("maps the catch-all route's weights to versions through the DestinationRule subsets", () => {
            const plan = planFromMesh({
                service: svc,
                virtualServices: [vs([canaryRoute(75, 25)])],
                destinationRules: [dr({ stable: "v1", canary: "v2" })],
            });
            expect(plan.outcomes).to.deep.equal([
                { kind: "version", version: "v1", share: 0.75 },
                { kind: "version", version: "v2", share: 0.25 },
            ]);
            expect(plan.source).to.equal("VirtualService sample-app");
        });

        it("a mesh root that delegates: the delegate's routes decide (root match AND delegate match); a missing delegate is no route", () => {
            const delegate: MeshObject<VirtualServiceSpec> = {
                metadata: { name: "sample-app-delegate", namespace: "shop" },
                spec: {
                    http: [
                        { match: [{ headers: { "x-canary": { exact: "true" } } }], route: [{ destination: { host: "sample-app", subset: "canary" } }] },
                        canaryRoute(80, 20),
                    ],
                },
            };
            const root = vs([{ name: "delegate", delegate: { name: "sample-app-delegate", namespace: "shop" } }]);
            const plan = planFromMesh({
                service: svc,
                virtualServices: [root, delegate],
                destinationRules: [dr({ stable: "v1", canary: "v2" })],
                requestMix: [{ share: 0.5, headers: { "x-canary": "true" } }],
            });
            expect(plan.outcomes).to.deep.equal([
                { kind: "version", version: "v2", share: 0.5 + 0.5 * 0.2 },
                { kind: "version", version: "v1", share: 0.4 },
            ]);
            const rootWithMatch = vs([{ match: [{ uri: { prefix: "/api" } }], delegate: { name: "sample-app-delegate" } }]);
            expect(planFromMesh({ service: svc, virtualServices: [rootWithMatch, delegate], destinationRules: [dr({ stable: "v1", canary: "v2" })] }).outcomes, "GET / does not match the root's /api").to.deep.equal([
                { kind: "noRoute", share: 1 },
            ]);
            expect(planFromMesh({ service: svc, virtualServices: [root], destinationRules: [dr({ stable: "v1" })] }).outcomes).to.deep.equal([{ kind: "noRoute", share: 1 }]);
        });

        it("a header route takes only the request class carrying the header; the rest follows the weights", () => {
            const headerRoute: HttpRoute = {
                match: [{ headers: { "x-canary": { exact: "true" } } }],
                route: [{ destination: { host: "sample-app", subset: "canary" } }],
            };
            const plan = planFromMesh({
                service: svc,
                virtualServices: [vs([headerRoute, canaryRoute(50, 50)])],
                destinationRules: [dr({ stable: "v1", canary: "v2" })],
                requestMix: [{ share: 0.2, headers: { "X-Canary": "true" } }],
            });
            expect(plan.outcomes).to.deep.equal([
                { kind: "version", version: "v2", share: 0.2 + 0.8 * 0.5 },
                { kind: "version", version: "v1", share: 0.4 },
            ]);
        });

        it("a subset missing from the DestinationRule is 503 NC (the promotion-order bug Istio punishes)", () => {
            const plan = planFromMesh({
                service: svc,
                virtualServices: [vs([canaryRoute(90, 10)])],
                destinationRules: [dr({ stable: "v2" })],
            });
            expect(plan.outcomes).to.deep.equal([
                { kind: "version", version: "v2", share: 0.9 },
                { kind: "noCluster", subset: "canary", share: 0.1 },
            ]);
        });

        it("no route matching the request is 404 NR", () => {
            const plan = planFromMesh({
                service: svc,
                virtualServices: [vs([{ match: [{ uri: { prefix: "/api" } }], route: [{ destination: { host: "sample-app" } }] }])],
                destinationRules: [dr({ stable: "v1" })],
            });
            expect(plan.outcomes).to.deep.equal([{ kind: "noRoute", share: 1 }]);
        });

        it("without a VirtualService, traffic reaches the stable subset's version (Service default)", () => {
            const plan = planFromMesh({ service: svc, virtualServices: [], destinationRules: [dr({ stable: "v1", canary: "v2" })] });
            expect(plan.outcomes).to.deep.equal([{ kind: "version", version: "v1", share: 1 }]);
            expect(plan.source).to.match(/^no VirtualService for sample-app.shop/);
        });

        it("without a VirtualService or DestinationRule, nothing serves the traffic unless a default version is given", () => {
            expect(planFromMesh({ service: svc, virtualServices: [], destinationRules: [] }).outcomes).to.deep.equal([
                { kind: "unserved", share: 1 },
            ]);
            expect(
                planFromMesh({ service: svc, virtualServices: [], destinationRules: [], defaultVersion: "v7" }).outcomes,
            ).to.deep.equal([{ kind: "version", version: "v7", share: 1 }]);
        });

        it("ignores gateway-bound VirtualServices and those of other hosts", () => {
            const plan = planFromMesh({
                service: svc,
                virtualServices: [
                    vs([canaryRoute(0, 100)], { gateways: ["shop/ingress"] }),
                    vs([canaryRoute(0, 100)], { hosts: ["reviews"] }),
                    vs([canaryRoute(100, 0)], { gateways: ["shop/ingress", "mesh"] }),
                ],
                destinationRules: [dr({ stable: "v1", canary: "v2" })],
            });
            expect(plan.outcomes).to.deep.equal([{ kind: "version", version: "v1", share: 1 }]);
        });

        it("counts a destination on another host apart, and a subset without a version label as unserved", () => {
            const plan = planFromMesh({
                service: svc,
                virtualServices: [
                    vs([
                        {
                            route: [
                                { destination: { host: "reviews" }, weight: 20 },
                                { destination: { host: "sample-app", subset: "nolabel" }, weight: 30 },
                                { destination: { host: "sample-app.shop.svc.cluster.local", subset: "stable" }, weight: 50 },
                            ],
                        },
                    ]),
                ],
                destinationRules: [dr({ stable: "v1", nolabel: undefined })],
            });
            expect(plan.outcomes).to.deep.equal([
                { kind: "otherHost", host: "reviews", share: 0.2 },
                { kind: "unserved", share: 0.3 },
                { kind: "version", version: "v1", share: 0.5 },
            ]);
        });

        it("shares always add up to 1 (property)", () => {
            fc.assert(
                fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (w, headerShare) => {
                    const plan = planFromMesh({
                        service: svc,
                        virtualServices: [
                            vs([
                                { match: [{ headers: { "x-canary": {} } }], route: [{ destination: { host: "sample-app", subset: "canary" } }] },
                                canaryRoute(100 - w, w),
                            ]),
                        ],
                        destinationRules: [dr({ stable: "v1", canary: "v2" })],
                        requestMix: [{ share: headerShare, headers: { "x-canary": "1" } }],
                    });
                    const total = plan.outcomes.reduce((s, o) => s + o.share, 0);
                    return Math.abs(total - 1) < 1e-9 && plan.outcomes.every((o) => o.share > 0);
                }),
            );
        });
    });

    describe("planFromWeights", () => {
        it("normalises relative weights and drops zero weights", () => {
            expect(planFromWeights({ v1: 3, v2: 1, v3: 0 }).outcomes).to.deep.equal([
                { kind: "version", version: "v1", share: 0.75 },
                { kind: "version", version: "v2", share: 0.25 },
            ]);
        });

        it("lists every problem at once", () => {
            expect(() => planFromWeights({ v1: -1, v2: Number.NaN })).to.throw(
                "invalid fixed weights: weight of v1 is -1; it must be a number >= 0; weight of v2 is NaN; it must be a number >= 0; " +
                    'weights {"v1":-1,"v2":null} have no positive weight; give at least one version a weight > 0',
            );
        });
    });

    describe("pickOutcome", () => {
        const outcomes = planFromWeights({ v1: 90, v2: 10 }).outcomes;
        const table: [number, string | undefined][] = [
            [0, "v1"],
            [0.8999, "v1"],
            [0.9, "v2"],
            [0.99999, "v2"],
        ];
        for (const [u, want] of table) {
            it(`u=${u} -> ${want}`, () => {
                const o = pickOutcome(outcomes, u);
                expect(o?.kind === "version" ? o.version : undefined).to.equal(want);
            });
        }
        it("an empty plan picks nothing", () => {
            expect(pickOutcome([], 0.5)).to.equal(undefined);
        });
    });
});
