/**
 * Sticky canary sessions (issue 21) through istiod's real routes during real releases: 10,000 simulated sessions,
 * each with a cookie jar, taken request by request (sim/xds/sessions.ts) through the routes istiod sends a sidecar of
 * the namespace (our xDS client) after every update of two rollouts run by the release library (runCanary: the
 * Pulumi stack driver, the real engine and CLI, config written as mesh-release writes it):
 *   release A: v2 at 10 %, 50 %, 100 %, then promoted (two updates);
 *   release B: v3 at 10 %, then 50 %, where its analysis fails: rolled back.
 * At each step new sessions begin and every session begun so far makes more requests. What must hold:
 * - no session changes version between two requests of one rollout (mid-rollout), at any step;
 * - each step's new sessions reach the canary at the step's weight: within 4.5 binomial standard deviations
 *   (a false failure about 7 in a million per check), all of them at 100 %;
 * - at the promotion every session is on the new stable; at the rollback every session of the rolled-back canary
 *   moves to stable, and nobody is on it afterwards (its release's routes are gone, its cookie matches nothing);
 * - a session begun before release B (on v2, with release A's cookie, which B's routes never match) is drawn at B's
 *   first request like a new one: the start of a rollout, not mid-rollout; counted and reported apart.
 * Standing in: the metrics (a fake provider: v2 healthy, v3 failing at 50 %; the analysis is not what this tests), the
 * pods (WorkloadEntries), the proxies (our xDS client; the request evaluation is sim/xds/sessions.ts, with Envoy's
 * first-match route order, header regex matches and per-cluster response headers).
 */
import { expect } from "chai";
import { valueAt } from "../../../contract/paths";
import { MetricsError, type MetricsProvider } from "../../../release/metrics/provider";
import type { ReleaseEvent } from "../../../release/core/events";
import { runCanary, type RoutingStep } from "../../../release/rollout";
import { mulberry32 } from "../../../sim/rng";
import { sidecarNode, TYPE, XdsClient, type Resource } from "../../../sim/xds/client";
import { endpointVersions, findVirtualHost } from "../../../sim/xds/plan";
import { SessionPopulation, SessionRouter, type PhaseResult } from "../../../sim/xds/sessions";
import { connectCluster } from "../../support/cluster";
import { ensureIstiod, IstiodDebug, startEndpointStandIn, type EndpointStandIn } from "../../support/istiod";
import { projectStack, type ProjectStack } from "../../support/pulumiProject";
import { pulumiEnv, releaseDeps, SERVICE } from "../release/harness";
import { withinBinomial } from "./proxyless";

const MAX_AGE_S = 3600;
/** New sessions per phase, 10,000 in all. */
const NEW = { a10: 2000, a50: 2000, a100: 1000, promoted: 1000, b10: 2000, b50: 1500, rolledBack: 500 };
const REQUESTS_PER_PHASE = 2;

/** A fake Prometheus: every version healthy with plenty of traffic, except `failing` (success rate 50 %). */
function fakeMetrics(failing: () => string | undefined): MetricsProvider {
    return {
        description: "fake metrics (sticky sessions e2e)",
        instant: (query) => {
            const version = /destination_version="([^"]+)"/.exec(query)?.[1] ?? "";
            if (query.startsWith("histogram_quantile")) return Promise.resolve(50);
            if (query.startsWith("100 * ")) return Promise.resolve(version === failing() ? 50 : 100);
            if (query.startsWith("sum(increase(")) return Promise.resolve(1000);
            return Promise.reject(new MetricsError("query", `unexpected query ${query}`));
        },
        series: () => Promise.resolve([]),
    };
}

/** A stack of the dev config (edited) brought up with its stand-in endpoints, and a sidecar's xDS client of its namespace. */
interface SessionStack {
    project: ProjectStack;
    ns: string;
    standIn: EndpointStandIn;
    sidecar: XdsClient;
    debug: IstiodDebug;
}

