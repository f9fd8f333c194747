/**
 * Hand edits to the live VirtualService (issue 10): before a window is judged, the live split must be the
 * step's (the live object's catch-all weights, and the canary's observed share of the window's requests
 * within the stated tolerance). On a mismatch the rollout stops naming the object and both values, and
 * writes nothing: the manual change is not overwritten. Pure parts (release/core/live.ts) and the rollout with a
 * fake API server reader.
 */
import { expect } from "chai";
import { DestinationRuleClaims } from "../../../components/destinationRuleClaims";
import { planCanary } from "../../../components/canaryPlan";
import { planGatewayApiCanary, type GatewayApiCanaryArgs } from "../../../components/gatewayApiPlan";
import type { Plain } from "../../../components/inputs";
import { valueAt } from "../../../contract/paths";
import { liveRouteKindOf } from "../../../release/core/edits";
import { liveSplitOf, liveSplitProblems, otherKindNote, shareTolerance, type LiveGatewayRoute, type LiveVirtualService } from "../../../release/core/live";
import { runCanary, runRollout } from "../../../release/rollout";
import { collectReport } from "../../../release/report/collect";
import { jsonLine } from "../../../release/reporters/json";
import { renderSummary } from "../../../release/reporters/summary";
import { HEALTHY, harness, ofType, SVC, type Harness } from "./fakes";
import type { ReleaseEvent } from "../../../release/core/events";

/** The mesh VirtualService as the Canary component emits it, with a hand-set canary weight. */
function vs(canary: number, name = SVC): LiveVirtualService {
    return {
        metadata: { name, namespace: "shop" },
        spec: {
            hosts: [name],
            http: [
                { name: "canary-pin-0", route: [{ destination: { host: name, subset: "canary" } }] },
                {
                    name: "catch-all",
                    route: [
                        { destination: { host: name, subset: "stable" }, weight: 100 - canary },
                        { destination: { host: name, subset: "canary" }, weight: canary },
                    ].filter((d) => d.weight > 0),
                },
            ],
        },
    };
}

/** A tcp or grpc service's args at `weight` % to v2, as the stack gives them to the components. */
const protocolArgs = (protocol: "tcp" | "grpc", weight: number): Plain<GatewayApiCanaryArgs> => ({
    namespace: "shop",
    service: SVC,
    port: 9000,
    stable: { version: "v1" },
    canary: { version: "v2", weight },
    protocol,
    ...(protocol === "grpc" ? { pins: [{ header: "x-canary", exact: "always" }] } : {}),
    claims: new DestinationRuleClaims(),
});
/** The service's mesh route as components/gatewayApiPlan.ts emits it, live. */
const gatewayRoute = (protocol: "tcp" | "grpc", weight: number, name = SVC): LiveGatewayRoute => {
    const plan = planGatewayApiCanary(SVC, protocolArgs(protocol, weight));
    expect(plan.problems).to.deep.equal([]);
    return { kind: protocol === "tcp" ? "TCPRoute" : "GRPCRoute", metadata: { name, namespace: "shop" }, spec: protocol === "tcp" ? plan.tcpRoute : plan.grpcRoute };
};

