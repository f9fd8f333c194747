/**
 * Request by request, with cookies: what the routes istiod sends a client proxy do to one session (pure: no I/O).
 * {@link SessionRouter} takes one request (`GET /` with the session's headers) through the service's virtual host as
 * Envoy would: the first route that matches it (sim/xds/plan.ts `routeMatches`: header exact/prefix/regex matches, the
 * `cookie` header included), one of its weighted clusters drawn by weight, the version whose endpoints that cluster
 * holds, and the response headers the route and the chosen cluster add (Istio puts a destination's `headers.response`
 * on the weighted cluster, a lone destination's on the route). {@link CookieJar} keeps what `Set-Cookie` says as a
 * browser does (name -> value until its Max-Age runs out, on a simulated clock) and sends it back as the `cookie`
 * header. Together they drive sticky canary sessions (issue 21) through istiod's real routes.
 *
 * Not modelled: cookie Path, Domain, Secure and SameSite (every request is `GET /` on the one host), Expires (only
 * Max-Age), response headers removed, retries, faults.
 */
import type { Resource } from "./client";
import { endpointVersions, findVirtualHost, routeMatches, serviceFqdn } from "./plan";
import type { ServiceRef } from "../routing";
import type { Rng } from "../rng";

/** A browser's cookies for one host: name -> value until expiry, on a clock the caller keeps (ms). */
export class CookieJar {
    private readonly cookies = new Map<string, { value: string; expiresAt: number }>();

    /** Applies one `Set-Cookie` header value received at `nowMs`: Max-Age <= 0 deletes the cookie. */
    store(setCookie: string, nowMs: number): void {
        const [pair = "", ...attrs] = setCookie.split(";").map((s) => s.trim());
        const eq = pair.indexOf("=");
        if (eq <= 0) return;
        const name = pair.slice(0, eq);
        const value = pair.slice(eq + 1);
        let expiresAt = Number.POSITIVE_INFINITY;
        for (const a of attrs) {
            const [k = "", v = ""] = a.split("=", 2);
            if (k.toLowerCase() === "max-age") {
                const s = Number(v);
                if (Number.isFinite(s)) expiresAt = nowMs + s * 1000;
            }
        }
        if (expiresAt <= nowMs) this.cookies.delete(name);
        else this.cookies.set(name, { value, expiresAt });
    }

    /** The `cookie` request header at `nowMs` (expired cookies dropped), or undefined when there is none. */
    header(nowMs: number): string | undefined {
        const live: string[] = [];
        for (const [name, c] of this.cookies) {
            if (c.expiresAt <= nowMs) this.cookies.delete(name);
            else live.push(`${name}=${c.value}`);
        }
        return live.length === 0 ? undefined : live.join("; ");
    }

    /** A cookie's value now, if any. */
    get(name: string, nowMs: number): string | undefined {
        const c = this.cookies.get(name);
        return c === undefined || c.expiresAt <= nowMs ? undefined : c.value;
    }
}

/** What one request got. */
export interface Served {
    /** The version that served it; undefined when none did (`outcome` says why). */
    version: string | undefined;
    /** version: served; noRoute: no route matched (404 NR); noCluster: a cluster istiod did not send (503 NC); noHealthy: no endpoints (503 UH); notForwarded: a redirect or direct response, or another host. */
    outcome: "version" | "noRoute" | "noCluster" | "noHealthy" | "notForwarded";
    /** The route's name. */
    route: string;
    /** The `Set-Cookie` values of the response. */
    setCookies: string[];
}

/** The header values a list of Envoy HeaderValueOptions adds under `name` (case-insensitive). */
function added(options: unknown, name: string): string[] {
    const out: string[] = [];
    for (const o of (options ?? []) as Resource[]) {
        const h = (o["header"] ?? {}) as Resource;
        if (String(h["key"] ?? "").toLowerCase() !== name) continue;
        const raw = h["rawValue"];
        out.push(typeof h["value"] === "string" ? h["value"] : typeof raw === "string" ? Buffer.from(raw, "base64").toString("utf8") : "");
    }
    return out;
}

/** The routes of one service's virtual host, as a client proxy holds them, taking one request at a time. */
export class SessionRouter {
    private readonly routes: Resource[];
    private readonly versions = new Map<string, string[]>();
    private readonly clusters: Set<string>;
    private readonly hosts: Set<string>;

    /**
     * A router without the service's virtual host answers every request `noRoute`. `hosts`: the hosts whose clusters
     * count as the service's (default the service's FQDN; the Gateway API mode splits by version Service, e.g.
     * `sample-app-v1.<ns>.svc.cluster.local`).
     */
    constructor(view: { service: ServiceRef; port: number; routeConfigs: readonly Resource[]; clusters: readonly Resource[]; endpoints: readonly Resource[]; hosts?: readonly string[] }) {
        const vh = findVirtualHost(view.routeConfigs, view.service, view.port);
        this.routes = (vh?.["routes"] ?? []) as Resource[];
        this.clusters = new Set(view.clusters.map((c) => String(c["name"])));
        for (const e of view.endpoints) this.versions.set(String(e["clusterName"]), endpointVersions(e));
        this.hosts = new Set(view.hosts ?? [serviceFqdn(view.service)]);
    }

    /** The number of routes in the service's virtual host (0: istiod sent none yet). */
    get size(): number {
        return this.routes.length;
    }

