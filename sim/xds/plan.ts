/**
 * The traffic split from what istiod sends a client proxy (pure: no I/O). Given the RouteConfiguration,
 * clusters and endpoints an xDS client holds, each class of simulated request takes the first route of the
 * service's virtual host that matches it (Envoy evaluates routes in order), then the route's cluster or
 * weighted clusters; a cluster reaches the version whose endpoints it holds (istiod labels every endpoint
 * with its workload's canonical revision, the `version` label).
 *
 * A cluster of the service is one of its own host, or of a version Service of it, `<service>-<version>` in its
 * namespace (`routingApi: gateway-api` splits by Service: components/gatewayApiPlan.ts `versionServiceName`).
 *
 * Envoy's outcomes are kept: no matching route is 404 NR; a cluster istiod did not send is 503 NC; a cluster
 * without endpoints is 503 UH ("no healthy upstream"); a route that is not a forward (redirect, direct
 * response) or goes to another host is not ours to count. Faults on the route (delay, abort, with their
 * percentages) travel with the outcome, for the traffic model to apply.
 * Matched: path prefix/exact/regex (the synthetic request is GET /), header exact/prefix/regex/present,
 * inverted header matches. Not matched (a route with them never takes a synthetic request): query
 * parameters, runtime fractions, gRPC-only and TLS-context matches.
 */
import type { Resource } from "./client";
import { mergeOutcomes, type Outcome, type RequestClass, type RouteFault, type RoutingPlan, type ServiceRef } from "../routing";

export interface XdsView {
    service: ServiceRef;
    port: number;
    routeConfigs: readonly Resource[];
    clusters: readonly Resource[];
    endpoints: readonly Resource[];
    requestMix?: readonly RequestClass[];
}

const FAULT = "envoy.filters.http.fault";

/** `<svc>.<ns>.svc.cluster.local` */
export function serviceFqdn(s: ServiceRef): string {
    return `${s.name}.${s.namespace}.svc.cluster.local`;
}

/** The virtual host serving the service on `port` in a set of route configurations. */
export function findVirtualHost(routeConfigs: readonly Resource[], svc: ServiceRef, port: number): Resource | undefined {
    const fqdn = serviceFqdn(svc);
    const wanted = [`${fqdn}:${port}`, fqdn];
    for (const rc of routeConfigs) {
        for (const vh of (rc["virtualHosts"] ?? []) as Resource[]) {
            const domains = (vh["domains"] ?? []) as string[];
            if (wanted.some((w) => domains.includes(w))) return vh;
        }
    }
    return undefined;
}

function percent(p: Resource | undefined): number {
    if (p === undefined) return 1;
    const n = Number(p["numerator"] ?? 0);
    const den = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[String(p["denominator"] ?? "HUNDRED")] ?? 100;
    return n / den;
}

function protoDurationMs(d: unknown): number | undefined {
    if (typeof d !== "string" || !d.endsWith("s")) return undefined;
    return Math.round(Number(d.slice(0, -1)) * 1000);
}

/** The fault of a route (typed_per_filter_config of the fault filter), if any. */
export function routeFault(route: Resource): RouteFault | undefined {
    const f = ((route["typedPerFilterConfig"] ?? {}) as Record<string, Resource>)[FAULT];
    if (f === undefined) return undefined;
    const out: RouteFault = {};
    const delay = f["delay"] as Resource | undefined;
    if (delay !== undefined) {
        out.delayMs = protoDurationMs(delay["fixedDelay"]);
        out.delayShare = percent(delay["percentage"] as Resource | undefined);
    }
    const abort = f["abort"] as Resource | undefined;
    if (abort !== undefined) {
        out.abortCode = Number(abort["httpStatus"] ?? 0) || undefined;
        out.abortShare = percent(abort["percentage"] as Resource | undefined);
    }
    return out;
}

