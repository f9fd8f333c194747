/**
 * Test support: `istioctl analyze`-style rules over a whole set of emitted Istio objects, with VirtualService
 * delegation merged the way istiod merges it. Written apart from components/ on purpose (a checker that
 * shares the code under test cannot catch its bugs). Per-object schema validation: ./istioSchema.ts.
 */

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === "object" && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Analyzer-style rules over a whole set of emitted objects (a subset of what `istioctl analyze` checks).

/** An emitted Istio object as the API server would receive it. */
export interface IstioObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string };
    spec: JsonObject;
}

/** One finding of {@link analyzeMesh}. */
export interface AnalyzerProblem {
    /** `Kind/namespace/name`. */
    object: string;
    /** Which rule: subset-exists, gateway-exists, catch-all-last, one-destinationrule-per-host, gateway-canary-weighted. */
    rule: string;
    message: string;
}

interface Dest {
    host: string;
    subset?: string;
}
interface RouteDest {
    destination: Dest;
    weight?: number;
}
interface HttpRoute {
    name?: string;
    match?: JsonObject[];
    route?: RouteDest[];
    mirror?: Dest;
    redirect?: JsonObject;
    delegate?: { name?: string; namespace?: string };
    /** Set on a route merged from a delegate (this module's own mark): `<ns>/<delegate>#<index>`. */
    fromDelegate?: string;
    /** Set on a route merged from a delegate route without a match of its own (the delegate's catch-all). */
    delegateCatchAll?: boolean;
}

/** Short names are services of the object's namespace (the analyzer's view; written apart from components/). */
const fqdn = (host: string, namespace: string): string => (host.includes(".") ? host : `${host}.${namespace}.svc.cluster.local`);

const id = (o: IstioObject): string => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;

const asArray = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** The gateways a VirtualService binds to; absent means the mesh (sidecars) only. */
const gatewaysOf = (vs: IstioObject): string[] => asArray<string>(vs.spec.gateways).length > 0 ? asArray<string>(vs.spec.gateways) : ["mesh"];

/** Routes that take the rest of the traffic: no match, or an empty match list. */
const isCatchAll = (r: HttpRoute): boolean => (r.match ?? []).length === 0;


// ---------------------------------------------------------------------------------------------------
// VirtualService delegation, as istiod merges it (pilot/pkg/model/virtualservice_controller.go
// mergeVirtualServices and virtualservice.go mergeHTTPRoute/hasConflict, written apart from stacks/layout.ts).

type StringMatchLike = { exact?: string; prefix?: string; regex?: string } | undefined;

/** Istio's stringMatchConflict: the delegate's match does not nest in the root's. */
function stringMatchConflict(root: StringMatchLike, leaf: StringMatchLike): boolean {
    if (root === undefined || leaf === undefined) return false;
    const rx = root.regex ?? "";
    const lx = leaf.regex ?? "";
    if (rx !== "" && (lx !== "" || (leaf.prefix ?? "") !== "" || (leaf.exact ?? "") !== "")) return true;
    if (lx !== "" && (rx !== "" || (root.prefix ?? "") !== "" || (root.exact ?? "") !== "")) return true;
    if ((root.exact ?? "") !== "") {
        return (leaf.prefix ?? "") !== "" || leaf.exact !== root.exact;
    }
    if ((root.prefix ?? "") !== "") {
        if ((leaf.prefix ?? "") !== "") return !(leaf.prefix as string).startsWith(root.prefix as string);
        if ((leaf.exact ?? "") !== "") return !(leaf.exact as string).startsWith(root.prefix as string);
    }
    return true;
}

const matchMap = (m: JsonObject, key: string): Record<string, StringMatchLike> =>
    isObject(m[key]) ? (m[key] as Record<string, StringMatchLike>) : {};

