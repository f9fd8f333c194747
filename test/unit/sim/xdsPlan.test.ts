import { expect } from "chai";
import { planFromXds, servesService, routeFault, routeMatches, parseClusterName, endpointVersions, findVirtualHost } from "../../../sim/xds/plan";
import { mergeState, TYPE, type Resource } from "../../../sim/xds/client";

const svc = { name: "sample-app", namespace: "shop" };
const FQDN = "sample-app.shop.svc.cluster.local";
const c = (subset: string): string => `outbound|8080|${subset}|${FQDN}`;

function cla(cluster: string, ...versions: string[]): Resource {
    return {
        clusterName: cluster,
        endpoints: [{ lbEndpoints: versions.map((v) => ({ metadata: { filterMetadata: { istio: { workload: `sample-app-${v};shop;sample-app;${v};Kubernetes` } } } })) }],
    };
}

/** A RouteConfiguration as istiod sends it for port 8080 (the shape of Envoy's JSON config dump). */
function routeConfig(routes: Resource[]): Resource {
    return {
        name: "8080",
        virtualHosts: [
            { name: "other.shop.svc.cluster.local:8080", domains: ["other.shop.svc.cluster.local:8080"], routes: [{ match: { prefix: "/" }, route: { cluster: "outbound|8080||other.shop.svc.cluster.local" } }] },
            { name: `${FQDN}:8080`, domains: [`${FQDN}:8080`, "sample-app", "sample-app.shop"], routes },
        ],
    };
}

const clusters = [{ name: c("stable"), type: "EDS" }, { name: c("canary"), type: "EDS" }];
const endpoints = [cla(c("stable"), "v1"), cla(c("canary"), "v2")];
const weighted = (s: number, k: number): Resource => ({ weightedClusters: { clusters: [{ name: c("stable"), weight: s }, { name: c("canary"), weight: k }] } });

