/**
 * sim/xds/sessions.ts: sessions with cookie jars taken request by request through Envoy routes shaped as istiod sends
 * them for sticky canary sessions (hand-written here; what istiod really sends is read in
 * test/e2e/istiod/stickySessions.test.ts). Proves the evaluator itself: cookies kept and expired as a browser does,
 * the session routes holding sessions on their version across weight changes, a plain split making them flip, and a
 * rollback's routes moving every canary session back to stable.
 */
import { expect } from "chai";
import { mulberry32 } from "../../../sim/rng";
import { CookieJar, SessionPopulation, SessionRouter } from "../../../sim/xds/sessions";
import type { Resource } from "../../../sim/xds/client";

const NS = "shop";
const FQDN = `sample-app.${NS}.svc.cluster.local`;
const cluster = (subset: string): string => `outbound|8080|${subset}|${FQDN}`;
const COOKIE = "canary-sample-app";
const addCookie = (role: string, rev: string): Resource[] => [
    { header: { key: "Set-Cookie", value: `${COOKIE}=${role}_${rev}; Max-Age=3600; Path=/; HttpOnly` }, appendAction: "APPEND_IF_EXISTS_OR_ADD" },
];
const cookieMatch = (role: string, rev: string): Resource => ({
    prefix: "/",
    headers: [{ name: "cookie", stringMatch: { safeRegex: { regex: `^(.*?;\\s*)?${COOKIE}=${role}_${rev}(;.*)?$` } } }],
});

/** The virtual host's routes at canary weight `w`: sticky (istiod's shapes for our session routes) or a plain split. */
function routes(w: number, rev: string, sticky: boolean): Resource[] {
    const split: Resource = {
        name: "catch-all",
        match: { prefix: "/" },
        route: {
            weightedClusters: {
                clusters: [
                    { name: cluster("stable"), weight: 100 - w, ...(sticky ? { responseHeadersToAdd: addCookie("stable", rev) } : {}) },
                    { name: cluster("canary"), weight: w, ...(sticky ? { responseHeadersToAdd: addCookie("canary", rev) } : {}) },
                ].filter((c) => c.weight > 0),
            },
        },
    };
    if (!sticky) return [split];
    return [
        { name: "catch-all-canary-session", match: cookieMatch("canary", rev), route: { cluster: cluster("canary") }, responseHeadersToAdd: addCookie("canary", rev) },
        { name: "catch-all-stable-session", match: cookieMatch("stable", rev), route: { cluster: cluster("stable") }, responseHeadersToAdd: addCookie("stable", rev) },
        split,
    ];
}

function router(http: Resource[]): SessionRouter {
    const endpoint = (subset: string, version: string): Resource => ({
        clusterName: cluster(subset),
        endpoints: [{ lbEndpoints: [{ metadata: { filterMetadata: { istio: { workload: `sample-app-${version};${NS};sample-app;${version};Kubernetes` } } } }] }],
    });
    return new SessionRouter({
        service: { name: "sample-app", namespace: NS },
        port: 8080,
        routeConfigs: [{ name: "8080", virtualHosts: [{ name: `${FQDN}:8080`, domains: [`${FQDN}:8080`], routes: http }] }],
        clusters: [{ name: cluster("stable") }, { name: cluster("canary") }],
        endpoints: [endpoint("stable", "v1"), endpoint("canary", "v2")],
    });
}

/** Within `z` binomial standard deviations of n*p. */
const within = (k: number, n: number, p: number, z = 4.5): boolean => Math.abs(k - n * p) <= z * Math.sqrt(n * p * (1 - p));