async function sessionStack(edit: (c: Record<string, unknown>) => void, pod: { name: string; ip: string }): Promise<SessionStack> {
    const istiod = await ensureIstiod();
    const project = await projectStack({ envVars: pulumiEnv(), edit });
    const ns = project.namespace;
    const standIn = await startEndpointStandIn(connectCluster().kubeConfig, ns);
    await project.stack.up({ onOutput: project.log });
    await standIn.sync();
    const sidecar = new XdsClient({ address: istiod.xdsAddress, node: sidecarNode({ namespace: ns, podName: pod.name, ip: pod.ip, labels: { app: "client" } }) });
    return { project, ns, standIn, sidecar, debug: new IstiodDebug(istiod) };
}

/** Closes, stops and destroys what {@link sessionStack} made (whatever of it exists), and says how long the suite took. */
async function disposeSessionStack(env: SessionStack | undefined, what: string, started: number): Promise<void> {
    env?.sidecar.close();
    await env?.standIn.stop();
    await env?.project.dispose();
    console.log(`    ${what}: ${Math.round((Date.now() - started) / 1000)} s in all (namespace ${env?.ns ?? "none"})`);
}

describe("sticky canary sessions: 10,000 sessions through istiod's routes during a promoted and a rolled-back release (issue 21)", function () {
    this.timeout(600_000);
    let started = 0;
    let project: ProjectStack | undefined;
    let standIn: EndpointStandIn | undefined;
    let sidecar: XdsClient | undefined;
    let debug: IstiodDebug;
    let ns = "";
    const pop = new SessionPopulation(mulberry32(2121), 60_000);
    const events: ReleaseEvent[] = [];
    /** Phase label -> its result, and the phases' kinds. */
    const results = new Map<string, PhaseResult>();
    let failing: string | undefined;

    let env: SessionStack | undefined;

    before(async function () {
        this.timeout(1_900_000); // on a cold machine this waits for the background pilot-discovery build
        started = Date.now();
        env = await sessionStack(
            (c) => {
                const svc = (c["services"] as Record<string, Record<string, unknown>>)[SERVICE] as Record<string, unknown>;
                svc["canary"] = { weight: 0, routed: true, sessionAffinity: { maxAge: `${MAX_AGE_S}s` } };
                const release = c["release"] as Record<string, unknown>;
                release["steps"] = [10, 50, 100];
                release["interval"] = "1s";
            },
            { name: "sessions-e2e", ip: "10.254.5.1" },
        );
        ({ project, ns, standIn, sidecar, debug } = env);
    });

    after(async function () {
        this.timeout(300_000);
        await disposeSessionStack(env, "sticky sessions e2e", started);
    });

    /**
     * The routes of the service once istiod serves `ready` (a predicate over the virtual host's routes and the
     * versions of the subset clusters), as a {@link SessionRouter}; waits until the proxies ACKed them.
     */
    async function routesWhen(what: string, ready: (routes: Resource[], versionOf: (subset: string) => string[]) => boolean): Promise<SessionRouter> {
        await standIn?.sync();
        const client = sidecar as XdsClient;
        const view = await client.waitFor(what, (c) => {
            const routeConfigs = c.resources(TYPE.route);
            const vh = findVirtualHost(routeConfigs, { name: SERVICE, namespace: ns }, 8080);
            const endpoints = c.resources(TYPE.endpoint);
            const versionOf = (subset: string): string[] =>
                endpointVersions(endpoints.find((x) => x["clusterName"] === `outbound|8080|${subset}|${SERVICE}.${ns}.svc.cluster.local`));
            return vh !== undefined && ready((vh["routes"] ?? []) as Resource[], versionOf) ? { routeConfigs, clusters: c.resources(TYPE.cluster), endpoints } : undefined;
        }, 60_000);
        await debug.waitSynced(ns, [], 30_000, 20);
        return new SessionRouter({ service: { name: SERVICE, namespace: ns }, port: 8080, ...view });
    }

    /** The canary's weight in the catch-all (100 when it is the lone cluster, 0 when absent). */
    function catchAllCanary(routes: Resource[]): number | undefined {
        const action = routes.find((r) => r["name"] === "catch-all")?.["route"] as Resource | undefined;
        if (action === undefined) return undefined;
        if (typeof action["cluster"] === "string") return action["cluster"].split("|")[2] === "canary" ? 100 : 0;
        const wc = ((action["weightedClusters"] as Resource | undefined)?.["clusters"] ?? []) as Resource[];
        const total = wc.reduce((s, c) => s + Number(c["weight"]), 0);
        return Math.round((100 * wc.filter((c) => String(c["name"]).split("|")[2] === "canary").reduce((s, c) => s + Number(c["weight"]), 0)) / total);
    }
    const sessionRoutes = (routes: Resource[]): string[] => routes.map((r) => String(r["name"])).filter((n) => n.endsWith("-session"));

    function phase(label: string, router: SessionRouter, newSessions: number): PhaseResult {
        const r = pop.run(label, router, { newSessions, requestsPerSession: REQUESTS_PER_PHASE });
        results.set(label, r);
        console.log(`    [issue note] ${label}: ${r.started} new sessions (${JSON.stringify(r.startedOn)}), ${r.requests} requests, ` +
            `${r.switchedAtStart} switched at the phase's start, ${r.switchedWithin} within it, not served ${JSON.stringify(r.notServed)}`);
        return r;
    }

    /** The awaitRouting gate of a release of `version`: the step's routes in effect, then a phase of sessions through them. */
    const stepGate = (release: string, version: string, newSessions: (w: number) => number) => async (step: RoutingStep): Promise<void> => {
        const router = await routesWhen(`${version} at ${step.weight}% with session routes`, (routes, versionOf) =>
            catchAllCanary(routes) === step.weight && sessionRoutes(routes).length === 2 && versionOf("canary").includes(version));
        phase(`${release} ${version} ${step.weight}%`, router, newSessions(step.weight));
        failing = version === "v3" && step.weight >= 50 ? "v3" : undefined;
    };

    it("release A: v2 at 10, 50, 100 %: no session changes version; new sessions on the canary at each weight; promoted: all on v2", async () => {
        const ref = { stackName: (project as ProjectStack).stackName, workDir: (project as ProjectStack).workDir };
        const deps = releaseDeps(ref, (e) => events.push(e), {
            metrics: () => fakeMetrics(() => failing),
            live: undefined,
            awaitRouting: stepGate("A", "v2", (w) => (w === 10 ? NEW.a10 : w === 50 ? NEW.a50 : NEW.a100)),
        });
        const res = await runCanary({ service: SERVICE, version: "v2" }, deps);
        expect(res.outcome, res.message).to.equal("promoted");
        for (const [label, n, w] of [["A v2 10%", NEW.a10, 10], ["A v2 50%", NEW.a50, 50], ["A v2 100%", NEW.a100, 100]] as const) {
            const r = results.get(label) as PhaseResult;
            expect(r.switchedAtStart + r.switchedWithin, `${label}: sessions that changed version`).to.equal(0);
            expect(r.notServed, label).to.deep.equal({});
            const canary = r.startedOn["v2"] ?? 0;
            expect(w === 100 ? canary === n : withinBinomial(canary, n, w / 100), `${label}: ${canary} of ${n} new sessions on v2`).to.equal(true);
        }
        const router = await routesWhen("v2 promoted: stable is v2, no session route", (routes, versionOf) =>
            sessionRoutes(routes).length === 0 && catchAllCanary(routes) === 0 && versionOf("stable").join() === "v2");
        const onV1 = pop.sessions.filter((s) => s.served[s.served.length - 1]?.version === "v1").length;
        const promoted = phase("A promoted", router, NEW.promoted);
        expect(promoted.switchedAtStart, "at the promotion, the sessions on v1 move to v2").to.equal(onV1);
        expect(promoted.switchedWithin).to.equal(0);
        expect(new Set(pop.sessions.map((s) => s.served[s.served.length - 1]?.version))).to.deep.equal(new Set(["v2"]));
        expect(valueAt(await readConfig(), ["services", SERVICE, "canary", "revision"]), "the promotion removed the release's revision").to.equal(undefined);
    });

    it("release B: v3 at 10 %, then failing at 50 %: no session changes version mid-rollout; rolled back: nobody left on v3", async () => {
        const ref = { stackName: (project as ProjectStack).stackName, workDir: (project as ProjectStack).workDir };
        const deps = releaseDeps(ref, (e) => events.push(e), {
            metrics: () => fakeMetrics(() => failing),
            live: undefined,
            awaitRouting: stepGate("B", "v3", (w) => (w === 10 ? NEW.b10 : NEW.b50)),
        });
        const before = pop.sessions.length;
        const res = await runCanary({ service: SERVICE, version: "v3" }, deps);
        expect(res.outcome, res.message).to.equal("rolled-back");
        const b10 = results.get("B v3 10%") as PhaseResult;
        const b50 = results.get("B v3 50%") as PhaseResult;
        expect(b10.switchedWithin + b50.switchedAtStart + b50.switchedWithin, "sessions that changed version mid-rollout").to.equal(0);
        // Sessions begun before B (release A's cookie: B's routes never match it) are drawn at B's first request.
        expect(withinBinomial(b10.switchedAtStart, before, 0.1), `${b10.switchedAtStart} of ${before} earlier sessions drawn to v3 at B's start`).to.equal(true);
        expect(withinBinomial(b10.startedOn["v3"] ?? 0, NEW.b10, 0.1), "B 10%: new sessions on v3").to.equal(true);
        expect(withinBinomial(b50.startedOn["v3"] ?? 0, NEW.b50, 0.5), "B 50%: new sessions on v3").to.equal(true);
        const onV3 = pop.sessions.filter((s) => s.served[s.served.length - 1]?.version === "v3").length;
        const router = await routesWhen("v3 rolled back: no session route, all to stable v2", (routes, versionOf) =>
            sessionRoutes(routes).length === 0 && catchAllCanary(routes) === 0 && versionOf("stable").join() === "v2");
        const back = phase("B rolled back", router, NEW.rolledBack);
        expect(back.switchedAtStart, "at the rollback, the sessions on v3 move to stable").to.equal(onV3);
        expect(back.switchedWithin).to.equal(0);
        expect(new Set(pop.sessions.map((s) => s.served[s.served.length - 1]?.version)), "nobody is pinned to the rolled-back v3").to.deep.equal(new Set(["v2"]));
        expect(pop.sessions.length).to.equal(10_000);
        const requests = pop.phases.reduce((s, p) => s + p.requests, 0);
        console.log(`    [issue note] sticky sessions: ${pop.sessions.length} sessions, ${requests} requests through istiod's routes in ${pop.phases.length} phases`);
    });

    async function readConfig(): Promise<Record<string, unknown>> {
        const all = await (project as ProjectStack).stack.getAllConfig();
        const raw = all[`mesh-traffic:services`]?.value ?? "{}";
        return { services: JSON.parse(raw) as unknown };
    }
});