function stringMatches(m: Resource, value: string | undefined): boolean {
    if (value === undefined) return false;
    const ic = m["ignoreCase"] === true;
    const v = ic ? value.toLowerCase() : value;
    const norm = (s: unknown): string => (ic ? String(s).toLowerCase() : String(s));
    if (m["exact"] !== undefined) return v === norm(m["exact"]);
    if (m["prefix"] !== undefined) return v.startsWith(norm(m["prefix"]));
    if (m["suffix"] !== undefined) return v.endsWith(norm(m["suffix"]));
    if (m["contains"] !== undefined) return v.includes(norm(m["contains"]));
    const re = (m["safeRegex"] as Resource | undefined)?.["regex"];
    if (typeof re === "string") {
        return compiled(re, ic)?.test(value) ?? false;
    }
    return true;
}

/** Envoy's safe_regex as a whole-value JavaScript RegExp, compiled once per pattern; undefined when JavaScript cannot compile it. */
const regexCache = new Map<string, RegExp | undefined>();
function compiled(re: string, ignoreCase: boolean): RegExp | undefined {
    const key = `${ignoreCase ? "i" : "-"}${re}`;
    if (!regexCache.has(key)) {
        let r: RegExp | undefined;
        try {
            r = new RegExp(`^(?:${re})$`, ignoreCase ? "i" : "");
        } catch {
            r = undefined;
        }
        regexCache.set(key, r);
    }
    return regexCache.get(key);
}

/** Whether an Envoy HeaderMatcher accepts the request's headers. */
function headerMatches(h: Resource, headers: Record<string, string>): boolean {
    const value = headers[String(h["name"]).toLowerCase()];
    let ok: boolean;
    if (h["presentMatch"] !== undefined) ok = value !== undefined;
    else if (h["stringMatch"] !== undefined) ok = stringMatches(h["stringMatch"] as Resource, value);
    else if (h["exactMatch"] !== undefined) ok = value === h["exactMatch"];
    else if (h["prefixMatch"] !== undefined) ok = value !== undefined && value.startsWith(String(h["prefixMatch"]));
    else ok = value !== undefined;
    return h["invertMatch"] === true ? !ok : ok;
}

/** Whether an Envoy RouteMatch takes `GET /` with these headers. */
export function routeMatches(match: Resource | undefined, headers: Record<string, string>): boolean {
    if (match === undefined) return true;
    const path = "/";
    if (match["prefix"] !== undefined && !path.startsWith(String(match["prefix"]))) return false;
    if (match["path"] !== undefined && match["path"] !== path) return false;
    const re = (match["safeRegex"] as Resource | undefined)?.["regex"];
    if (typeof re === "string" && !stringMatches({ safeRegex: { regex: re } }, path)) return false;
    if (((match["queryParameters"] ?? []) as unknown[]).length > 0) return false;
    if (match["runtimeFraction"] !== undefined || match["grpc"] !== undefined || match["tlsContext"] !== undefined) return false;
    return ((match["headers"] ?? []) as Resource[]).every((h) => headerMatches(h, headers));
}

/** The clusters of a forwarding route with their shares 0..1; undefined when the route does not forward. */
export function routeClusters(route: Resource): { cluster: string; share: number }[] | undefined {
    const action = route["route"] as Resource | undefined;
    if (action === undefined) return undefined;
    if (typeof action["cluster"] === "string") return [{ cluster: action["cluster"], share: 1 }];
    const wc = ((action["weightedClusters"] as Resource | undefined)?.["clusters"] ?? []) as Resource[];
    const total = wc.reduce((s, c) => s + Number(c["weight"] ?? 0), 0);
    if (total === 0) return [];
    return wc.map((c) => ({ cluster: String(c["name"]), share: Number(c["weight"] ?? 0) / total }));
}

/** `outbound|PORT|SUBSET|HOST` -> its parts. */
export function parseClusterName(name: string): { direction: string; port: number; subset: string; host: string } | undefined {
    const parts = name.split("|");
    if (parts.length !== 4) return undefined;
    return { direction: parts[0] ?? "", port: Number(parts[1]), subset: parts[2] ?? "", host: parts[3] ?? "" };
}

/**
 * The versions a cluster's endpoints belong to: istiod puts `istio.workload` = "NAME;NAMESPACE;CANONICAL-NAME;
 * CANONICAL-REVISION;CLUSTER" on every endpoint, and the canonical revision is the workload's `version` label.
 */
