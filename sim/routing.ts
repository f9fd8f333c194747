/**
 * Pure routing arithmetic of the traffic simulator: which share of the simulated requests reaches
 * which version, given the VirtualService and DestinationRule live in the API server (or fixed
 * weights given by a test).
 *
 * What is modelled, following Istio's semantics (networking.istio.io/v1):
 * - The first `http` route whose `match` list is empty, or has one entry that the request
 *   satisfies, takes the request (routes are evaluated in order, like Envoy's route table).
 * - A request is synthetic: `GET /` over plain HTTP with no headers, unless the caller gives a
 *   request mix (`{ share, headers }` classes, e.g. 10 % carrying `x-canary: true`) to approximate
 *   header or cookie A/B routes. Query parameters and the authority are never set.
 * - Weights are relative: a destination gets weight / (sum of weights). One destination with no
 *   weight gets everything; with several, an absent weight is 0 (Istio's field description).
 * - A subset maps to a version through the DestinationRule's subset `labels.version`. A route to a
 *   subset the DestinationRule does not define is Envoy's "cluster not found": 503 with
 *   response flag NC. No matching route is Envoy's 404 with flag NR.
 * - A route with no subset (or no VirtualService at all) reaches the Kubernetes Service, whose
 *   endpoints are every deployed version; the simulator sends it to `defaultVersion` instead (it
 *   does not read Deployments or Endpoints).
 * - A route that delegates (`delegate: {name, namespace}`, one level, as Istio allows) is replaced by the
 *   delegate VirtualService's routes, each matching only where the root's match and its own both hold
 *   (pairwise merge of the match conditions); a missing delegate leaves no route (404).
 * Not modelled: redirects, direct responses, rewrites, retries, mirrors, fault injection, TCP/TLS
 * routes, `exportTo`, and Sidecar scoping.
 */

/** Istio StringMatch: exactly one of the fields; `{}` means "present" for headers. */
export interface StringMatch {
    exact?: string;
    prefix?: string;
    regex?: string;
}

/** The parts of Istio's HTTPMatchRequest the simulator evaluates. */
export interface HttpMatchRequest {
    uri?: StringMatch;
    scheme?: StringMatch;
    method?: StringMatch;
    authority?: StringMatch;
    headers?: Record<string, StringMatch>;
    withoutHeaders?: Record<string, StringMatch>;
    queryParams?: Record<string, StringMatch>;
    sourceLabels?: Record<string, string>;
    sourceNamespace?: string;
    gateways?: string[];
    ignoreUriCase?: boolean;
    port?: number;
}

export interface HttpRouteDestination {
    destination: { host: string; subset?: string };
    /** Relative weight; absent is 100 for a single destination, else 0. */
    weight?: number;
}

export interface HttpRoute {
    name?: string;
    match?: HttpMatchRequest[];
    route?: HttpRouteDestination[];
    /** The delegate VirtualService that holds this route's routes (Istio delegation). */
    delegate?: { name: string; namespace?: string };
}

/** Root match AND delegate match, as Istio merges them: every pair, fields of both (the delegate's on a clash). */
export function mergeMatches(root: readonly HttpMatchRequest[] | undefined, own: readonly HttpMatchRequest[] | undefined): HttpMatchRequest[] | undefined {
    if (root === undefined || root.length === 0) {
        return own === undefined ? undefined : [...own];
    }
    if (own === undefined || own.length === 0) {
        return [...root];
    }
    return root.flatMap((r) => own.map((o) => ({ ...r, ...o, headers: { ...r.headers, ...o.headers } })));
}

/**
 * The routes of `vs` with every delegating route replaced by its delegate's routes (one level), and the
 * namespace each route was written in.
 */
export function expandDelegates(
    vs: MeshObject<VirtualServiceSpec>,
    all: readonly MeshObject<VirtualServiceSpec>[],
    fallbackNamespace: string,
): { route: HttpRoute; namespace: string }[] {
    const ns = vs.metadata?.namespace ?? fallbackNamespace;
    return (vs.spec?.http ?? []).flatMap((r) => {
        if (r.delegate === undefined) {
            return [{ route: r, namespace: ns }];
        }
        const dns = r.delegate.namespace ?? ns;
        const target = all.find((d) => d.metadata?.name === r.delegate?.name && (d.metadata?.namespace ?? fallbackNamespace) === dns);
        return (target?.spec?.http ?? [])
            .filter((d) => d.delegate === undefined)
            .map((d) => {
                const match = mergeMatches(r.match, d.match);
                return { route: { ...d, ...(match !== undefined ? { match } : {}) }, namespace: dns };
            });
    });
}