/** Istio's hasConflict(root, leaf) for one pair of HTTPMatchRequests. */
function matchConflict(root: JsonObject, leaf: JsonObject): boolean {
    for (const k of ["uri", "scheme", "method", "authority"]) {
        if (stringMatchConflict(root[k] as StringMatchLike, leaf[k] as StringMatchLike)) return true;
    }
    for (const key of ["headers", "withoutHeaders", "queryParams"]) {
        const r = matchMap(root, key);
        for (const [h, v] of Object.entries(matchMap(leaf, key))) {
            if (stringMatchConflict(r[h], v)) return true;
        }
    }
    if ((root.ignoreUriCase === true) !== (leaf.ignoreUriCase === true)) return true;
    const rp = typeof root.port === "number" ? root.port : 0;
    const lp = typeof leaf.port === "number" ? leaf.port : 0;
    if (rp > 0 && lp > 0 && rp !== lp) return true;
    if (typeof root.sourceNamespace === "string" && root.sourceNamespace !== "" && leaf.sourceNamespace !== root.sourceNamespace) return true;
    const rl = isObject(root.sourceLabels) ? root.sourceLabels : {};
    for (const [k, v] of Object.entries(isObject(leaf.sourceLabels) ? leaf.sourceLabels : {})) {
        if (k in rl && rl[k] !== v) return true;
    }
    const rg = asArray<string>(root.gateways);
    const lg = asArray<string>(leaf.gateways);
    return rg.length > 0 && lg.length > 0 && (rg.length < lg.length || lg.some((g) => !rg.includes(g)));
}

/** Istio's mergeHTTPMatchRequest: the leaf's fields, the root's where the leaf has none, maps merged. */
function mergeMatch(root: JsonObject, leaf: JsonObject): JsonObject {
    const out: JsonObject = { ...root, ...leaf };
    for (const key of ["headers", "withoutHeaders", "queryParams", "sourceLabels"]) {
        const merged = { ...(isObject(root[key]) ? root[key] : {}), ...(isObject(leaf[key]) ? leaf[key] : {}) };
        if (Object.keys(merged).length > 0) out[key] = merged;
    }
    if (typeof root.name === "string" && root.name !== "" && typeof leaf.name === "string" && leaf.name !== "") out.name = `${root.name}-${leaf.name}`;
    return out;
}

/** Istio's mergeHTTPMatchRequests: undefined when a delegate match nests in no root match (a conflict). */
function mergeMatches(root: JsonObject[], leaf: JsonObject[]): JsonObject[] | undefined {
    if (root.length === 0) return leaf;
    if (leaf.length === 0) return root;
    const out: JsonObject[] = [];
    for (const sub of leaf) {
        const fits = root.filter((r) => !matchConflict(r, sub));
        if (fits.length === 0) return undefined;
        out.push(...fits.map((r) => mergeMatch(r, sub)));
    }
    return out;
}

/** Fields a delegate route inherits from the root route when it has none (mergeHTTPRoute). */
const INHERITED = ["rewrite", "directResponse", "timeout", "retries", "fault", "mirror", "mirrorPercent", "mirrorPercentage", "corsPolicy", "mirrors", "headers"];

/** A VirtualService without hosts is a delegate (Istio keeps it out of the routing tables). */
const isDelegate = (vs: IstioObject): boolean => asArray<string>(vs.spec.hosts).length === 0;

/** Whether `vs` (a delegate) is visible to `namespace`: exportTo absent = every namespace (Istio's default). */
function exportedTo(vs: IstioObject, namespace: string): boolean {
    const exportTo = asArray<string>(vs.spec.exportTo);
    if (exportTo.length === 0) return true;
    return exportTo.some((e) => e === "*" || e === namespace || (e === "." && vs.metadata.namespace === namespace));
}

/**
 * The VirtualServices as istiod routes with them: delegates dropped, each root route that delegates replaced
 * by the delegate's routes merged into it (destination short names resolved in the delegate's namespace).
 * Pushes the delegation rules' problems to `out`.
 */
