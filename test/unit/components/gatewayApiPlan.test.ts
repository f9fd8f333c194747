/**
 * The pure Gateway API plan (components/gatewayApiPlan.ts), table-tested: header matches of pins, the GEP-2257 and
 * path-prefix rules, the ingress backends, and the plan of a component user's args (extra subsets, explicit splits,
 * no port, a delegate). The stack-level objects and refusals are in test/unit/stacks/gatewayApi.test.ts.
 */
import { expect } from "chai";
import { DestinationRuleClaims } from "../../../components/destinationRuleClaims";
import type { Plain } from "../../../components/inputs";
import {
    checkGatewayPathPrefix,
    GATEWAY_API_DURATION,
    ingressBackends,
    pinHeaderMatch,
    planGatewayApiCanary,
    type GatewayApiCanaryArgs,
} from "../../../components/gatewayApiPlan";

const base = (over: Partial<Plain<GatewayApiCanaryArgs>> = {}): Plain<GatewayApiCanaryArgs> => ({
    namespace: "shop",
    service: "web",
    port: 80,
    stable: { version: "v1" },
    canary: { version: "v2", weight: 30 },
    claims: new DestinationRuleClaims(),
    ...over,
});

describe("Gateway API plan (components/gatewayApiPlan.ts)", () => {
    const pins: [string, Parameters<typeof pinHeaderMatch>[0], ReturnType<typeof pinHeaderMatch>][] = [
        ["exact", { header: "x-a", exact: "1" }, { type: "Exact", name: "x-a", value: "1" }],
        ["prefix: an RE2 regex on the whole value, metacharacters escaped", { header: "x-a", prefix: "a.b(" }, { type: "RegularExpression", name: "x-a", value: "a\\.b\\(.*" }],
        ["regex as given", { header: "x-a", regex: "^v[0-9]+$" }, { type: "RegularExpression", name: "x-a", value: "^v[0-9]+$" }],
        ["cookie: a regex on the cookie header, as the Istio mode", { cookie: "beta", value: "on" }, { type: "RegularExpression", name: "cookie", value: "^(.*?;\\s*)?beta=on(;.*)?$" }],
    ];
    for (const [what, pin, want] of pins) {
        it(`pin header match: ${what}`, () => expect(pinHeaderMatch(pin)).to.deep.equal(want));
    }

    it("GEP-2257 durations: integer parts of h, m, s, ms, at most four", () => {
        for (const ok of ["10s", "1500ms", "1h30m", "1h2m3s4ms", "0s"]) expect(GATEWAY_API_DURATION.test(ok), ok).to.equal(true);
        for (const bad of ["1.5s", "500us", "1d", "10", "1h2m3s4ms5ms", "123456s"]) expect(GATEWAY_API_DURATION.test(bad), bad).to.equal(false);
    });

    it("path prefixes: the CRD's rules", () => {
        for (const ok of ["/", "/api", "/api/v2/", "/a-b_c.d~e", "/%20x"]) expect(checkGatewayPathPrefix("p", ok), ok).to.deep.equal([]);
        for (const bad of ["api", "//", "/a//b", "/a/./b", "/a/../b", "/a/..", "/a/.", "/a%2fb", "/a%2Fb", "/a#b", "/a b", "/a?b"]) {
            expect(checkGatewayPathPrefix("p", bad), bad).to.have.length(1);
        }
    });

    it("ingress backends: the version Services with the catch-all's weights, 0 left out", () => {
        expect(ingressBackends("web", 80, { stable: "v1", canary: "v2" }, { stable: 70, canary: 30 })).to.deep.equal([
            { name: "web-v1", port: 80, weight: 70 },
            { name: "web-v2", port: 80, weight: 30 },
        ]);
        expect(ingressBackends("web", 80, { stable: "v1", canary: "v2" }, { stable: 100, canary: 0 })).to.deep.equal([{ name: "web-v1", port: 80, weight: 100 }]);
        expect(ingressBackends("web", 80, { stable: "v1" }, { stable: 100, canary: 0 })).to.deep.equal([{ name: "web-v1", port: 80, weight: 100 }]);
    });

    it("a component user's extra subset gets a Service of its own; an explicit split and a subset route reach it", () => {
        const plan = planGatewayApiCanary("web", base({ extraSubsets: [{ name: "legacy", version: "v0" }], uriRoutes: [{ prefix: "/old", subset: "legacy" }, { prefix: "/mix", weights: { legacy: 50, canary: 50 } }] }));
        expect(plan.problems).to.deep.equal([]);
        expect(plan.versionServices.map((v) => [v.subset, v.name, v.port, v.targetPort])).to.deep.equal([
            ["stable", "web-v1", 80, 80],
            ["canary", "web-v2", 80, 80],
            ["legacy", "web-v0", 80, 80],
        ]);
        expect(plan.httpRoute?.rules.map((r) => [r.name, r.backendRefs])).to.deep.equal([
            ["uri-0", [{ name: "web-v0", port: 80, weight: 100 }]],
            ["uri-1", [{ name: "web-v0", port: 80, weight: 50 }, { name: "web-v2", port: 80, weight: 50 }]],
            ["catch-all", [{ name: "web-v1", port: 80, weight: 70 }, { name: "web-v2", port: 80, weight: 30 }]],
        ]);
    });

    it("an unrouted canary's share of an explicit split goes to stable, merged into one backend", () => {
        const plan = planGatewayApiCanary("web", base({ canary: { version: "v2", routed: false }, uriRoutes: [{ prefix: "/mix", weights: { stable: 40, canary: 60 } }] }));
        expect(plan.httpRoute?.rules[0]?.backendRefs).to.deep.equal([{ name: "web-v1", port: 80, weight: 100 }]);
    });

    it("refused for a component user too: no port, a delegate; nothing planned", () => {
        const plan = planGatewayApiCanary("web", base({ port: undefined, delegate: { name: "web-delegate" } }));
        expect(plan.problems.map((p) => p.propertyPath)).to.deep.equal(["delegate", "port"]);
        expect(plan.problems[1]?.reason).to.equal("port is missing; a Gateway API backendRef to a Service needs its port (routingApi gateway-api): set port");
        expect(plan.httpRoute?.rules).to.deep.equal([]);
    });

    it("a version's DestinationRule is claimed: another component's DestinationRule of that host is refused", () => {
        const claims = new DestinationRuleClaims();
        claims.claim("web-v2", "shop", 'CircuitBreaker "other"', "host");
        const plan = planGatewayApiCanary("web", base({ claims, canary: { version: "v2", weight: 30, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } } } }));
        expect(plan.problems.map((p) => p.reason)).to.deep.equal([
            'service is "web-v2", whose DestinationRule in namespace "shop" is already claimed by CircuitBreaker "other"; mesh-traffic:index:GatewayApiCanary "web" cannot emit a second one (Istio does not merge them reliably): pass the circuit breaker as the Canary\'s trafficPolicy instead',
        ]);
    });
});