export interface VirtualServiceSpec {
    hosts?: string[];
    gateways?: string[];
    http?: HttpRoute[];
}

export interface DestinationRuleSpec {
    host?: string;
    subsets?: { name: string; labels?: Record<string, string> }[];
}

/** A Kubernetes object as the simulator reads it: namespace and spec are all it needs. */
export interface MeshObject<Spec> {
    metadata?: { name?: string; namespace?: string };
    spec?: Spec;
}

/** The synthetic request a class of simulated traffic sends. */
export interface SyntheticRequest {
    /** Path; default "/". */
    uri: string;
    /** Default "GET". */
    method: string;
    /** Default "http". */
    scheme: string;
    /** Lower-case header names. */
    headers: Record<string, string>;
    /** Labels of the calling workload. */
    sourceLabels: Record<string, string>;
    sourceNamespace: string;
}

/** One class of requests: `share` (0..1) of the traffic sends these headers. */
export interface RequestClass {
    share: number;
    headers: Record<string, string>;
}

/** A fault injected on a route (Envoy's HTTP fault filter), shares 0..1. */
export interface RouteFault {
    delayMs?: number;
    delayShare?: number;
    abortCode?: number;
    abortShare?: number;
}

/** Where a share of the requests ends up. */
export type Outcome =
    | { kind: "version"; version: string; share: number; fault?: RouteFault }
    /** No route matched: Envoy answers 404 with response flag NR. */
    | { kind: "noRoute"; share: number }
    /** The route names a subset the DestinationRule lacks: 503 with flag NC. */
    | { kind: "noCluster"; subset: string; share: number }
    /** The cluster exists but has no endpoints: Envoy answers 503 with flag UH. */
    | { kind: "noHealthy"; cluster: string; share: number }
    /** The route sends the request to another service; it is not ours to count. */
    | { kind: "otherHost"; host: string; share: number }
    /** Neither a route nor a default version: nothing serves the request. */
    | { kind: "unserved"; share: number };

/** The traffic split in force: outcomes whose shares add up to 1. */
export interface RoutingPlan {
    outcomes: Outcome[];
    /** How the plan was derived, for /stats and debugging. */
    source: string;
}

/** The service whose traffic is simulated. */
export interface ServiceRef {
    /** Kubernetes Service name, e.g. "sample-app". */
    name: string;
    namespace: string;
}

/** Names by which a VirtualService or DestinationRule in `objectNamespace` can refer to `svc`. */
export function hostMatches(host: string, svc: ServiceRef, objectNamespace: string): boolean {
    const fqdn = `${svc.name}.${svc.namespace}.svc.cluster.local`;
    if (host === fqdn || host === `${svc.name}.${svc.namespace}` || host === `${svc.name}.${svc.namespace}.svc`) {
        return true;
    }
    if (host === svc.name) {
        // A short name is resolved in the namespace of the object that holds it.
        return objectNamespace === svc.namespace;
    }
    if (host === "*") {
        return true;
    }
    if (host.startsWith("*.")) {
        return fqdn.endsWith(host.slice(1));
    }
    return false;
}

/** Envoy's StringMatch semantics; a regex must match the whole value (RE2 full match). */
export function stringMatches(m: StringMatch, value: string | undefined, ignoreCase = false): boolean {
    if (value === undefined) {
        return false;
    }
    const v = ignoreCase ? value.toLowerCase() : value;
    if (m.exact !== undefined) {
        return v === (ignoreCase ? m.exact.toLowerCase() : m.exact);
    }
    if (m.prefix !== undefined) {
        return v.startsWith(ignoreCase ? m.prefix.toLowerCase() : m.prefix);
    }
    if (m.regex !== undefined) {
        try {
            return new RegExp(`^(?:${m.regex})$`, ignoreCase ? "i" : "").test(value);
        } catch {
            // A regex JavaScript cannot compile (RE2-only syntax) never matches, as Envoy would
            // reject the route; the simulator does not model config rejection.
            return false;
        }
    }
    // `{}`: presence only.
    return true;
}