function mergeDelegation(vss: readonly IstioObject[], out: AnalyzerProblem[]): IstioObject[] {
    const byName = new Map(vss.map((v) => [`${v.metadata.namespace}/${v.metadata.name}`, v]));
    for (const d of vss.filter(isDelegate)) {
        if (asArray<string>(d.spec.gateways).length > 0) {
            out.push({ object: id(d), rule: "delegate-no-gateways", message: "a delegate VirtualService (no hosts) must name no gateways" });
        }
        if (asArray(d.spec.tls).length > 0 || asArray(d.spec.tcp).length > 0) {
            out.push({ object: id(d), rule: "delegate-http-only", message: "a delegate VirtualService carries HTTP routes only (no tls or tcp)" });
        }
        asArray<HttpRoute>(d.spec.http).forEach((r, i) => {
            if (r.delegate !== undefined) {
                out.push({ object: id(d), rule: "no-nested-delegation", message: `http[${i}] delegates again; Istio supports one level of delegation only` });
            }
        });
    }
    const merged: IstioObject[] = [];
    for (const vs of vss) {
        if (isDelegate(vs)) continue;
        const http = asArray<HttpRoute>(vs.spec.http);
        if (!http.some((r) => r.delegate !== undefined)) {
            merged.push(vs);
            continue;
        }
        const routes: HttpRoute[] = [];
        http.forEach((root, i) => {
            if (root.delegate === undefined) {
                routes.push(root);
                return;
            }
            if (root.route !== undefined || root.redirect !== undefined) {
                out.push({ object: id(vs), rule: "root-route-only-delegates", message: `http[${i}] delegates and also has a route or redirect; a root route may only delegate` });
            }
            const ns = root.delegate.namespace ?? vs.metadata.namespace;
            const key = `${ns}/${root.delegate.name ?? ""}`;
            const target = byName.get(key);
            if (target === undefined || !isDelegate(target)) {
                out.push({
                    object: id(vs),
                    rule: "delegate-exists",
                    message: `http[${i}] delegates to VirtualService ${key}, which ${target === undefined ? "is not emitted" : "has hosts (a delegate has none)"}; Istio drops the route`,
                });
                return;
            }
            if (!exportedTo(target, vs.metadata.namespace)) {
                out.push({
                    object: id(vs),
                    rule: "delegate-visible",
                    message: `http[${i}] delegates to ${key}, whose exportTo ${JSON.stringify(target.spec.exportTo)} does not include ${vs.metadata.namespace}; Istio drops the route`,
                });
                return;
            }
            asArray<HttpRoute>(target.spec.http).forEach((leaf, j) => {
                const match = mergeMatches(root.match ?? [], leaf.match ?? []);
                if (match === undefined && !onlyElsewhere(root.match ?? [], leaf.match ?? [])) {
                    out.push({
                        object: id(target),
                        rule: "delegate-match-nests",
                        message: `http[${j}]${leaf.name === undefined ? "" : ` (${leaf.name})`} matches ${JSON.stringify(leaf.match)}, which does not nest in the match ${JSON.stringify(root.match)} of ${id(vs)} http[${i}]; Istio drops it for that root`,
                    });
                    return;
                }
                if (match === undefined) return; // dropped, and it takes no request on the root's exact path anyway
                const r: HttpRoute & JsonObject = { ...(leaf as JsonObject) };
                for (const f of INHERITED) {
                    if (r[f] === undefined && (root as JsonObject)[f] !== undefined) r[f] = (root as JsonObject)[f];
                }
                r.name = leaf.name === undefined ? root.name : root.name === undefined ? leaf.name : `${root.name}-${leaf.name}`;
                if (r.name === undefined) delete r.name;
                if (match.length > 0) r.match = match;
                else delete r.match;
                delete r.delegate;
                const resolve = (dst: Dest): Dest => ({ ...dst, host: fqdn(dst.host, ns) });
                if (leaf.route !== undefined) r.route = leaf.route.map((d) => ({ ...d, destination: resolve(d.destination) }));
                if (leaf.mirror !== undefined) r.mirror = resolve(leaf.mirror);
                r.fromDelegate = `${key}#${j}`;
                r.delegateCatchAll = (leaf.match ?? []).length === 0;
                routes.push(r);
            });
        });
        merged.push({ ...vs, spec: { ...vs.spec, http: routes } });
    }
    return merged;
}

/**
 * The VirtualServices as istiod routes with them (delegates merged into their roots, delegates dropped), for
 * tests that check what traffic through a root gets. Problems of the delegation rules are left to
 * {@link analyzeMesh}.
 */
export function mergedVirtualServices(objects: readonly IstioObject[]): IstioObject[] {
    return mergeDelegation(
        objects.filter((o) => o.kind === "VirtualService"),
        [],
    );
}

/**
 * A delegate route Istio drops under a root that matches only exact paths, which takes no request on any of them: each
 * of its matches is a uri prefix no exact path starts with, or another exact path. Dropping it loses nothing (the
 * stack refuses a prefix that covers the path: stacks/layout.ts checkExactRoutes), so delegate-match-nests is quiet.
 */