describe("live split (release/core/live.ts)", () => {
    it("reads the catch-all of the service's VirtualService, not a pin route", () => {
        expect(liveSplitOf([vs(0, "other"), vs(25)], "shop", SVC)).to.deep.equal({ object: "VirtualService shop/sample-app", canary: 25 });
        expect(liveSplitOf([vs(100)], "shop", SVC)?.canary).to.equal(100);
        expect(liveSplitOf([vs(0)], "shop", SVC)?.canary).to.equal(0);
        expect(liveSplitOf([], "shop", SVC)).to.equal(undefined);
    });

    it("follows the per-service layout's delegation: the root's route delegates, the weights are read from the delegate", () => {
        const delegate = vs(25, `${SVC}-delegate`);
        const d: LiveVirtualService = { metadata: delegate.metadata, spec: { http: delegate.spec?.http } };
        const root: LiveVirtualService = {
            metadata: { name: SVC, namespace: "shop" },
            spec: { hosts: [SVC], http: [{ delegate: { name: `${SVC}-delegate`, namespace: "shop" } }] },
        };
        expect(liveSplitOf([root, d], "shop", SVC)).to.deep.equal({ object: `VirtualService shop/${SVC}-delegate`, canary: 25 });
        // A delegate in another namespace is not this one (the reader lists one namespace).
        const elsewhere: LiveVirtualService = { ...root, spec: { hosts: [SVC], http: [{ delegate: { name: `${SVC}-delegate`, namespace: "other" } }] } };
        expect(liveSplitOf([elsewhere, d], "shop", SVC)).to.equal(undefined);
        // A root whose delegate is missing says nothing rather than 0 %.
        expect(liveSplitOf([root], "shop", SVC)).to.equal(undefined);
    });

    it("never reads a gateway-bound VirtualService, though the single layout's ingress carries the service's routes and its host starts with the service's name", () => {
        // The ingress VirtualService as the single layout emits it since issue 19: the service's routes under the prefix.
        const ingress: LiveVirtualService = {
            metadata: { name: "ingress", namespace: "shop" },
            spec: {
                hosts: [`${SVC}.example.com`],
                gateways: ["shop/ingress"],
                http: [
                    { name: "route-0-canary-pin-0", route: [{ destination: { host: SVC, subset: "canary" } }] },
                    { name: "route-0-catch-all", route: [{ destination: { host: SVC, subset: "canary" } }] },
                ],
            },
        };
        expect(liveSplitOf([ingress, vs(25)], "shop", SVC)).to.deep.equal({ object: "VirtualService shop/sample-app", canary: 25 });
        // Found by its hosts when it is named otherwise: still the mesh one, not the ingress listed first.
        const renamed = { ...vs(25), metadata: { name: "sample-app-mesh", namespace: "shop" } };
        expect(liveSplitOf([ingress, renamed], "shop", SVC)).to.deep.equal({ object: "VirtualService shop/sample-app-mesh", canary: 25 });
        // Bound to the gateways and the mesh: it routes sidecar traffic, so it is read.
        const both = { ...renamed, spec: { ...renamed.spec, gateways: ["shop/ingress", "mesh"] } };
        expect(liveSplitOf([ingress, both], "shop", SVC)?.canary).to.equal(25);
        expect(liveSplitOf([ingress], "shop", SVC), "no mesh VirtualService: nothing read").to.equal(undefined);
    });

    it("routingApi gateway-api: reads the mesh HTTPRoute's catch-all backendRefs as components/gatewayApiPlan.ts emits them", () => {
        const route = (weight: number): LiveGatewayRoute => {
            const plan = planGatewayApiCanary(SVC, {
                namespace: "shop",
                service: SVC,
                port: 8080,
                stable: { version: "v1" },
                canary: { version: "v2", weight },
                pins: [{ header: "x-canary", exact: "always" }],
                claims: new DestinationRuleClaims(),
            });
            expect(plan.problems).to.deep.equal([]);
            return { kind: "HTTPRoute", metadata: { name: SVC, namespace: "shop" }, spec: plan.httpRoute };
        };
        const object = "HTTPRoute shop/sample-app";
        expect(liveSplitOf([route(25)], "shop", SVC, { canary: "v2" })).to.deep.equal({ object, canary: 25 });
        expect(liveSplitOf([route(0)], "shop", SVC, { canary: "v2" })).to.deep.equal({ object, canary: 0 });
        expect(liveSplitOf([route(100)], "shop", SVC, { canary: "v2" })).to.deep.equal({ object, canary: 100 });
        // A hand edit: both backends without weights (the Gateway API's default weight is 1), and one to v2 only.
        const edited = route(25);
        const rules = edited.spec?.rules ?? [];
        const catchAll = rules[rules.length - 1];
        if (catchAll === undefined) throw new Error("no catch-all rule");
        catchAll.backendRefs = [{ name: "sample-app-v1" }, { name: "sample-app-v2" }];
        expect(liveSplitOf([edited], "shop", SVC, { canary: "v2" })?.canary).to.equal(50);
        catchAll.backendRefs = [{ name: "sample-app-v2", weight: 3 }];
        expect(liveSplitOf([edited], "shop", SVC, { canary: "v2" })?.canary).to.equal(100);
        // No canary version: nothing is the canary's. A VirtualService of the service is read first (Istio mode).
        expect(liveSplitOf([route(25)], "shop", SVC)?.canary).to.equal(0);
        expect(liveSplitOf([route(25), vs(10)], "shop", SVC, { canary: "v2" })).to.deep.equal({ object: "VirtualService shop/sample-app", canary: 10 });
        // A route attached to another Service, or to a Gateway, is not the service's mesh route.
        const other = { ...route(25), spec: { ...route(25).spec, parentRefs: [{ group: "", kind: "Service", name: "other" }] } };
        const gateway = { ...route(25), spec: { ...route(25).spec, parentRefs: [{ name: "ingress", sectionName: "https" }] } };
        expect(liveSplitOf([other, gateway], "shop", SVC, { canary: "v2" })).to.equal(undefined);
    });

    it("protocol tcp, routingApi istio: reads the weights of the VirtualService's tcp route as components/canaryPlan.ts emits it", () => {
        const live = (weight: number): LiveVirtualService => {
            const plan = planCanary(SVC, protocolArgs("tcp", weight));
            expect(plan.problems).to.deep.equal([]);
            return { metadata: { name: SVC, namespace: "shop" }, spec: { hosts: plan.hosts, tcp: plan.tcp } };
        };
        for (const w of [0, 20, 100]) expect(liveSplitOf([live(w)], "shop", SVC)).to.deep.equal({ object: "VirtualService shop/sample-app", canary: w });
        // A hand edit to 50/50 reads as 50; a lone canary destination (no weight: Istio gives it 100) as 100.
        const edited = live(20);
        const route = edited.spec?.tcp?.[0]?.route ?? [];
        route.forEach((d) => (d.weight = 50));
        expect(liveSplitOf([edited], "shop", SVC)?.canary).to.equal(50);
        route.splice(0, route.length, { destination: { host: SVC, subset: "canary" } });
        expect(liveSplitOf([edited], "shop", SVC)?.canary).to.equal(100);
    });

    it("protocol tcp and grpc, routingApi gateway-api: reads the TCPRoute's and the GRPCRoute's catch-all backendRefs", () => {
        for (const protocol of ["tcp", "grpc"] as const) {
            const object = `${protocol === "tcp" ? "TCPRoute" : "GRPCRoute"} shop/sample-app`;
            for (const w of [0, 20, 100]) {
                expect(liveSplitOf([gatewayRoute(protocol, w)], "shop", SVC, { canary: "v2", protocol }), `${protocol} ${w}`).to.deep.equal({ object, canary: w });
            }
        }
        // A protocol change replaces the HTTPRoute by a GRPCRoute: while both are attached, the configured protocol's kind is read.
        const http = { ...gatewayRoute("grpc", 20), kind: "HTTPRoute" as const, spec: { ...gatewayRoute("grpc", 20).spec, rules: [{ name: "catch-all", backendRefs: [{ name: "sample-app-v1" }] }] } };
        expect(liveSplitOf([http, gatewayRoute("grpc", 20)], "shop", SVC, { canary: "v2", protocol: "grpc" })).to.deep.equal({ object: "GRPCRoute shop/sample-app", canary: 20 });
        expect(liveSplitOf([http, gatewayRoute("grpc", 20)], "shop", SVC, { canary: "v2", protocol: "http" })).to.deep.equal({ object: "HTTPRoute shop/sample-app", canary: 0 });
        // A TCPRoute on another Service is not the service's.
        const other = gatewayRoute("tcp", 20);
        other.spec = { ...other.spec, parentRefs: [{ group: "", kind: "Service", name: "other" }] };
        expect(liveSplitOf([other], "shop", SVC, { canary: "v2", protocol: "tcp" })).to.equal(undefined);
    });

    it("the stated tolerance: 5 points plus four binomial standard deviations", () => {
        expect(Math.round(shareTolerance(25, 500) * 10) / 10).to.equal(12.7);
        expect(shareTolerance(100, 500)).to.equal(5);
    });

    const live = { object: "VirtualService shop/sample-app", canary: 25 };
    const table: Array<[string, Parameters<typeof liveSplitProblems>[0], string[]]> = [
        ["the step's split, share as expected", { weight: 25, live, observed: { canary: 120, total: 500 }, minRequests: 10, extraCanaryRoutes: false }, []],
        [
            "patched to 100 % canary (420 canary requests of 500)",
            { weight: 25, live: { ...live, canary: 100 }, observed: { canary: 420, total: 500 }, minRequests: 10, extraCanaryRoutes: false },
            [
                "VirtualService shop/sample-app sends 100% to the canary, but this step applied 25% (was it edited by hand?)",
                "the canary received 84% of the window's 500 requests, but this step applied 25% (tolerance ±13 points); the live routing is not the step's",
            ],
        ],
        [
            "a manual kill switch to stable, object not readable: the share alone",
            { weight: 25, live: undefined, observed: { canary: 0, total: 480 }, minRequests: 10, extraCanaryRoutes: false },
            ["the canary received 0% of the window's 480 requests, but this step applied 25% (tolerance ±13 points); the live routing is not the step's"],
        ],
        ["pins send more to the canary on purpose: a high share is fine", { weight: 10, live: { ...live, canary: 10 }, observed: { canary: 300, total: 1000 }, minRequests: 10, extraCanaryRoutes: true }, []],
        [
            "sticky sessions at step 50 % after a 10 % first step: sessions drawn at 10 % keep their version, 22 % is fine",
            { weight: 50, live: { ...live, canary: 50 }, observed: { canary: 110, total: 500 }, minRequests: 10, extraCanaryRoutes: false, sessionFloor: 10 },
            [],
        ],
        [
            "sticky sessions: a share under the first step's weight is still a mismatch (a kill switch to stable)",
            { weight: 75, live: undefined, observed: { canary: 0, total: 500 }, minRequests: 10, extraCanaryRoutes: false, sessionFloor: 25 },
            ["the canary received 0% of the window's 500 requests, but sticky sessions drawn at 25% to 75% (the steps so far) (tolerance ±13 points); the live routing is not the step's"],
        ],
        ["too few requests to judge the share", { weight: 25, live: { ...live, canary: 25 }, observed: { canary: 0, total: 5 }, minRequests: 10, extraCanaryRoutes: false }, []],
    ];
    for (const [what, args, expected] of table) {
        it(what, () => expect(liveSplitProblems(args)).to.deep.equal(expected));
    }
});