/** Whether one HTTPMatchRequest entry accepts the request (every condition in it must hold). */
export function requestMatches(match: HttpMatchRequest, req: SyntheticRequest): boolean {
    if (match.gateways !== undefined && !match.gateways.includes("mesh")) {
        return false;
    }
    if (match.uri !== undefined && !stringMatches(match.uri, req.uri, match.ignoreUriCase ?? false)) {
        return false;
    }
    if (match.method !== undefined && !stringMatches(match.method, req.method)) {
        return false;
    }
    if (match.scheme !== undefined && !stringMatches(match.scheme, req.scheme)) {
        return false;
    }
    if (match.authority !== undefined || match.queryParams !== undefined) {
        return false;
    }
    for (const [name, m] of Object.entries(match.headers ?? {})) {
        if (!stringMatches(m, req.headers[name.toLowerCase()])) {
            return false;
        }
    }
    for (const [name, m] of Object.entries(match.withoutHeaders ?? {})) {
        if (stringMatches(m, req.headers[name.toLowerCase()])) {
            return false;
        }
    }
    for (const [key, value] of Object.entries(match.sourceLabels ?? {})) {
        if (!Object.hasOwn(req.sourceLabels, key) || req.sourceLabels[key] !== value) {
            return false;
        }
    }
    if (match.sourceNamespace !== undefined && match.sourceNamespace !== req.sourceNamespace) {
        return false;
    }
    return true;
}

/** The first route that takes the request, as Envoy evaluates them in order. */
export function selectRoute(routes: readonly HttpRoute[], req: SyntheticRequest): HttpRoute | undefined {
    return routes.find((r) => (r.match ?? []).length === 0 || (r.match ?? []).some((m) => requestMatches(m, req)));
}

/** A route's destinations with their shares (0..1), following Istio's relative-weight rule. */
export function destinationShares(route: HttpRoute): { host: string; subset?: string; share: number }[] {
    const dests = route.route ?? [];
    if (dests.length === 1) {
        const only = dests[0]!;
        return [{ ...only.destination, share: 1 }];
    }
    const total = dests.reduce((sum, d) => sum + Math.max(0, d.weight ?? 0), 0);
    if (total === 0) {
        return [];
    }
    return dests.map((d) => ({ ...d.destination, share: Math.max(0, d.weight ?? 0) / total }));
}

/** Subset name -> version label, from the DestinationRule. A subset without a version label maps to undefined. */
export function subsetVersions(dr: DestinationRuleSpec | undefined): Map<string, string | undefined> {
    const out = new Map<string, string | undefined>();
    for (const s of dr?.subsets ?? []) {
        out.set(s.name, s.labels?.["version"]);
    }
    return out;
}

/** What the simulator needs to know about the live mesh objects. */
export interface MeshView {
    service: ServiceRef;
    /** VirtualServices of the service's namespace (others are filtered by host). */
    virtualServices: readonly MeshObject<VirtualServiceSpec>[];
    destinationRules: readonly MeshObject<DestinationRuleSpec>[];
    /**
     * Version reached by a route without a subset, or when no VirtualService exists. Default: the
     * version of the DestinationRule subset named "stable" (the config contract's role name).
     */
    defaultVersion?: string;
    /** Classes of requests with headers; the rest (1 - sum of shares) sends none. Default []. */
    requestMix?: readonly RequestClass[];
    /** Labels of the calling workload, for `sourceLabels` matches. Default {app: "loadgenerator"}. */
    sourceLabels?: Record<string, string>;
    /** Default "default". */
    sourceNamespace?: string;
}

/** Whether a VirtualService applies to sidecar (mesh) traffic for the service. */
function appliesToMesh(vs: MeshObject<VirtualServiceSpec>, svc: ServiceRef): boolean {
    const spec = vs.spec ?? {};
    const gateways = spec.gateways ?? [];
    const mesh = gateways.length === 0 || gateways.includes("mesh");
    const ns = vs.metadata?.namespace ?? svc.namespace;
    return mesh && (spec.hosts ?? []).some((h) => hostMatches(h, svc, ns));
}

/** Sum outcomes that land in the same place, keeping the first-seen order. */
export function mergeOutcomes(outcomes: readonly Outcome[]): Outcome[] {
    const byKey = new Map<string, Outcome>();
    for (const o of outcomes) {
        const key = outcomeKey(o);
        const seen = byKey.get(key);
        if (seen === undefined) {
            byKey.set(key, { ...o });
        } else {
            seen.share += o.share;
        }
    }
    return [...byKey.values()].filter((o) => o.share > 0);
}

export function outcomeKey(o: Outcome): string {
    switch (o.kind) {
        case "version":
            return `version:${o.version}`;
        case "noRoute":
        case "unserved":
            return o.kind;
        case "noCluster":
            return `noCluster:${o.subset}`;
        case "noHealthy":
            return `noHealthy:${o.cluster}`;
        case "otherHost":
            return `otherHost:${o.host}`;
        default: {
            const never: never = o;
            return never;
        }
    }
}