export function endpointVersions(cla: Resource | undefined): string[] {
    const out = new Set<string>();
    for (const group of (cla?.["endpoints"] ?? []) as Resource[]) {
        for (const ep of (group["lbEndpoints"] ?? []) as Resource[]) {
            const md = ((ep["metadata"] as Resource | undefined)?.["filterMetadata"] ?? {}) as Record<string, Resource>;
            const workload = md["istio"]?.["workload"];
            const rev = typeof workload === "string" ? workload.split(";")[3] : undefined;
            if (rev !== undefined && rev !== "") out.add(rev);
        }
    }
    return [...out].sort();
}

/** Whether `host` is the service's own FQDN or one of its version Services' (`<service>-<version>.<ns>.svc.cluster.local`). */
export function servesService(host: string, s: ServiceRef): boolean {
    const suffix = `.${s.namespace}.svc.cluster.local`;
    if (host === serviceFqdn(s)) return true;
    if (!host.endsWith(suffix) || !host.startsWith(`${s.name}-`)) return false;
    const version = host.slice(s.name.length + 1, -suffix.length);
    return version !== "" && !version.includes(".");
}

/** The traffic split istiod's config produces for the service (see the file comment). */
export function planFromXds(view: XdsView): RoutingPlan {
    const vh = findVirtualHost(view.routeConfigs, view.service, view.port);
    if (vh === undefined) {
        return { outcomes: [{ kind: "unserved", share: 1 }], source: `xDS: no route for ${serviceFqdn(view.service)}:${view.port} yet` };
    }
    const clusters = new Set(view.clusters.map((c) => String(c["name"])));
    const cla = new Map(view.endpoints.map((e) => [String(e["clusterName"]), e]));
    const mix = view.requestMix ?? [];
    const plainShare = Math.max(0, 1 - mix.reduce((s, c) => s + c.share, 0));
    const classes = [...mix, { share: plainShare, headers: {} }].filter((c) => c.share > 0);
    const routes = (vh["routes"] ?? []) as Resource[];
    const outcomes: Outcome[] = [];
    for (const cls of classes) {
        const headers = Object.fromEntries(Object.entries(cls.headers).map(([k, v]) => [k.toLowerCase(), v]));
        const route = routes.find((r) => routeMatches(r["match"] as Resource | undefined, headers));
        if (route === undefined) {
            outcomes.push({ kind: "noRoute", share: cls.share });
            continue;
        }
        const targets = routeClusters(route);
        if (targets === undefined || targets.length === 0) {
            outcomes.push({ kind: "otherHost", host: `(${Object.keys(route).filter((k) => k !== "match" && k !== "name").join(",")})`, share: cls.share });
            continue;
        }
        const fault = routeFault(route);
        for (const t of targets) {
            const share = cls.share * t.share;
            const parsed = parseClusterName(t.cluster);
            if (parsed === undefined || !servesService(parsed.host, view.service)) {
                outcomes.push({ kind: "otherHost", host: parsed?.host ?? t.cluster, share });
            } else if (!clusters.has(t.cluster)) {
                outcomes.push({ kind: "noCluster", subset: parsed.subset, share });
            } else {
                const versions = endpointVersions(cla.get(t.cluster));
                if (versions.length === 0) {
                    outcomes.push({ kind: "noHealthy", cluster: t.cluster, share });
                } else {
                    // Endpoints of several versions share the cluster's part evenly (round robin over one endpoint each).
                    for (const v of versions) outcomes.push({ kind: "version", version: v, share: share / versions.length, ...(fault === undefined ? {} : { fault }) });
                }
            }
        }
    }
    return { outcomes: mergeFaulted(outcomes), source: `xDS routes from istiod (virtual host ${String(vh["name"])})` };
}

/** mergeOutcomes, keeping outcomes with a fault apart. */
function mergeFaulted(outcomes: Outcome[]): Outcome[] {
    const faulty = (o: Outcome): boolean => o.kind === "version" && o.fault !== undefined;
    return [...mergeOutcomes(outcomes.filter((o) => !faulty(o))), ...outcomes.filter(faulty)];
}