describe("a hand-edited live split stops the rollout (release/rollout/liveSplit.ts)", () => {
    /** Canary and stable request counts that follow the weight of the step being judged. */
    function following(h: Harness, weightOf: () => number): void {
        h.metrics.versions["v2"] = { ...HEALTHY, requests: 0 };
        h.metrics.versions["v1"] = { ...HEALTHY, requests: 0 };
        const orig = h.metrics.instant.bind(h.metrics);
        h.metrics.instant = (q: string) => {
            const w = weightOf();
            h.metrics.versions["v2"] = { ...HEALTHY, requests: 10 * w };
            h.metrics.versions["v1"] = { ...HEALTHY, requests: 10 * (100 - w) };
            return orig(q);
        };
    }

    it("the live object says 100 % at a 10 % step: exit 3 naming the object and both values; nothing more is written", async () => {
        const h = harness();
        let liveWeight = 100; // someone patched the VirtualService
        following(h, () => liveWeight);
        h.deps.live = { read: () => Promise.resolve([vs(liveWeight)]) };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.exitCode, r.message).to.equal(3);
        expect(r.message).to.include("VirtualService shop/sample-app sends 100% to the canary, but this step applied 10% (was it edited by hand?)");
        expect(r.hint).to.include("nothing was judged or written");
        expect(r.hint, "a healthy canary: the edit is respected, and the hint says why").to.match(/^the canary did not fail in this window/);
        expect(r.message, "the window's measurement is in the message").to.include("the window measured Successful");
        expect(h.store.updates.map((u) => u.message)).to.deep.equal(["mesh-release: sample-app v2 step 1 weight 10%"]);
        expect(h.events.filter((e: ReleaseEvent) => e.type === "analysis")).to.have.length(0);
        expect(r.state?.phase).to.equal("Progressing");
        liveWeight = 10;
    });

    it("routingApi gateway-api: a hand edit of the HTTPRoute to 100 % at a 10 % step stops the rollout naming the HTTPRoute", async () => {
        const h = harness({ config: gatewayApiConfig("http") });
        const edited: LiveGatewayRoute = {
            kind: "HTTPRoute",
            metadata: { name: SVC, namespace: "shop" },
            spec: { parentRefs: [{ group: "", kind: "Service", name: SVC }], rules: [{ name: "catch-all", backendRefs: [{ name: "sample-app-v2", weight: 100 }] }] },
        };
        following(h, () => 100);
        h.deps.live = { read: () => Promise.resolve([edited]) };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.exitCode, r.message).to.equal(3);
        expect(r.message).to.include("HTTPRoute shop/sample-app sends 100% to the canary, but this step applied 10% (was it edited by hand?)");
    });

    it("protocol tcp, routingApi gateway-api: the weight steps move the TCPRoute's backendRefs and the rollout is promoted; a TCPRoute edited to 100 % stops it", async () => {
        const tcpConfig = (): Record<string, unknown> => {
            const cfg = harness().store.config;
            const svc = valueAt(cfg, ["services", SVC]) as Record<string, unknown>;
            svc["protocol"] = "tcp";
            svc["port"] = 9000;
            cfg["routingApi"] = "gateway-api";
            return cfg;
        };
        // The live TCPRoute is the one the components make of the config the last update applied.
        const h = harness({ config: tcpConfig() });
        const liveWeight = (): number => {
            const w = valueAt(h.store.applied, ["services", SVC, "canary", "weight"]);
            return typeof w === "number" ? w : 0;
        };
        following(h, liveWeight);
        const seen: number[] = [];
        h.deps.live = {
            read: () => {
                const route = gatewayRoute("tcp", liveWeight());
                seen.push(liveSplitOf([route], "shop", SVC, { canary: "v2", protocol: "tcp" })?.canary ?? -1);
                return Promise.resolve([route]);
            },
        };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        expect(seen, "each step's read found the step's weight on the TCPRoute, and so did the promotion's (no hand edit to name)").to.deep.equal([10, 50, 100, 100]);

        const edited = harness({ config: tcpConfig() });
        following(edited, () => 100);
        edited.deps.live = { read: () => Promise.resolve([gatewayRoute("tcp", 100)]) };
        const stopped = await runCanary({ service: SVC, version: "v2" }, edited.deps);
        expect(stopped.exitCode, stopped.message).to.equal(3);
        expect(stopped.message).to.include("TCPRoute shop/sample-app sends 100% to the canary, but this step applied 10% (was it edited by hand?)");
    });

    it("a failing canary hand-edited to 100 % during a step: evidence of harm, so it rolls back at once, naming the edit it overwrites", async () => {
        const h = harness();
        let liveWeight = 100;
        h.metrics.versions["v1"] = { ...HEALTHY, requests: 0 };
        const orig = h.metrics.instant.bind(h.metrics);
        h.metrics.instant = (q: string) => {
            // 20 % errors on the canary, which the hand edit sends every request to
            h.metrics.versions["v2"] = { successRate: 80, p95: 80, requests: 10 * liveWeight };
            h.metrics.versions["v1"] = { ...HEALTHY, requests: 10 * (100 - liveWeight) };
            return orig(q);
        };
        h.deps.live = { read: () => Promise.resolve([vs(liveWeight)]) };
        h.deps.emit = (e) => {
            h.events.push(e);
            if (e.type === "update-finished" && e.purpose === "rollback") liveWeight = 0;
        };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("rolled-back");
        expect(r.exitCode).to.equal(1);
        expect(r.state?.phase).to.equal("RolledBack");
        const analysis = h.events.filter((e: ReleaseEvent) => e.type === "analysis");
        expect(analysis.map((e) => e.type === "analysis" && e.verdict), "the failing window is an analysis event").to.deep.equal(["Failed"]);
        const warning = ofType(h.events, "warning").map((e) => e.message).join("\n");
        expect(warning).to.include("the live split is not the step's");
        expect(warning).to.include("the window measured Failed");
        expect(warning).to.include("rolling back now, overwriting the live change");
        const edit = ofType(h.events, "hand-edit");
        expect(edit, "the rollback names the edit it overwrites").to.have.length(1);
        expect(edit[0]?.message).to.include("100%");
        expect(h.store.updates.at(-1)?.message, "the rollback's update is the last write").to.match(/rollback|rolled back|roll back/i);
        expect(r.state?.message).to.include("the canary failed its analysis while the live split was not the step's");
    });

    it("a manual kill switch to stable with no API server readable: the observed share stops it", async () => {
        const h = harness();
        following(h, () => 0);
        h.deps.live = {};
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.exitCode, r.message).to.equal(3);
        expect(r.message).to.include("the canary received 0% of the window's 1000 requests, but this step applied 10%");
    });

    it("the step's split live: the rollout runs to promotion as before", async () => {
        const h = harness();
        let step = 0;
        following(h, () => step);
        h.deps.live = {
            read: () => Promise.resolve([vs(step)]),
        };
        h.deps.emit = (e) => {
            h.events.push(e);
            if (e.type === "step-applied") step = e.weight;
        };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
    });
});