describe("sim/xds/sessions: sessions with cookies through Envoy routes", () => {
    it("CookieJar: keeps the last value per name, sends them back, drops a cookie when its Max-Age runs out or is <= 0", () => {
        const jar = new CookieJar();
        jar.store("a=1; Max-Age=10; Path=/; HttpOnly", 0);
        jar.store("b=2", 0);
        expect(jar.header(5_000)).to.equal("a=1; b=2");
        jar.store("a=3; Max-Age=10", 5_000);
        expect(jar.header(14_000)).to.equal("a=3; b=2");
        expect(jar.header(15_000)).to.equal("b=2");
        jar.store("b=; Max-Age=0", 15_000);
        expect(jar.header(15_000)).to.equal(undefined);
    });

    it("sticky routes: across weights 10, 50, 100 no session changes version, and each step's new sessions go to the canary at its weight", () => {
        const pop = new SessionPopulation(mulberry32(21));
        for (const w of [10, 50, 100]) {
            const r = pop.run(`step ${w}%`, router(routes(w, "r1", true)), { newSessions: 1000, requestsPerSession: 3 });
            expect(r.switchedAtStart + r.switchedWithin, `switches at ${w}%`).to.equal(0);
            expect(r.notServed).to.deep.equal({});
            const canary = r.startedOn["v2"] ?? 0;
            expect(w === 100 ? canary === 1000 : within(canary, 1000, w / 100), `${canary} of 1000 new sessions on the canary at ${w}%`).to.equal(true);
        }
        // At 100 % the sessions begun at 10 % and 50 % on stable are still on stable.
        const onStable = pop.sessions.filter((s) => s.served[s.served.length - 1]?.version === "v1").length;
        expect(onStable).to.equal((pop.phases[0]?.startedOn["v1"] ?? 0) + (pop.phases[1]?.startedOn["v1"] ?? 0));
    });

    it("a rollback's routes (no session route, all to stable): every canary session moves to stable at once, then none moves", () => {
        const pop = new SessionPopulation(mulberry32(22));
        pop.run("step 25%", router(routes(25, "r1", true)), { newSessions: 800, requestsPerSession: 2 });
        const onCanary = pop.phases[0]?.startedOn["v2"] ?? 0;
        const r = pop.run("rollback", router(routes(0, "r1", false)), { newSessions: 0, requestsPerSession: 2 });
        expect(r.switchedAtStart).to.equal(onCanary);
        expect(r.switchedWithin).to.equal(0);
        expect(new Set(pop.sessions.map((s) => s.served[s.served.length - 1]?.version))).to.deep.equal(new Set(["v1"]));
    });

    it("a new release's routes never match the old release's cookie: the old cookie is replaced at the first request", () => {
        const pop = new SessionPopulation(mulberry32(23));
        pop.run("release r1 at 50%", router(routes(50, "r1", true)), { newSessions: 500, requestsPerSession: 1 });
        pop.run("release r2 at 50%", router(routes(50, "r2", true)), { newSessions: 0, requestsPerSession: 3 });
        expect(pop.phases[1]?.switchedWithin).to.equal(0);
        expect(new Set(pop.sessions.map((s) => (s.jar.get(COOKIE, 60_000 * 2) ?? "").split("_")[1]))).to.deep.equal(new Set(["r2"]));
    });

    it("the test can fail: a plain weighted split flips sessions between versions within a step", () => {
        const pop = new SessionPopulation(mulberry32(24));
        const r = pop.run("plain 50%", router(routes(50, "r1", false)), { newSessions: 1000, requestsPerSession: 4 });
        expect(r.switchedWithin).to.be.greaterThan(800); // 1 - 2 * 0.5^4 = 87.5 % of sessions see both
    });

    it("an idle session longer than Max-Age is drawn again (the cookie expired)", () => {
        const pop = new SessionPopulation(mulberry32(25), 2 * 3600_000);
        pop.run("step 50%", router(routes(50, "r1", true)), { newSessions: 1000, requestsPerSession: 1 });
        const r = pop.run("step 50%, two hours on", router(routes(50, "r1", true)), { newSessions: 0, requestsPerSession: 1 });
        expect(within(r.switchedAtStart, 1000, 0.5), `${r.switchedAtStart} of 1000 redrawn sessions changed version`).to.equal(true);
    });
});