function onlyElsewhere(root: readonly JsonObject[], leaf: readonly JsonObject[]): boolean {
    const exacts = root.map((m) => (m["uri"] as { exact?: string } | undefined)?.exact);
    if (exacts.length === 0 || exacts.some((e) => e === undefined)) return false;
    return (
        leaf.length > 0 &&
        leaf.every((m) => {
            const uri = m["uri"] as { prefix?: string; exact?: string } | undefined;
            if (uri?.prefix !== undefined) return exacts.every((e) => !(e ?? "").startsWith(uri.prefix ?? ""));
            if (uri?.exact !== undefined) return exacts.every((e) => e !== uri.exact);
            return false;
        })
    );
}

/**
 * Analyzer rules over every emitted object (one stack, or every stack of an environment):
 * - delegation (Istio's VirtualService `delegate`, merged as istiod merges it before the rules below run on
 *   the result): delegate-exists (a root route's delegate is an emitted VirtualService without hosts),
 *   delegate-visible (its exportTo includes the root's namespace), delegate-match-nests (each of the
 *   delegate's matches nests in the root route's; Istio drops the route otherwise), no-nested-delegation,
 *   delegate-no-gateways, delegate-http-only, root-route-only-delegates;
 * - subset-exists: every subset a VirtualService routes or mirrors to is defined by the DestinationRule of that host;
 * - gateway-exists: every gateway a VirtualService names (other than `mesh`) is an emitted Gateway;
 * - catch-all-last: an HTTP route without match is the last route of its VirtualService;
 * - one-destinationrule-per-host: at most one DestinationRule per host and namespace;
 * - gateway-canary-weighted (IST0140): a gateway-bound route to a host whose mesh VirtualService splits its
 *   catch-all by subset uses the same subsets and weights; a gateway route that carries one of the host's mesh
 *   routes (merged from the same delegate route, or named `<root>-<mesh route>` as istiod names a merged route)
 *   uses that route's.
 */