/** The harness's config in `routingApi: gateway-api` with sample-app speaking `protocol`. */
function gatewayApiConfig(protocol: "http" | "grpc" | "tcp"): Record<string, unknown> {
    const cfg = harness().store.config;
    const svc = valueAt(cfg, ["services", SVC]) as Record<string, unknown>;
    svc["protocol"] = protocol;
    svc["port"] = 9000;
    cfg["routingApi"] = "gateway-api";
    return cfg;
}

describe("the live object's kind in the release's messages (release/core/edits.ts liveRouteKindOf)", () => {
    it("VirtualService in Istio's API whatever the protocol; in gateway-api the mesh route of the protocol", () => {
        const table: [routingApi: string | undefined, protocol: string | undefined, kind: string][] = [
            [undefined, undefined, "VirtualService"],
            ["istio", "tcp", "VirtualService"],
            ["istio", "grpc", "VirtualService"],
            ["gateway-api", undefined, "HTTPRoute"],
            ["gateway-api", "http", "HTTPRoute"],
            ["gateway-api", "grpc", "GRPCRoute"],
            ["gateway-api", "tcp", "TCPRoute"],
        ];
        for (const [routingApi, protocol, kind] of table) {
            const cfg = { ...(routingApi === undefined ? {} : { routingApi }), services: { [SVC]: protocol === undefined ? {} : { protocol } } };
            expect(liveRouteKindOf(cfg, SVC), `${routingApi ?? "(unset)"} / ${protocol ?? "(unset)"}`).to.equal(kind);
        }
    });

    it("routingApi gateway-api, protocol tcp: the live TCPRoute cannot be read during a step; the warning names the TCPRoute, and the observed share is checked", async () => {
        const h = harness({ config: gatewayApiConfig("tcp") });
        h.metrics.instant = ((orig) => (q: string) => {
            const w = valueAt(h.store.applied, ["services", SVC, "canary", "weight"]);
            const weight = typeof w === "number" ? w : 0;
            h.metrics.versions["v2"] = { ...HEALTHY, requests: 10 * weight };
            h.metrics.versions["v1"] = { ...HEALTHY, requests: 10 * (100 - weight) };
            return orig(q);
        })(h.metrics.instant.bind(h.metrics));
        h.deps.live = { read: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443")) };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        const warnings = ofType(h.events, "warning").map((w) => w.message);
        expect(warnings[0]).to.equal("cannot read the live TCPRoute of sample-app (connect ECONNREFUSED 127.0.0.1:6443); only the canary's observed share is checked");
        expect(warnings.filter((w) => w.includes("VirtualService")), "no message names a VirtualService the stack does not have").to.deep.equal([]);
    });
});

/** The mesh HTTPRoute as components/gatewayApiPlan.ts emits it for an http service, `canary` % to v2. */
function httpRoute(canary: number): LiveGatewayRoute {
    const plan = planGatewayApiCanary(SVC, { namespace: "shop", service: SVC, port: 8080, stable: { version: "v1" }, canary: { version: "v2", weight: canary }, claims: new DestinationRuleClaims() });
    expect(plan.problems).to.deep.equal([]);
    return { kind: "HTTPRoute", metadata: { name: SVC, namespace: "shop" }, spec: plan.httpRoute };
}

describe("the live split is read on the kind the stack's routingApi says, never on the other API's object (release/core/live.ts)", () => {
    const GATEWAY_NOTE =
        "the stack routes sample-app with the Gateway API (routingApi gateway-api: a HTTPRoute), but VirtualService shop/sample-app routes it; " +
        "the switch from Istio's API to the Gateway API is not finished, or that VirtualService is a leftover (it is not read)";
    const ISTIO_NOTE =
        "the stack routes sample-app with Istio's API (routingApi istio: a VirtualService), but HTTPRoute shop/sample-app is attached to its Service; " +
        "the switch from the Gateway API back to Istio's API is not finished, or that HTTPRoute is a leftover (it is not read)";

    it("both kinds live (mid-way through the switch): each mode reads its own kind, whichever is listed first", () => {
        for (const objects of [[vs(70), httpRoute(20)], [httpRoute(20), vs(70)]]) {
            expect(liveSplitOf(objects, "shop", SVC, { canary: "v2", kind: "HTTPRoute" })).to.deep.equal({ object: "HTTPRoute shop/sample-app", canary: 20 });
            expect(liveSplitOf(objects, "shop", SVC, { canary: "v2", kind: "VirtualService" })).to.deep.equal({ object: "VirtualService shop/sample-app", canary: 70 });
            expect(otherKindNote(objects, "shop", SVC, "HTTPRoute"), "otherKindNote looks at the other API only (its callers ask it when the configured kind gave no split)").to.equal(GATEWAY_NOTE);
        }
        // Without a kind (callers with no stack config): the VirtualService first, as before.
        expect(liveSplitOf([httpRoute(20), vs(70)], "shop", SVC, { canary: "v2" })?.object).to.equal("VirtualService shop/sample-app");
        // A TCPRoute stack during a protocol change keeps preferring its own mesh route kind, never the VirtualService.
        expect(liveSplitOf([vs(70), gatewayRoute("tcp", 30)], "shop", SVC, { canary: "v2", kind: "TCPRoute", protocol: "tcp" })).to.deep.equal({ object: "TCPRoute shop/sample-app", canary: 30 });
    });

    it("only the other kind live: nothing is read, and the note names both kinds, the object and the unfinished switch or leftover", () => {
        expect(liveSplitOf([vs(70)], "shop", SVC, { canary: "v2", kind: "HTTPRoute" })).to.equal(undefined);
        expect(otherKindNote([vs(70)], "shop", SVC, "HTTPRoute")).to.equal(GATEWAY_NOTE);
        expect(liveSplitOf([httpRoute(20)], "shop", SVC, { canary: "v2", kind: "VirtualService" })).to.equal(undefined);
        expect(otherKindNote([httpRoute(20)], "shop", SVC, "VirtualService")).to.equal(ISTIO_NOTE);
        // Not the service's: a gateway-bound VirtualService, a route attached to another Service. No note.
        const ingress = { ...vs(70), spec: { ...vs(70).spec, gateways: ["shop/ingress"] } };
        const other = { ...httpRoute(20), spec: { ...httpRoute(20).spec, parentRefs: [{ group: "", kind: "Service", name: "other" }] } };
        expect(otherKindNote([ingress], "shop", SVC, "HTTPRoute")).to.equal(undefined);
        expect(otherKindNote([other], "shop", SVC, "VirtualService")).to.equal(undefined);
        expect(otherKindNote([], "shop", SVC, "GRPCRoute")).to.equal(undefined);
    });

    /** The canary's and stable's request counts follow the weight the last update applied; returns that weight. */
    function followApplied(h: Harness): () => number {
        const weight = (): number => {
            const w = valueAt(h.store.applied, ["services", SVC, "canary", "weight"]);
            return typeof w === "number" ? w : 0;
        };
        h.metrics.instant = ((orig) => (q: string) => {
            h.metrics.versions["v2"] = { ...HEALTHY, requests: 10 * weight() };
            h.metrics.versions["v1"] = { ...HEALTHY, requests: 10 * (100 - weight()) };
            return orig(q);
        })(h.metrics.instant.bind(h.metrics));
        return weight;
    }

    const modes: [mode: string, config: () => Record<string, unknown>, live: (step: number) => (LiveVirtualService | LiveGatewayRoute)[]][] = [
        ["gateway-api, a leftover VirtualService at 100 %: the HTTPRoute", () => gatewayApiConfig("http"), (step) => [vs(100), httpRoute(step)]],
        ["Istio's API, a leftover HTTPRoute at 100 %: the VirtualService", () => harness().store.config, (step) => [httpRoute(100), vs(step)]],
    ];
    for (const [mode, config, live] of modes) {
        it(`a rollout step (${mode}) at the step's weight is read; the rollout is promoted without a warning`, async () => {
            const h = harness({ config: config() });
            const weight = followApplied(h);
            h.deps.live = { read: () => Promise.resolve(live(weight())) };
            const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
            expect(r.outcome, r.message).to.equal("promoted");
            expect(ofType(h.events, "warning").map((w) => w.message)).to.deep.equal([]);
        });
    }

    it("a rollout step (gateway-api) with only a VirtualService live: a warning names both kinds, and the observed share alone is checked", async () => {
        const h = harness({ config: gatewayApiConfig("http") });
        followApplied(h);
        h.deps.live = { read: () => Promise.resolve([vs(100)]) };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, "the VirtualService's 100 % is not taken for the HTTPRoute's split: no false hand edit").to.equal("promoted");
        const warnings = ofType(h.events, "warning").map((w) => w.message);
        expect(warnings[0]).to.equal(`no live HTTPRoute of sample-app in namespace shop: ${GATEWAY_NOTE}; only the canary's observed share is checked`);
    });

    it("status (gateway-api) with only a VirtualService live: the live line says so instead of showing the VirtualService's split", async () => {
        const { runStatus } = await import("../../../release/orchestration/oneShot");
        const { TerminalReporter } = await import("../../../release/reporters/terminal");
        const h = harness({ config: gatewayApiConfig("http") });
        let out = "";
        const reporter = new TerminalReporter({ write: (t) => (out += t), tty: false, color: false, now: () => h.clock.now(), tickMs: 0 });
        const r = await runStatus({ service: SVC, metrics: false }, { ...h.deps, emit: (e) => reporter.handle(e), live: { read: () => Promise.resolve([vs(100)]) } });
        reporter.close();
        expect(r.exitCode).to.equal(0);
        expect(out).to.include(`  live:    not read (no HTTPRoute for sample-app in namespace shop: ${GATEWAY_NOTE})\n`);
        expect(out).to.not.include("sends 100% to the canary");
    });
});