describe("simulator: the split from istiod's xDS routes (sim/xds/plan.ts)", () => {
    it("finds the service's virtual host by its FQDN:port domain", () => {
        expect(findVirtualHost([routeConfig([])], svc, 8080)?.["name"]).to.equal(`${FQDN}:8080`);
        expect(findVirtualHost([routeConfig([])], svc, 9090)).to.equal(undefined);
    });

    it("weighted clusters -> versions through the endpoints' canonical revision", () => {
        const plan = planFromXds({ service: svc, port: 8080, routeConfigs: [routeConfig([{ name: "catch-all", match: { prefix: "/" }, route: weighted(75, 25) }])], clusters, endpoints });
        expect(plan.outcomes).to.deep.equal([
            { kind: "version", version: "v1", share: 0.75 },
            { kind: "version", version: "v2", share: 0.25 },
        ]);
    });

    it("routes are taken in order: a header pin before the catch-all takes only requests carrying the header", () => {
        const routes = [
            { name: "canary-pin-0", match: { prefix: "/", headers: [{ name: "canary", stringMatch: { exact: "true" } }] }, route: { cluster: c("canary") } },
            { name: "catch-all", match: { prefix: "/" }, route: { cluster: c("stable") } },
        ];
        const plan = planFromXds({ service: svc, port: 8080, routeConfigs: [routeConfig(routes)], clusters, endpoints, requestMix: [{ share: 0.1, headers: { Canary: "true" } }] });
        expect(plan.outcomes.map((o) => [o.kind === "version" ? o.version : o.kind, Number(o.share.toFixed(6))])).to.deep.equal([
            ["v2", 0.1],
            ["v1", 0.9],
        ]);
    });

    it("Gateway API mode: weighted clusters of the version Services <service>-<version> reach their versions; another namespace's or a dotted name does not", () => {
        const vc = (v: string): string => `outbound|8080||sample-app-${v}.shop.svc.cluster.local`;
        const plan = planFromXds({
            service: svc,
            port: 8080,
            routeConfigs: [routeConfig([{ name: "catch-all", match: { prefix: "/" }, route: { weightedClusters: { clusters: [{ name: vc("v1"), weight: 60 }, { name: vc("v2"), weight: 40 }] } } }])],
            clusters: [{ name: vc("v1"), type: "EDS" }, { name: vc("v2"), type: "EDS" }],
            endpoints: [cla(vc("v1"), "v1"), cla(vc("v2"), "v2")],
        });
        expect(plan.outcomes).to.deep.equal([
            { kind: "version", version: "v1", share: 0.6 },
            { kind: "version", version: "v2", share: 0.4 },
        ]);
        expect([FQDN, "sample-app-v2.shop.svc.cluster.local", "sample-app-v2.other.svc.cluster.local", "sample-app-.shop.svc.cluster.local", "sample-app-a.b.shop.svc.cluster.local", "other-v2.shop.svc.cluster.local"].map((h) => servesService(h, svc)))
            .to.deep.equal([true, true, false, false, false, false]);
    });

    it("Envoy's failures: no route (NR), a cluster istiod did not send (NC), a cluster without endpoints (UH)", () => {
        const none = planFromXds({ service: svc, port: 8080, routeConfigs: [routeConfig([{ match: { prefix: "/api" }, route: { cluster: c("stable") } }])], clusters, endpoints });
        expect(none.outcomes).to.deep.equal([{ kind: "noRoute", share: 1 }]);
        const nc = planFromXds({ service: svc, port: 8080, routeConfigs: [routeConfig([{ match: { prefix: "/" }, route: { cluster: c("gone") } }])], clusters, endpoints });
        expect(nc.outcomes).to.deep.equal([{ kind: "noCluster", subset: "gone", share: 1 }]);
        const uh = planFromXds({ service: svc, port: 8080, routeConfigs: [routeConfig([{ match: { prefix: "/" }, route: { cluster: c("canary") } }])], clusters, endpoints: [cla(c("stable"), "v1")] });
        expect(uh.outcomes).to.deep.equal([{ kind: "noHealthy", cluster: c("canary"), share: 1 }]);
    });

    it("no virtual host for the service yet: nothing is served", () => {
        const plan = planFromXds({ service: svc, port: 8080, routeConfigs: [], clusters: [], endpoints: [] });
        expect(plan.outcomes).to.deep.equal([{ kind: "unserved", share: 1 }]);
    });

    it("the route's fault (parts of a million) travels with its outcomes", () => {
        const fault = {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
            delay: { fixedDelay: "2s", percentage: { numerator: 500000, denominator: "MILLION" } },
            abort: { httpStatus: 503, percentage: { numerator: 100000, denominator: "MILLION" } },
        };
        const route = { match: { prefix: "/" }, route: { cluster: c("stable") }, typedPerFilterConfig: { "envoy.filters.http.fault": fault } };
        expect(routeFault(route)).to.deep.equal({ delayMs: 2000, delayShare: 0.5, abortCode: 503, abortShare: 0.1 });
        const plan = planFromXds({ service: svc, port: 8080, routeConfigs: [routeConfig([route])], clusters, endpoints });
        expect(plan.outcomes).to.deep.equal([{ kind: "version", version: "v1", share: 1, fault: { delayMs: 2000, delayShare: 0.5, abortCode: 503, abortShare: 0.1 } }]);
    });

    it("header matchers: exact, prefix, safe regex, present, inverted; query parameters never match a synthetic request", () => {
        const h = (m: Resource): Resource => ({ prefix: "/", headers: [{ name: "x", ...m }] });
        expect(routeMatches(h({ stringMatch: { exact: "a" } }), { x: "a" })).to.equal(true);
        expect(routeMatches(h({ stringMatch: { prefix: "ab" } }), { x: "abc" })).to.equal(true);
        expect(routeMatches(h({ stringMatch: { safeRegex: { regex: "a.c" } } }), { x: "abc" })).to.equal(true);
        expect(routeMatches(h({ stringMatch: { safeRegex: { regex: "a.c" } } }), { x: "abcd" })).to.equal(false);
        expect(routeMatches(h({ presentMatch: true }), {})).to.equal(false);
        expect(routeMatches(h({ presentMatch: true, invertMatch: true }), {})).to.equal(true);
        expect(routeMatches({ prefix: "/", queryParameters: [{ name: "q" }] }, {})).to.equal(false);
    });

    it("cluster names and endpoint versions", () => {
        expect(parseClusterName(c("stable"))).to.deep.equal({ direction: "outbound", port: 8080, subset: "stable", host: FQDN });
        expect(parseClusterName("BlackHoleCluster")).to.equal(undefined);
        expect(endpointVersions(cla(c("stable"), "v2", "v1", "v1"))).to.deep.equal(["v1", "v2"]);
        expect(endpointVersions(undefined)).to.deep.equal([]);
    });
});

describe("xDS client state (sim/xds/client.ts mergeState)", () => {
    it("clusters and listeners are replaced whole; routes and endpoints merge by name and keep only subscribed names", () => {
        const a = { clusterName: "a", endpoints: [] };
        const b = { clusterName: "b", endpoints: [] };
        const b2 = { clusterName: "b", endpoints: [{}] };
        expect(mergeState(TYPE.endpoint, [a, b], [b2], ["a", "b"])).to.deep.equal([a, b2]);
        expect(mergeState(TYPE.endpoint, [a, b], [], ["b"])).to.deep.equal([b]);
        expect(mergeState(TYPE.cluster, [{ name: "x" }], [{ name: "y" }], [])).to.deep.equal([{ name: "y" }]);
        expect(mergeState(TYPE.route, [{ name: "8080" }], [{ name: "80" }], ["80", "8080"])).to.deep.equal([{ name: "8080" }, { name: "80" }]);
    });
});