export function analyzeMesh(objects: readonly IstioObject[]): AnalyzerProblem[] {
    const out: AnalyzerProblem[] = [];
    const drs = objects.filter((o) => o.kind === "DestinationRule");
    const vss = mergeDelegation(
        objects.filter((o) => o.kind === "VirtualService"),
        out,
    );
    const gateways = new Set(objects.filter((o) => o.kind === "Gateway").map((g) => `${g.metadata.namespace}/${g.metadata.name}`));

    const drByHost = new Map<string, IstioObject[]>();
    for (const dr of drs) {
        const key = `${dr.metadata.namespace} ${fqdn(String(dr.spec.host), dr.metadata.namespace)}`;
        drByHost.set(key, [...(drByHost.get(key) ?? []), dr]);
    }
    for (const [key, list] of drByHost) {
        if (list.length > 1) {
            out.push({
                object: id(list[1] as IstioObject),
                rule: "one-destinationrule-per-host",
                message: `${list.map(id).join(" and ")} both define host ${key.split(" ")[1]}`,
            });
        }
    }
    const subsetsOf = (host: string, namespace: string): string[] | undefined => {
        // The DestinationRule in the VirtualService's namespace, else the one in the host's own namespace
        // (a route merged from a delegate of another namespace names its host fully qualified).
        const name = fqdn(host, namespace);
        const dr = (drByHost.get(`${namespace} ${name}`) ?? drByHost.get(`${name.split(".")[1] ?? ""} ${name}`))?.[0];
        return dr === undefined ? undefined : asArray<{ name: string }>(dr.spec.subsets).map((s) => s.name);
    };

    for (const vs of vss) {
        const ns = vs.metadata.namespace;
        const http = asArray<HttpRoute>(vs.spec.http);
        const tls = asArray<{ match?: JsonObject[]; route?: RouteDest[] }>(vs.spec.tls);
        const dests: Dest[] = [
            ...http.flatMap((r) => [...(r.route ?? []).map((d) => d.destination), ...(r.mirror === undefined ? [] : [r.mirror])]),
            ...tls.flatMap((r) => (r.route ?? []).map((d) => d.destination)),
        ];
        for (const d of dests) {
            if (d.subset === undefined) continue;
            const defined = subsetsOf(d.host, ns);
            if (defined === undefined || !defined.includes(d.subset)) {
                out.push({
                    object: id(vs),
                    rule: "subset-exists",
                    message: `routes to subset ${d.subset} of ${d.host}, which ${defined === undefined ? "no DestinationRule defines" : `its DestinationRule does not define (${defined.join(", ")})`}`,
                });
            }
        }
        const named = [
            ...gatewaysOf(vs),
            ...[...http, ...tls].flatMap((r) => (r.match ?? []).flatMap((m) => asArray<string>(m.gateways))),
        ];
        for (const g of new Set(named)) {
            if (g === "mesh") continue;
            const ref = g.includes("/") ? g : `${ns}/${g}`;
            if (!gateways.has(ref)) {
                out.push({ object: id(vs), rule: "gateway-exists", message: `names gateway ${g}, which is not emitted` });
            }
        }
        http.forEach((r, i) => {
            if (isCatchAll(r) && i !== http.length - 1) {
                out.push({ object: id(vs), rule: "catch-all-last", message: `http[${i}] has no match but ${http.length - 1 - i} route(s) follow it; they are unreachable` });
            }
        });
    }

    // IST0140: gateway traffic ignores the mesh VirtualService, so the split must be repeated. A gateway route
    // merged from a delegate is compared with the mesh route merged from the same delegate route when the
    // mesh VirtualService delegates there too (one list of routes: equal by construction, checked anyway).
    const meshTwin = (from: string): HttpRoute | undefined =>
        vss
            .filter((v) => gatewaysOf(v).includes("mesh"))
            .flatMap((v) => asArray<HttpRoute>(v.spec.http))
            .find((r) => r.fromDelegate === from);
    const meshRoutesOf = (host: string, namespace: string): HttpRoute[] =>
        vss
            .filter((vs) => gatewaysOf(vs).includes("mesh"))
            // Each host resolved in its own VirtualService's namespace (Istio resolves short names so).
            .filter((vs) => asArray<string>(vs.spec.hosts).some((h) => fqdn(h, vs.metadata.namespace) === fqdn(host, namespace)))
            .flatMap((vs) => asArray<HttpRoute>(vs.spec.http));
    // A gateway route that carries one of the host's mesh routes (the single layout puts the service's routes
    // under the gateway prefix with istiod's merged names, `<root route>-<mesh route>`) is compared with it.
    const meshNamed = (host: string, namespace: string, name: string | undefined): HttpRoute | undefined =>
        name === undefined
            ? undefined
            : meshRoutesOf(host, namespace)
                  .filter((m) => m.name !== undefined && name.endsWith(`-${m.name}`))
                  .sort((a, b) => (b.name ?? "").length - (a.name ?? "").length)[0];
    const meshSplit = (host: string, namespace: string): Map<string, number> | undefined => {
        for (const vs of vss) {
            if (!gatewaysOf(vs).includes("mesh")) continue;
            if (!asArray<string>(vs.spec.hosts).some((h) => fqdn(h, vs.metadata.namespace) === fqdn(host, namespace))) continue;
            const catchAll = asArray<HttpRoute>(vs.spec.http).find(isCatchAll);
            const route = catchAll?.route ?? [];
            if (route.some((d) => d.destination.subset !== undefined)) {
                return new Map(route.map((d) => [d.destination.subset ?? "", d.weight ?? 100]));
            }
        }
        return undefined;
    };
    for (const vs of vss) {
        if (gatewaysOf(vs).every((g) => g === "mesh")) continue;
        for (const [i, r] of asArray<HttpRoute>(vs.spec.http).entries()) {
            const route = r.route ?? [];
            const host = route[0]?.destination.host;
            if (host === undefined) continue;
            const twin = r.fromDelegate === undefined ? meshNamed(host, vs.metadata.namespace, r.name) : meshTwin(r.fromDelegate);
            const split =
                twin !== undefined
                    ? new Map((twin.route ?? []).map((d) => [d.destination.subset ?? "", d.weight ?? 100]))
                    : r.fromDelegate !== undefined && r.delegateCatchAll !== true
                      ? undefined
                      : meshSplit(host, vs.metadata.namespace);
            if (split === undefined) continue;
            const here = new Map(route.map((d) => [d.destination.subset ?? "", d.weight ?? 100]));
            const same = here.size === split.size && [...split].every(([s, w]) => here.get(s) === w);
            if (!same) {
                out.push({
                    object: id(vs),
                    rule: "gateway-canary-weighted",
                    message: `http[${i}] sends gateway traffic for ${host} as ${JSON.stringify([...here])}, but its mesh VirtualService splits ${JSON.stringify([...split])}; Istio ignores the mesh split for gateway traffic (IST0140)`,
                });
            }
        }
    }
    return out;
}