describe("status shows the configured weights and, apart, the live split (release/orchestration/oneShot.ts)", () => {
    it("a hand edit to 100 % shows in the live line, the configured weight stays as configured", async () => {
        const { runStatus } = await import("../../../release/orchestration/oneShot");
        const { TerminalReporter } = await import("../../../release/reporters/terminal");
        const h = harness();
        (h.store.config["services"] as Record<string, { canary: Record<string, unknown> }>)[SVC]!.canary = { version: "v2", weight: 25, routed: true };
        let out = "";
        const reporter = new TerminalReporter({ write: (t) => (out += t), tty: false, color: false, now: () => h.clock.now(), tickMs: 0 });
        const r = await runStatus(
            { service: SVC, metrics: false },
            { ...h.deps, emit: (e) => reporter.handle(e), live: { read: () => Promise.resolve([vs(100)]) } },
        );
        reporter.close();
        expect(r.exitCode).to.equal(0);
        expect(out).to.include("sample-app on stack dev (namespace shop); weights as configured:\n  stable:  v1 75%\n  canary:  v2 25%\n");
        expect(out).to.include("  live:    VirtualService shop/sample-app sends 100% to the canary\n");
    });

    it("routingApi gateway-api, protocol grpc, no GRPCRoute attached to the Service: the live line names the GRPCRoute it looked for", async () => {
        const { runStatus } = await import("../../../release/orchestration/oneShot");
        const { TerminalReporter } = await import("../../../release/reporters/terminal");
        const h = harness({ config: gatewayApiConfig("grpc") });
        let out = "";
        const reporter = new TerminalReporter({ write: (t) => (out += t), tty: false, color: false, now: () => h.clock.now(), tickMs: 0 });
        const http: LiveGatewayRoute = { kind: "HTTPRoute", metadata: { name: "other", namespace: "shop" }, spec: { parentRefs: [{ group: "", kind: "Service", name: "other" }], rules: [] } };
        const r = await runStatus({ service: SVC, metrics: false }, { ...h.deps, emit: (e) => reporter.handle(e), live: { read: () => Promise.resolve([http]) } });
        reporter.close();
        expect(r.exitCode).to.equal(0);
        expect(out).to.include("  live:    not read (no GRPCRoute for sample-app in namespace shop)\n");
        expect(out).to.not.include("VirtualService");
    });
});