    /** One `GET /` with these request headers (names lower-case), drawing weighted clusters and endpoints with `rng`. */
    serve(headers: Record<string, string>, rng: Rng): Served {
        const route = this.routes.find((r) => routeMatches(r["match"] as Resource | undefined, headers));
        if (route === undefined) return { version: undefined, outcome: "noRoute", route: "", setCookies: [] };
        const name = String(route["name"] ?? "");
        const action = route["route"] as Resource | undefined;
        const setCookies = added(route["responseHeadersToAdd"], "set-cookie");
        let cluster: string | undefined;
        if (typeof action?.["cluster"] === "string") {
            cluster = action["cluster"];
        } else {
            const wc = ((action?.["weightedClusters"] as Resource | undefined)?.["clusters"] ?? []) as Resource[];
            const total = wc.reduce((s, c) => s + Number(c["weight"] ?? 0), 0);
            let draw = rng() * total;
            const chosen = wc.find((c) => (draw -= Number(c["weight"] ?? 0)) < 0) ?? wc[wc.length - 1];
            if (chosen !== undefined) {
                cluster = String(chosen["name"]);
                setCookies.push(...added(chosen["responseHeadersToAdd"], "set-cookie"));
            }
        }
        if (cluster === undefined || !this.hosts.has(cluster.split("|")[3] ?? "")) return { version: undefined, outcome: "notForwarded", route: name, setCookies };
        if (!this.clusters.has(cluster)) return { version: undefined, outcome: "noCluster", route: name, setCookies };
        const versions = this.versions.get(cluster) ?? [];
        if (versions.length === 0) return { version: undefined, outcome: "noHealthy", route: name, setCookies };
        return { version: versions[Math.min(versions.length - 1, Math.floor(rng() * versions.length))], outcome: "version", route: name, setCookies };
    }

    /** One request of a session: its cookies sent, the response's cookies kept. */
    request(jar: CookieJar, nowMs: number, rng: Rng): Served {
        const cookie = jar.header(nowMs);
        const served = this.serve(cookie === undefined ? {} : { cookie }, rng);
        for (const c of served.setCookies) jar.store(c, nowMs);
        return served;
    }
}

/** One simulated user: a cookie jar and the version of each request, by phase. */
export interface Session {
    id: number;
    jar: CookieJar;
    /** The phase it began in. */
    startPhase: number;
    /** The versions that served it, in order, with the phase of each request. */
    served: { phase: number; version: string }[];
}

/** What one phase of a rollout did to the sessions. */
export interface PhaseResult {
    phase: number;
    label: string;
    /** Sessions begun in this phase, and the version that served each one's first request. */
    started: number;
    startedOn: Record<string, number>;
    /** Sessions begun earlier whose version in this phase differs from their last one before it. */
    switchedAtStart: number;
    /** Sessions served by more than one version within this phase. */
    switchedWithin: number;
    requests: number;
    /** Requests no version served (no route, no cluster, no endpoints, not forwarded), by outcome. */
    notServed: Record<string, number>;
}

/**
 * A population of sessions driven through one set of routes per phase (a rollout's step, its promotion, a rollback).
 * Each phase, every session begun so far makes `requestsPerSession` requests and `newSessions` new ones begin, their
 * requests spread over the phase on a simulated clock (`phaseMs` per phase), in a shuffled order.
 */
export class SessionPopulation {
    readonly sessions: Session[] = [];
    readonly phases: PhaseResult[] = [];

    constructor(private readonly rng: Rng, private readonly phaseMs = 60_000) {}

    run(label: string, router: SessionRouter, o: { newSessions: number; requestsPerSession: number }): PhaseResult {
        const phase = this.phases.length;
        const t0 = phase * this.phaseMs;
        const before = new Map(this.sessions.map((s) => [s.id, s.served[s.served.length - 1]?.version]));
        for (let i = 0; i < o.newSessions; i++) this.sessions.push({ id: this.sessions.length, jar: new CookieJar(), startPhase: phase, served: [] });
        const order: Session[] = this.sessions.flatMap((s) => Array.from({ length: o.requestsPerSession }, () => s));
        for (let i = order.length - 1; i > 0; i--) {
            const j = Math.floor(this.rng() * (i + 1));
            [order[i], order[j]] = [order[j] as Session, order[i] as Session];
        }
        const result: PhaseResult = { phase, label, started: o.newSessions, startedOn: {}, switchedAtStart: 0, switchedWithin: 0, requests: order.length, notServed: {} };
        order.forEach((s, k) => {
            const served = router.request(s.jar, t0 + Math.floor((k / order.length) * this.phaseMs), this.rng);
            if (served.version === undefined) {
                result.notServed[served.outcome] = (result.notServed[served.outcome] ?? 0) + 1;
                return;
            }
            s.served.push({ phase, version: served.version });
        });
        for (const s of this.sessions) {
            const here = s.served.filter((x) => x.phase === phase).map((x) => x.version);
            const first = here[0];
            if (first === undefined) continue;
            if (s.startPhase === phase) result.startedOn[first] = (result.startedOn[first] ?? 0) + 1;
            const last = before.get(s.id);
            if (s.startPhase < phase && last !== undefined && last !== first) result.switchedAtStart++;
            if (new Set(here).size > 1) result.switchedWithin++;
        }
        this.phases.push(result);
        return result;
    }
}