describe("sticky canary sessions with the Gateway API: istiod's routes from the HTTPRoute's cookie rules and backendRef filters (issue 21)", function () {
    this.timeout(600_000);
    let started = 0;
    let sidecar: XdsClient | undefined;
    let ns = "";
    let env: SessionStack | undefined;

    before(async function () {
        this.timeout(1_900_000);
        started = Date.now();
        env = await sessionStack(
            (c) => {
                c["routingApi"] = "gateway-api";
                delete c["egress"];
                (c["ingress"] as Record<string, unknown>)["enabled"] = false;
                const svc = (c["services"] as Record<string, Record<string, unknown>>)[SERVICE] as Record<string, unknown>;
                delete svc["retries"];
                svc["canary"] = { version: "v2", weight: 25, sessionAffinity: { maxAge: `${MAX_AGE_S}s` }, revision: "rgw1" };
            },
            { name: "sessions-gwapi-e2e", ip: "10.254.5.2" },
        );
        ({ ns, sidecar } = env);
    });

    after(async function () {
        this.timeout(300_000);
        await disposeSessionStack(env, "sticky sessions gateway-api e2e", started);
    });

    it("the cookie rules come before the split, the version clusters add Set-Cookie; 3,000 sessions at 25 %: none changes version, new ones on v2 at 25 %", async () => {
        const host = (v: string): string => `${SERVICE}-${v}.${ns}.svc.cluster.local`;
        const client = sidecar as XdsClient;
        const view = await client.waitFor("the HTTPRoute's session routes and both version endpoints", (c) => {
            const routeConfigs = c.resources(TYPE.route);
            const vh = findVirtualHost(routeConfigs, { name: SERVICE, namespace: ns }, 8080);
            const routes = (vh?.["routes"] ?? []) as Resource[];
            const endpoints = c.resources(TYPE.endpoint);
            const has = (v: string): boolean => endpointVersions(endpoints.find((e) => e["clusterName"] === `outbound|8080||${host(v)}`)).includes(v);
            const cookieRoutes = routes.filter((r) => JSON.stringify(r["match"] ?? {}).includes("canary-sample-app="));
            return cookieRoutes.length === 2 && has("v1") && has("v2") ? { routeConfigs, routes, clusters: c.resources(TYPE.cluster), endpoints } : undefined;
        }, 60_000);
        // Istio orders the rules by specificity: the two cookie rules (path "/" and a header) before the split ("/" alone).
        const split = view.routes.findIndex((r) => (r["route"] as Resource | undefined)?.["weightedClusters"] !== undefined);
        const cookieAt = view.routes.map((r, i) => (JSON.stringify(r["match"] ?? {}).includes("canary-sample-app=") ? i : -1)).filter((i) => i >= 0);
        expect(cookieAt.every((i) => i < split), `cookie routes at ${JSON.stringify(cookieAt)}, split at ${split}`).to.equal(true);
        const added = JSON.stringify((view.routes[split]?.["route"] as Resource)["weightedClusters"]);
        expect(added).to.include(`canary-sample-app=canary_rgw1; Max-Age=${MAX_AGE_S}; Path=/; HttpOnly`);
        expect(added).to.include(`canary-sample-app=stable_rgw1; Max-Age=${MAX_AGE_S}; Path=/; HttpOnly`);
        const router = new SessionRouter({ service: { name: SERVICE, namespace: ns }, port: 8080, ...view, hosts: [host("v1"), host("v2")] });
        const pop = new SessionPopulation(mulberry32(2122), 60_000);
        const first = pop.run("gateway-api 25%", router, { newSessions: 3000, requestsPerSession: 3 });
        const again = pop.run("gateway-api 25%, later", router, { newSessions: 0, requestsPerSession: 3 });
        console.log(`    [issue note] gateway-api 25%: ${JSON.stringify(first.startedOn)} new sessions, switches ${first.switchedWithin} within, ${again.switchedAtStart + again.switchedWithin} later; not served ${JSON.stringify(first.notServed)}`);
        expect(first.notServed).to.deep.equal({});
        expect(first.switchedWithin + again.switchedAtStart + again.switchedWithin, "sessions that changed version").to.equal(0);
        expect(withinBinomial(first.startedOn["v2"] ?? 0, 3000, 0.25), `${first.startedOn["v2"]} of 3000 new sessions on v2`).to.equal(true);
    });
});