describe("a rollback after a hand edit names what it overwrites, and never refuses (release/rollout/liveSplit.ts)", () => {
    /** A rollout stopped by the live-split check at step 1 (10 %): the VirtualService was patched to `patched` % canary. */
    async function stoppedBy(patched: number): Promise<Harness> {
        const h = harness();
        h.metrics.versions["v2"] = { ...HEALTHY, requests: 10 * patched };
        h.metrics.versions["v1"] = { ...HEALTHY, requests: 10 * (100 - patched) };
        h.deps.live = { read: () => Promise.resolve([vs(patched)]) };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.exitCode, r.message).to.equal(3);
        h.events.length = 0;
        return h;
    }

    it("patched to 100 % canary: the rollback says, before its update, that it overwrites the edit; exit 0 and 0 % written", async () => {
        const h = await stoppedBy(100);
        const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
        expect(r.exitCode, r.message).to.equal(0);
        const edits = ofType(h.events, "hand-edit");
        expect(edits).to.have.length(1);
        const e = edits[0]!;
        expect({ object: e.object, live: e.live, applied: e.applied, writes: e.writes, changesTraffic: e.changesTraffic }).to.deep.equal({
            object: "VirtualService shop/sample-app",
            live: 100,
            applied: [10],
            writes: 0,
            changesTraffic: true,
        });
        expect(e.message).to.equal(
            "VirtualService shop/sample-app sends 100% to the canary v2, not the 10% the last update applied: edited by hand. " +
                "This rollback overwrites it: 0% to v2, 100% to stable v1",
        );
        // Said before the rollback's update starts, and the update then writes 0 %.
        const order = h.events.map((x) => x.type);
        expect(order.indexOf("hand-edit")).to.be.lessThan(order.indexOf("update-started"));
        expect(h.store.config["services"]).to.have.nested.property(`${SVC}.canary.weight`, 0);
        // The summary and the report carry it too.
        const report = collectReport(h.events);
        expect(report?.handEdits).to.deep.equal([{ at: e.at, object: e.object, live: 100, writes: 0, changesTraffic: true, message: e.message }]);
        const text = renderSummary({ report, result: r });
        expect(text).to.include(`  hand edit: ${e.message}\n`);
        // The --json stream is the events as they are: the hand edit is one line of it.
        expect(jsonLine(e)).to.include('"type":"hand-edit"');
    });

    it("a manual kill switch (0 % canary): the rollback writes the same split and says so (traffic does not change)", async () => {
        const h = await stoppedBy(0);
        const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
        expect(r.exitCode, r.message).to.equal(0);
        const [e] = ofType(h.events, "hand-edit");
        expect(e?.changesTraffic).to.equal(false);
        expect(e?.message).to.equal(
            "VirtualService shop/sample-app sends 0% to the canary v2, not the 10% the last update applied: edited by hand. " +
                "This rollback writes the same split (0% to v2), so traffic does not change; Pulumi's object replaces the edited one",
        );
    });

    it("promote --force over a manual kill switch: the promotion names the edit it overwrites (0% to 100% of v2)", async () => {
        const h = await stoppedBy(0);
        const r = await runRollout({ action: "promote", service: SVC, force: true }, h.deps);
        expect(r.outcome, r.message).to.equal("promoted");
        const [e] = ofType(h.events, "hand-edit");
        expect(e?.message).to.equal(
            "VirtualService shop/sample-app sends 0% to the canary v2, not the 10% the last update applied: edited by hand. " +
                "This promotion overwrites it: 100% to v2 (the stable version from now on)",
        );
        expect(e?.changesTraffic).to.equal(true);
    });

    it("the live split is what the last update applied: nothing to report", async () => {
        const h = harness();
        let weight = 0;
        h.deps.live = { read: () => Promise.resolve([vs(weight)]) };
        h.deps.emit = (e) => {
            h.events.push(e);
            if (e.type === "step-applied") weight = e.weight;
        };
        h.metrics.versions["v2"] = { ...HEALTHY, successRate: 50, requests: 100 }; // fails at step 1 (10 %): the automatic rollback
        h.metrics.versions["v1"] = { ...HEALTHY, requests: 900 };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("rolled-back");
        expect(ofType(h.events, "hand-edit")).to.deep.equal([]);
    });

    it("the automatic rollback of a signal during a window also names the hand edit it overwrites", async () => {
        const ac = new AbortController();
        const h = harness({ signal: ac.signal });
        h.deps.live = { read: () => Promise.resolve([vs(100)]) }; // patched while the first window runs
        const sleep = h.clock.sleep;
        h.clock.sleep = (ms: number) => {
            ac.abort();
            return sleep(ms);
        };
        const r = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(r.outcome, r.message).to.equal("aborted");
        const [e] = ofType(h.events, "hand-edit");
        expect(e?.message).to.include("sends 100% to the canary v2, not the 10% the last update applied: edited by hand. This rollback overwrites it");
    });

    it("the live object cannot be read: the rollback goes ahead and warns that an edit, if any, is not named", async () => {
        const h = await stoppedBy(100);
        h.deps.live = { read: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443")) };
        const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
        expect(r.exitCode, r.message).to.equal(0);
        expect(ofType(h.events, "warning").map((w) => w.message)).to.include(
            "cannot read the live VirtualService of sample-app (connect ECONNREFUSED 127.0.0.1:6443); a hand edit, if any, is overwritten without being named",
        );
    });

    it("routingApi gateway-api: the same warning names the HTTPRoute", async () => {
        const h = harness({ config: gatewayApiConfig("http") });
        h.metrics.versions["v2"] = { ...HEALTHY, requests: 1000 };
        h.metrics.versions["v1"] = { ...HEALTHY, requests: 0 };
        h.deps.live = { read: () => Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6443")) };
        const stopped = await runCanary({ service: SVC, version: "v2" }, h.deps);
        expect(stopped.exitCode, stopped.message).to.equal(3);
        h.events.length = 0;
        const r = await runRollout({ action: "rollback", service: SVC }, h.deps);
        expect(r.exitCode, r.message).to.equal(0);
        expect(ofType(h.events, "warning").map((w) => w.message)).to.include(
            "cannot read the live HTTPRoute of sample-app (connect ECONNREFUSED 127.0.0.1:6443); a hand edit, if any, is overwritten without being named",
        );
    });
});