/**
 * The traffic split the live mesh objects produce for the service. Several VirtualServices for one
 * host are merged by Istio in creation order; the simulator takes them in list order.
 */
export function planFromMesh(view: MeshView): RoutingPlan {
    const svc = view.service;
    const vss = view.virtualServices.filter((vs) => appliesToMesh(vs, svc));
    const dr = view.destinationRules.find((d) =>
        hostMatches(d.spec?.host ?? "", svc, d.metadata?.namespace ?? svc.namespace),
    )?.spec;
    const subsets = subsetVersions(dr);
    const defaultVersion = view.defaultVersion ?? subsets.get("stable");
    const toDefault = (share: number): Outcome =>
        defaultVersion === undefined ? { kind: "unserved", share } : { kind: "version", version: defaultVersion, share };

    if (vss.length === 0) {
        return {
            outcomes: [toDefault(1)],
            source: `no VirtualService for ${svc.name}.${svc.namespace}; Service default`,
        };
    }
    const expanded = vss.flatMap((vs) => expandDelegates(vs, view.virtualServices, svc.namespace));
    const routes = expanded.map((e) => e.route);
    const routeNamespace = new Map<HttpRoute, string>(expanded.map((e) => [e.route, e.namespace] as const));
    const mix = view.requestMix ?? [];
    const plainShare = Math.max(0, 1 - mix.reduce((s, c) => s + c.share, 0));
    const classes: RequestClass[] = [...mix, { share: plainShare, headers: {} }].filter((c) => c.share > 0);
    const outcomes: Outcome[] = [];
    for (const cls of classes) {
        const req: SyntheticRequest = {
            uri: "/",
            method: "GET",
            scheme: "http",
            headers: Object.fromEntries(Object.entries(cls.headers).map(([k, v]) => [k.toLowerCase(), v])),
            sourceLabels: view.sourceLabels ?? { app: "loadgenerator" },
            sourceNamespace: view.sourceNamespace ?? "default",
        };
        const route = selectRoute(routes, req);
        const shares = route === undefined ? [] : destinationShares(route);
        if (route === undefined || shares.length === 0) {
            outcomes.push({ kind: "noRoute", share: cls.share });
            continue;
        }
        for (const d of shares) {
            const share = cls.share * d.share;
            if (!hostMatches(d.host, svc, routeNamespace.get(route) ?? svc.namespace)) {
                outcomes.push({ kind: "otherHost", host: d.host, share });
            } else if (d.subset === undefined) {
                outcomes.push(toDefault(share));
            } else if (!subsets.has(d.subset)) {
                outcomes.push({ kind: "noCluster", subset: d.subset, share });
            } else {
                const version = subsets.get(d.subset);
                outcomes.push(
                    version === undefined ? { kind: "unserved", share } : { kind: "version", version, share },
                );
            }
        }
    }
    const names = vss.map((v) => v.metadata?.name ?? "?").join(",");
    return { outcomes: mergeOutcomes(outcomes), source: `VirtualService ${names}` };
}

/**
 * A plan from fixed weights per version (no API server): `{ v1: 80, v2: 20 }`. Weights are
 * relative, as in a VirtualService. Throws when no weight is positive or one is negative.
 */
export function planFromWeights(weights: Readonly<Record<string, number>>): RoutingPlan {
    const entries = Object.entries(weights);
    const problems = entries
        .filter(([, w]) => !Number.isFinite(w) || w < 0)
        .map(([v, w]) => `weight of ${v} is ${w}; it must be a number >= 0`);
    const total = entries.reduce((s, [, w]) => s + (Number.isFinite(w) && w > 0 ? w : 0), 0);
    if (total === 0) {
        problems.push(`weights ${JSON.stringify(weights)} have no positive weight; give at least one version a weight > 0`);
    }
    if (problems.length > 0) {
        throw new Error(`invalid fixed weights: ${problems.join("; ")}`);
    }
    return {
        outcomes: entries.filter(([, w]) => w > 0).map(([version, w]) => ({ kind: "version", version, share: w / total })),
        source: "fixed weights",
    };
}

/**
 * Pick the outcome for one request: `u` is a uniform number in [0, 1). Shares are assumed to add
 * up to 1; rounding leftovers go to the last outcome. Undefined only for an empty plan.
 */
export function pickOutcome(outcomes: readonly Outcome[], u: number): Outcome | undefined {
    let acc = 0;
    for (const o of outcomes) {
        acc += o.share;
        if (u < acc) {
            return o;
        }
    }
    return outcomes[outcomes.length - 1];
}
