/**
 * What the Gateway API components emit (`GatewayApiCanary`, `GatewayApiIngress`), computed and checked without
 * creating anything. Pure: loads no Pulumi SDK.
 *
 * The same intent as the Istio-API objects (canaryPlan.ts, ingressGatewayPlan.ts, route order of routes.ts) in
 * the Gateway API's standard channel (sigs.k8s.io/gateway-api v1.6.0, the version the pinned istio module requires):
 * - the mesh route is an HTTPRoute whose parent is the service's Service (GAMMA: `group: ""`, `kind: Service`);
 * - an HTTPRoute splits by Service, not by subset: one Service per version (`<service>-<version>`, selecting app +
 *   version), the weighted catch-all is `backendRefs` to them;
 * - the Gateway API orders rules by match specificity (longest path prefix, then the number of header matches),
 *   not top to bottom as a VirtualService: a pin or the A/B flag therefore matches every prefix of the service's
 *   redirects and URI routes too, so a pinned request goes to the canary on every path, as in the Istio mode;
 * - DestinationRules stay for traffic policy; a version Service's traffic is policed by its own DestinationRule
 *   (the host-wide policy overlaid field by field by the version's own, as Istio merges a subset's).
 * What the standard channel cannot say is refused, never dropped: fault injection, retries (experimental in v1.6),
 * mesh hosts other than the Service, durations outside GEP-2257, more rules or matches than an HTTPRoute holds.
 */
import type { CanaryArgs } from "./canaryPlan";
import { planCanary } from "./canaryPlan";
import { DestinationRuleClaims } from "./destinationRuleClaims";
import type {
    AllowedRoutes,
    GatewayApiGatewaySpec,
    HTTPBackendFilter,
    HTTPBackendRef,
    HTTPHeaderMatch,
    HTTPRouteFilter,
    HTTPRouteMatch,
    HTTPRouteRule,
    HTTPRouteSpec,
    ParentReference,
} from "./gatewayApi/types";
import type { IngressProtocol, IngressTlsArgs } from "./ingressGatewayPlan";
import type { DeepInput, Plain } from "./inputs";
import { planIngressGateway } from "./ingressGatewayPlan";
import type { Subset, TrafficPolicy } from "./istio/types";
import { canaryRouted, cookieRegex, escapeRe2, liveWeights, stickySession, type CanaryPin, type CanaryState, type Weights } from "./routes";
import { CANARY, STABLE } from "./subsets";
import { show, type Problem } from "./validation";

export const GATEWAY_API_CANARY_TOKEN = "mesh-traffic:index:GatewayApiCanary";
export const GATEWAY_API_INGRESS_TOKEN = "mesh-traffic:index:GatewayApiIngress";

/** The Gateway API version whose standard channel these objects use (the CRDs scripts/gateway-api-crds.sh fetches). */
export const GATEWAY_API_RELEASE = "v1.6.0";

/** Limits of one HTTPRoute in the CRD's schema. */
export const HTTPROUTE_LIMITS = { rules: 16, matchesPerRule: 64, matchesPerRoute: 128, backendRefs: 16 } as const;

/** GEP-2257 durations, the CRD's pattern for `timeouts.request`: up to four integer parts of h, m, s, ms. */
export const GATEWAY_API_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/** The Service of one version: `<service>-<version>`. */
export function versionServiceName(service: string, version: string): string {
    return `${service}-${version}`;
}

const refuse = (path: string, value: unknown, rule: string, fix: string): Problem => ({
    propertyPath: path,
    reason: `${path} is ${show(value)}; ${rule} (routingApi gateway-api): ${fix}`,
});

// ---------------------------------------------------------------------------------------------------
// The mesh route of a service (GatewayApiCanary)
// ---------------------------------------------------------------------------------------------------

/** Arguments of `GatewayApiCanary`: a Canary's, routed with the Gateway API. */
export interface GatewayApiCanaryArgs extends CanaryArgs {
    /** Container port of the version Services. Default `port`. */
    targetPort?: DeepInput<number>;
    /**
     * Annotate the version Services and the HTTPRoute with `pulumi.com/skipAwait: "true"` (a control plane without
     * controllers never fills a Service's endpoints). Default false.
     */
    skipAwait?: DeepInput<boolean>;
    /**
     * HTTPRoutes of this service attached to gateways another stack owns (a service stack's routes on its platform
     * stack's Gateway): each carries the service's mesh rules under the given path prefixes. Default none.
     */
    gatewayRoutes?: GatewayRouteAttachment[];
    /**
     * Extra labels on the version Services (the service's own Service is Workloads'), e.g. `istio.io/use-waypoint`, so
     * that traffic sent to a version Service takes the service's waypoint too. Default none.
     */
    serviceLabels?: DeepInput<Record<string, string>>;
}

/** A service's HTTPRoute on a gateway: its mesh rules under the prefixes the gateway routes to it. */
export interface GatewayRouteAttachment {
    /** The HTTPRoute's name, e.g. `checkout-ingress`. */
    name: string;
    /** The Gateway's listener the route attaches to (name, namespace, sectionName). */
    parent: ParentReference;
    /** The gateway's hosts: the HTTPRoute's hostnames. Empty: any host (a gateway for hosts `["*"]`). */
    hostnames: string[];
    /** The prefixes the gateway routes to this service (whole path segments). At least one of prefixes and exacts. */
    prefixes: string[];
    /** The exact paths the gateway routes to this service (`path.type: Exact`). Default none. */
    exacts?: string[];
}

/** One version's Service. */
export interface VersionService {
    /** Subset name the version has in the DestinationRule (`stable`, `canary`, or an extra subset's). */
    subset: string;
    version: string;
    /** `<service>-<version>`. */
    name: string;
    port: number;
    targetPort: number;
}

/** What a GatewayApiCanary emits. */
export interface GatewayApiCanaryPlan {
    problems: Problem[];
    warnings: string[];
    /** The service's DestinationRule, as the Istio mode emits it (subsets by version, host-wide policy). */
    destinationRule: { subsets: Subset[]; trafficPolicy: TrafficPolicy | undefined };
    versionServices: VersionService[];
    /** A DestinationRule per version Service whose traffic has a policy (host = the version Service). */
    versionDestinationRules: { host: string; trafficPolicy: TrafficPolicy }[];
    /** The mesh HTTPRoute (parent: the service's Service). */
    httpRoute: HTTPRouteSpec;
    /** The HTTPRoutes on other stacks' gateways (`gatewayRoutes`), by name. */
    gatewayHttpRoutes: { name: string; spec: HTTPRouteSpec }[];
    weights: Weights;
}

/** A subset's policy over the host's, field by field (Istio's merge of a subset's traffic policy). */
function overlay(host: TrafficPolicy | undefined, subset: TrafficPolicy | undefined): TrafficPolicy | undefined {
    if (host === undefined && subset === undefined) {
        return undefined;
    }
    return { ...(host ?? {}), ...(subset ?? {}) };
}

function isCookiePin(pin: CanaryPin): pin is Extract<CanaryPin, { cookie: string }> {
    return "cookie" in pin;
}

/** A pin as a header match: cookies and prefixes as RE2 regexes on the whole value (Istio matches them so). */
export function pinHeaderMatch(pin: CanaryPin): HTTPHeaderMatch {
    if (isCookiePin(pin)) {
        return { type: "RegularExpression", name: "cookie", value: cookieRegex(pin.cookie, pin.value) };
    }
    if (pin.exact !== undefined) return { type: "Exact", name: pin.header, value: pin.exact };
    if (pin.prefix !== undefined) return { type: "RegularExpression", name: pin.header, value: `${escapeRe2(pin.prefix)}.*` };
    return { type: "RegularExpression", name: pin.header, value: pin.regex ?? "" };
}

/**
 * Sticky sessions with the Gateway API (components/routes.ts `stickySession`): the split's version backends add their
 * session cookie with a `ResponseHeaderModifier` filter on the backendRef (standard channel; istiod turns it into the
 * destination's response headers), and a rule per version matches its cookie as a `RegularExpression` header match
 * on `cookie` (implementation-specific; istiod matches it as an RE2 regex on the whole value, as for a cookie pin).
 * Such a rule has the split rule's path and one more header, so the Gateway API's precedence puts it first.
 */
export interface GatewaySession {
    /** `refs` with each version backend of the session adding its cookie. */
    backends(refs: readonly HTTPBackendRef[]): HTTPBackendRef[];
    /** The rules that pin a session to its version, for a rule that takes the split (canary first, then stable). */
    rules(rule: HTTPRouteRule): HTTPRouteRule[];
}

/** The session rules of a service whose split goes to `versions` on `port`, or undefined when its routes are not sticky. */
export function gatewaySession(service: string, port: number, canary: CanaryState | undefined, versions: { stable: string; canary?: string }): GatewaySession | undefined {
    const sticky = stickySession(service, canary);
    if (sticky === undefined || versions.canary === undefined) {
        return undefined;
    }
    const roles = [
        [CANARY, versionServiceName(service, versions.canary)],
        [STABLE, versionServiceName(service, versions.stable)],
    ] as const;
    const cookieFilter = (role: typeof STABLE | typeof CANARY): HTTPBackendFilter => ({
        type: "ResponseHeaderModifier",
        responseHeaderModifier: { add: [{ name: "Set-Cookie", value: sticky.setCookie[role] }] },
    });
    const backends = (refs: readonly HTTPBackendRef[]): HTTPBackendRef[] =>
        refs.map((b) => {
            const role = roles.find(([, name]) => name === b.name)?.[0];
            return role === undefined ? { ...b } : { ...b, filters: [cookieFilter(role)] };
        });
    return {
        backends,
        rules: (rule) =>
            roles.map(([role, name]) => {
                const { filters, backendRefs: _refs, matches, name: ruleName, ...rest } = rule;
                // A canary session's requests are not mirrored to the canary again; a rewrite applies as on the rule.
                const kept = (filters ?? []).filter((f) => f.type !== "RequestMirror" || role === STABLE);
                return {
                    name: `${ruleName ?? "route"}-${role}-session`,
                    matches: (matches ?? [{ path: { type: "PathPrefix" as const, value: "/" } }]).map((m) => ({
                        ...m,
                        headers: [...(m.headers ?? []), { type: "RegularExpression" as const, name: "cookie", value: sticky.match[role] }],
                    })),
                    ...(kept.length > 0 ? { filters: kept } : {}),
                    backendRefs: [{ name, port, weight: 100, filters: [cookieFilter(role)] }],
                    ...rest,
                };
            }),
    };
}

/** The CRD's rules for a PathPrefix value (the API server refuses any other at `up`). */
const GATEWAY_PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;

/** A URI prefix (or exact path: `what`) the Gateway API's path match takes: its CRD's rules, checked before `up`. */
export function checkGatewayPathPrefix(path: string, value: string, what = "a Gateway API path prefix"): Problem[] {
    const bad =
        !value.startsWith("/") ||
        ["//", "/./", "/../", "%2f", "%2F", "#"].some((s) => value.includes(s)) ||
        value.endsWith("/..") ||
        value.endsWith("/.") ||
        !GATEWAY_PATH_CHARS.test(value);
    return bad
        ? [
              refuse(
                  path,
                  value,
                  `${what} starts with "/", has no "//", "/./", "/../", "%2f" or "#", and only URL path characters`,
                  "write it so or use routingApi istio",
              ),
          ]
        : [];
}

/** The refusals of a Canary's args that the Gateway API's standard channel cannot express. */
function refusals(args: Plain<GatewayApiCanaryArgs>): Problem[] {
    const out: Problem[] = [];
    const istio = "or use routingApi istio";
    if (args.faults !== undefined) {
        out.push(refuse("faults", args.faults, `the Gateway API (${GATEWAY_API_RELEASE}) has no fault injection, so an HTTPRoute cannot carry it`, `remove it ${istio}`));
    }
    if (args.retries !== undefined) {
        out.push(refuse("retries", args.retries, `an HTTPRoute's retry policy is experimental in Gateway API ${GATEWAY_API_RELEASE}, not in the standard channel this stack installs`, `remove it ${istio}`));
    }
    if (args.delegate !== undefined) {
        out.push(refuse("delegate", args.delegate, "a delegate VirtualService has no Gateway API counterpart", "remove delegate (each service's HTTPRoute attaches to its parents itself)"));
    }
    if (args.hosts !== undefined && !(args.hosts.length === 1 && args.hosts[0] === args.service)) {
        out.push(refuse("hosts", args.hosts, "a mesh HTTPRoute attaches to the service's Service (GAMMA), so it serves that one host only", `remove it ${istio}`));
    }
    if (args.port === undefined) {
        out.push({ propertyPath: "port", reason: "port is missing; a Gateway API backendRef to a Service needs its port (routingApi gateway-api): set port" });
    }
    (args.redirects ?? []).forEach((r, i) => out.push(...checkGatewayPathPrefix(`redirects[${i}].prefix`, r.prefix)));
    (args.uriRoutes ?? []).forEach((u, i) => out.push(...checkGatewayPathPrefix(`uriRoutes[${i}].prefix`, u.prefix)));
    if (args.timeout !== undefined && !GATEWAY_API_DURATION.test(args.timeout)) {
        out.push(refuse("timeout", args.timeout, 'it must be a GEP-2257 duration for an HTTPRoute: up to four integer parts of h, m, s or ms, such as "10s" or "1500ms"', 'write it so, e.g. "1500ms" for "1.5s"'));
    }
    return out;
}

/** The HTTPRoute rules of a service, in the Istio mode's order (routes.ts); assumes args that passed planCanary. */
function meshRules(args: Plain<GatewayApiCanaryArgs>, versionOf: (subset: string) => string): HTTPRouteRule[] {
    const port = args.port ?? 0;
    const routed = canaryRouted(args.canary);
    const weights = liveWeights(args.canary);
    const backends = (entries: ReadonlyArray<readonly [subset: string, weight: number]>): HTTPBackendRef[] => {
        const merged = new Map<string, number>();
        for (const [s, w] of entries) {
            const subset = s === CANARY && !routed ? STABLE : s;
            merged.set(subset, (merged.get(subset) ?? 0) + w);
        }
        return [...merged.entries()]
            .filter(([, w]) => w > 0)
            .map(([subset, w]) => ({ name: versionServiceName(args.service, versionOf(subset)), port, weight: w }));
    };
    const session = gatewaySession(args.service, port, args.canary, {
        stable: versionOf(STABLE),
        ...(args.canary?.version === undefined ? {} : { canary: versionOf(CANARY) }),
    });
    const plainSplit = backends([
        [STABLE, weights.stable],
        [CANARY, weights.canary],
    ]);
    const split = session === undefined ? plainSplit : session.backends(plainSplit);
    /** A rule that takes the split, after the rules that pin a session to its version. */
    const splitting = (rule: HTTPRouteRule): HTTPRouteRule[] => (session === undefined ? [rule] : [...session.rules(rule), rule]);
    const prefixes = [...new Set(["/", ...(args.redirects ?? []).map((r) => r.prefix), ...(args.uriRoutes ?? []).map((u) => u.prefix)])];
    const onEveryPrefix = (headers: HTTPHeaderMatch[]): HTTPRouteMatch[] => prefixes.map((p) => ({ path: { type: "PathPrefix", value: p }, headers }));
    const forward = (name: string, backendRefs: HTTPBackendRef[], matches: HTTPRouteMatch[]): HTTPRouteRule => ({
        name,
        matches,
        backendRefs,
        ...(args.timeout === undefined ? {} : { timeouts: { request: args.timeout } }),
    });

    const rules: HTTPRouteRule[] = [];
    if (routed) {
        const toCanary = backends([[CANARY, 100]]);
        (args.pins ?? []).forEach((pin, i) => rules.push(forward(`canary-pin-${i}`, toCanary, onEveryPrefix([pinHeaderMatch(pin)]))));
        const ab = args.abTest;
        if (ab !== undefined) {
            const value = ab.value ?? "enabled";
            const flags: HTTPHeaderMatch[] = [];
            if (ab.header !== undefined) flags.push({ type: "Exact", name: ab.header, value });
            if (ab.cookie !== undefined) flags.push({ type: "RegularExpression", name: "cookie", value: cookieRegex(ab.cookie, value) });
            rules.push(forward("ab-test", toCanary, flags.flatMap((f) => onEveryPrefix([f]))));
        }
    }
    (args.redirects ?? []).forEach((r, i) =>
        rules.push({
            name: `redirect-${i}`,
            matches: [{ path: { type: "PathPrefix", value: r.prefix } }],
            filters: [
                {
                    type: "RequestRedirect",
                    requestRedirect: {
                        path: { type: "ReplaceFullPath", replaceFullPath: r.uri },
                        // planCanary admits only the codes istiod translates, all of them in this enum.
                        statusCode: (r.redirectCode ?? 301) as 301 | 302 | 303 | 307 | 308,
                    },
                },
            ],
        }),
    );
    (args.uriRoutes ?? []).forEach((u, i) => {
        const to =
            u.subset !== undefined ? backends([[u.subset, 100]]) : u.weights !== undefined ? backends(Object.entries(u.weights)) : split;
        const rule = forward(`uri-${i}`, to, [{ path: { type: "PathPrefix", value: u.prefix } }]);
        if (u.rewrite !== undefined) {
            rule.filters = [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: u.rewrite } } }];
        }
        rules.push(...(to === split ? splitting(rule) : [rule]));
    });
    const catchAll = forward("catch-all", split, [{ path: { type: "PathPrefix", value: "/" } }]);
    if (args.mirror !== undefined && routed) {
        const pct = args.mirror.percentage;
        const mirror: HTTPRouteFilter = {
            type: "RequestMirror",
            requestMirror: {
                backendRef: { name: versionServiceName(args.service, versionOf(CANARY)), port },
                // An integer percent as `percent`; a fraction of a percent as parts per million.
                ...(Number.isInteger(pct) ? { percent: pct } : { fraction: { numerator: Math.round(pct * 10_000), denominator: 1_000_000 } }),
            },
        };
        catchAll.filters = [mirror];
    }
    rules.push(...splitting(catchAll));
    return rules;
}

/** Problems of an HTTPRoute's size: the CRD's limits on rules and matches. */
function checkRouteSize(path: string, rules: readonly HTTPRouteRule[]): Problem[] {
    const out: Problem[] = [];
    const fix = "route fewer pins, redirects or URI routes, or use routingApi istio";
    if (rules.length > HTTPROUTE_LIMITS.rules) {
        out.push({
            propertyPath: path,
            reason: `the service needs an HTTPRoute with ${rules.length} rules (${rules.map((r) => r.name).join(", ")}); an HTTPRoute holds at most ${HTTPROUTE_LIMITS.rules} (routingApi gateway-api): ${fix}`,
        });
    }
    const total = rules.reduce((n, r) => n + (r.matches?.length ?? 0), 0);
    const widest = rules.find((r) => (r.matches?.length ?? 0) > HTTPROUTE_LIMITS.matchesPerRule);
    if (widest !== undefined) {
        out.push({
            propertyPath: path,
            reason: `the service needs rule ${show(widest.name)} with ${widest.matches?.length} matches (a pin matches every prefix of the redirects and URI routes); a rule holds at most ${HTTPROUTE_LIMITS.matchesPerRule} (routingApi gateway-api): ${fix}`,
        });
    } else if (total > HTTPROUTE_LIMITS.matchesPerRoute) {
        out.push({
            propertyPath: path,
            reason: `the service needs an HTTPRoute with ${total} matches (each pin and A/B flag matches every prefix of the redirects and URI routes); an HTTPRoute holds at most ${HTTPROUTE_LIMITS.matchesPerRoute} (routingApi gateway-api): ${fix}`,
        });
    }
    return out;
}

/**
 * A path prefix lies under a gateway route's prefix as the Gateway API matches PathPrefix: by whole path segments
 * (`/api/v2` and `/api` lie under `/api`, `/apix` does not; everything lies under `/`).
 */
export function underPrefix(path: string, root: string): boolean {
    const r = root.endsWith("/") ? root.slice(0, -1) : root;
    return r === "" || path === r || path === `${r}/` || path.startsWith(`${r}/`);
}

/** A rule of a service left out of a gateway route: none of its matches lies under that route's prefix. */
export interface DroppedRule {
    rule: string;
    prefix: string;
}

/** A gateway route's path: a prefix (whole path segments) or one exact path. */
export interface GatewayPath {
    type: "PathPrefix" | "Exact";
    value: string;
}

/** A rule a gateway route on an exact path cannot carry: it matches that path by a prefix that covers it. */
export interface CoveringRule {
    rule: string;
    /** The exact path. */
    exact: string;
    /** The rule's path prefix that covers it. */
    prefix: string;
}

/**
 * Pure: a service's mesh rules as a gateway route carries them under its prefixes (the Gateway API's counterpart of
 * istiod merging a delegate under a root route, components/routes.ts mergeUnderRoot): a match on `/` becomes a match
 * on the prefix, a match on a path under the prefix is kept, any other match is left out for that prefix. One rule
 * keeps its name and gets its matches under every prefix; a rule with no match under some prefix is named in
 * `dropped` for that prefix (gateway traffic there never takes it, mesh traffic does).
 */
export function rulesUnderPrefixes(rules: readonly HTTPRouteRule[], prefixes: readonly string[]): { rules: HTTPRouteRule[]; dropped: DroppedRule[] } {
    const { rules: out, dropped } = rulesUnderPaths(
        rules,
        prefixes.map((value) => ({ type: "PathPrefix", value })),
    );
    return { rules: out, dropped };
}

/**
 * Pure: {@link rulesUnderPrefixes} for prefixes and exact paths. On an exact path a rule's match on `/` becomes a match
 * on that path (`Exact`), with the rule's headers: so the pins, the A/B flag, the session rules and the catch-all apply
 * there. A rule with no match on `/` whose path prefix covers the exact path (a redirect or URI route on `/prod` under
 * `/prod/page`) takes that path in the mesh but cannot be carried onto it: it is named in `covering` (refused: the Istio
 * mode cannot carry it through a delegate either); any other rule takes no request on that path and is left out
 * without a word.
 */
export function rulesUnderPaths(
    rules: readonly HTTPRouteRule[],
    paths: readonly GatewayPath[],
): { rules: HTTPRouteRule[]; dropped: DroppedRule[]; covering: CoveringRule[] } {
    const out: HTTPRouteRule[] = [];
    const dropped: DroppedRule[] = [];
    const covering: CoveringRule[] = [];
    for (const rule of rules) {
        const matches: HTTPRouteMatch[] = [];
        const seen = new Set<string>();
        const add = (match: HTTPRouteMatch): void => {
            const key = JSON.stringify(match);
            if (seen.has(key)) return;
            seen.add(key);
            matches.push(match);
        };
        const own = rule.matches ?? [{}];
        for (const root of paths) {
            if (root.type === "Exact") {
                const onRoot = own.filter((m) => (m.path?.value ?? "/") === "/" || (m.path?.type === "Exact" && m.path.value === root.value));
                onRoot.forEach((m) => add({ ...m, path: { type: "Exact", value: root.value } }));
                const cover = own.find((m) => m.path !== undefined && m.path.type !== "Exact" && m.path.value !== "/" && underPrefix(root.value, m.path.value));
                if (onRoot.length === 0 && cover?.path !== undefined) covering.push({ rule: rule.name ?? "", exact: root.value, prefix: cover.path.value });
                continue;
            }
            let any = false;
            for (const m of own) {
                const p = m.path?.value ?? "/";
                const at = p === "/" ? root.value : underPrefix(p, root.value) ? p : undefined;
                if (at === undefined) continue;
                any = true;
                add({ ...m, path: { type: m.path?.type === "Exact" ? "Exact" : "PathPrefix", value: at } });
            }
            if (!any) dropped.push({ rule: rule.name ?? "", prefix: root.value });
        }
        if (matches.length > 0) out.push({ ...rule, matches });
    }
    return { rules: out, dropped, covering };
}

/** The problem of the rules a gateway route on an exact path cannot carry, at `path`. */
function coveringProblems(path: string, service: string, covering: readonly CoveringRule[]): Problem[] {
    // One rule and its session rules: the rule's name once.
    const named = covering.filter((c) => !/-(stable|canary)-session$/.test(c.rule));
    return named.map((c) => ({
        propertyPath: path,
        code: "exact-path-covered" as const,
        reason:
            `${path}: the gateway routes the exact path ${show(c.exact)} to ${service}, whose rule ${show(c.rule)} matches it by the prefix ${show(c.prefix)}: ` +
            "mesh traffic on that path takes the rule, but a gateway route on one exact path does not carry a prefix rule, so gateway traffic would skip it " +
            "(routingApi gateway-api): route the gateway by prefix, or give the rule a prefix that does not cover the path",
    }));
}

/** The warning for rules a gateway route leaves out. */
function droppedWarning(route: string, service: string, dropped: readonly DroppedRule[]): string[] {
    return dropped.map(
        (d) =>
            `HTTPRoute ${show(route)}: rule ${show(d.rule)} of ${service} matches no path under ${show(d.prefix)}, the prefix the gateway routes to ${service}; ` +
            "gateway traffic on that prefix never takes it (mesh traffic does): route the service under a prefix that covers it",
    );
}

/** Pure: validates a GatewayApiCanary's args (a Canary's checks, then the refusals) and computes its objects. */
export function planGatewayApiCanary(name: string, args: Plain<GatewayApiCanaryArgs>): GatewayApiCanaryPlan {
    const canary = planCanary(name, args);
    const problems: Problem[] = [...canary.problems, ...refusals(args)];
    const versions = new Map<string, string>([[STABLE, args.stable.version]]);
    if (args.canary?.version !== undefined) versions.set(CANARY, args.canary.version);
    for (const s of args.extraSubsets ?? []) versions.set(s.name, s.version);
    const versionOf = (subset: string): string => versions.get(subset) ?? args.stable.version;
    const port = args.port ?? 0;
    const versionServices: VersionService[] = [...versions.entries()].map(([subset, version]) => ({
        subset,
        version,
        name: versionServiceName(args.service, version),
        port,
        targetPort: args.targetPort ?? port,
    }));
    const subsetPolicy = new Map(canary.subsets.map((s) => [s.name, s.trafficPolicy]));
    const versionDestinationRules = versionServices.flatMap((v) => {
        const trafficPolicy = overlay(canary.trafficPolicy, subsetPolicy.get(v.subset));
        return trafficPolicy === undefined ? [] : [{ host: v.name, trafficPolicy }];
    });
    const ok = problems.length === 0;
    const rules = ok ? meshRules(args, versionOf) : [];
    problems.push(...checkRouteSize("", rules));
    const warnings = [...canary.warnings];
    const gatewayHttpRoutes: { name: string; spec: HTTPRouteSpec }[] = [];
    (args.gatewayRoutes ?? []).forEach((g, i) => {
        const path = `gatewayRoutes[${i}]`;
        const exacts = g.exacts ?? [];
        g.prefixes.forEach((p, j) => problems.push(...checkGatewayPathPrefix(`${path}.prefixes[${j}]`, p)));
        exacts.forEach((p, j) => problems.push(...checkGatewayPathPrefix(`${path}.exacts[${j}]`, p, "an exact path")));
        if (g.prefixes.length + exacts.length === 0) {
            problems.push({ propertyPath: path, reason: `${path} has no prefixes and no exact paths; a gateway route needs at least one` });
        }
        const paths: GatewayPath[] = [...g.prefixes.map((value) => ({ type: "PathPrefix" as const, value })), ...exacts.map((value) => ({ type: "Exact" as const, value }))];
        const under = rulesUnderPaths(rules, paths);
        warnings.push(...droppedWarning(g.name, args.service, under.dropped));
        problems.push(...coveringProblems(`${path}.exacts`, args.service, under.covering), ...checkRouteSize(path, under.rules));
        // No hostnames: the gateway serves any host (its hosts are ["*"]), and so does the HTTPRoute.
        gatewayHttpRoutes.push({ name: g.name, spec: { parentRefs: [{ ...g.parent }], ...(g.hostnames.length === 0 ? {} : { hostnames: [...g.hostnames] }), rules: under.rules } });
    });
    if (problems.length === 0) {
        const claims = args.claims ?? DestinationRuleClaims.global;
        for (const dr of versionDestinationRules) {
            problems.push(...claims.claim(dr.host, args.namespace, `${GATEWAY_API_CANARY_TOKEN} ${JSON.stringify(name)}`, "service"));
        }
    }
    return {
        problems,
        warnings,
        destinationRule: { subsets: canary.subsets, trafficPolicy: canary.trafficPolicy },
        versionServices,
        versionDestinationRules,
        httpRoute: { parentRefs: [{ group: "", kind: "Service", name: args.service }], rules },
        gatewayHttpRoutes,
        weights: canary.weights,
    };
}

// ---------------------------------------------------------------------------------------------------
// The ingress (GatewayApiIngress)
// ---------------------------------------------------------------------------------------------------

/** One ingress route: a URI prefix or an exact path to the version Services of a service, weighted like its catch-all. */
export interface GatewayApiIngressRoute {
    /** URI prefix, starting with "/" (a Gateway API PathPrefix: whole path segments). Exactly one of prefix and exact. */
    prefix?: string;
    /** One exact path, starting with "/" (a Gateway API `Exact` path match). Exactly one of prefix and exact. */
    exact?: string;
    /** The service routed to (its name, for messages and the route's name). */
    service: string;
    /** Weighted backends: the service's version Services (see {@link ingressBackends}). At least one. */
    backends: HTTPBackendRef[];
    /**
     * The service's mesh rules (its HTTPRoute's), carried under `prefix` or on `exact` ({@link rulesUnderPaths}): pins, A/B
     * flag, redirects, URI routes and session rules for gateway traffic too. Default: `sessionRules`, then one rule
     * to `backends`.
     */
    rules?: HTTPRouteRule[];
    /** Rules before the route's own, in its HTTPRoute: the rules that pin a session to its version ({@link gatewaySession}). Default none. */
    sessionRules?: HTTPRouteRule[];
}

/** Arguments of `GatewayApiIngress`: an ingress Gateway (class `istio`) and an HTTPRoute per route. */
export interface GatewayApiIngressArgs {
    /** Namespace of the Gateway and the HTTPRoutes. */
    namespace: DeepInput<string>;
    /** External hosts, e.g. ["sample-app.example.com"]: the HTTPRoutes' hostnames. At least one. */
    hosts: DeepInput<string[]>;
    /**
     * `HTTPS` (default): an HTTP listener whose HTTPRoute redirects to the HTTPS listener. `HTTP`: one plain-HTTP listener
     * on `httpPort` that the routes attach to, no TLS and no redirect (`tls` and `httpsPort` refused). Plain: it decides
     * whether the redirect HTTPRoute exists.
     */
    protocol?: IngressProtocol;
    /** HTTPS listener TLS: Terminate with the Secret `credentialName`; MUTUAL through Istio's listener option. Required with HTTPS, refused with HTTP. */
    tls?: DeepInput<IngressTlsArgs>;
    /** HTTP listener port: redirected to HTTPS, or with protocol HTTP the listener the routes attach to. Default 80. */
    httpPort?: DeepInput<number>;
    /** HTTPS listener port. Default 443. Refused with protocol HTTP. */
    httpsPort?: DeepInput<number>;
    /**
     * Routes by prefix or exact path; an exact path first, then the longest prefix (the Istio mode refuses a shadowed route, so the orders agree). Empty: the
     * Gateway's routes are attached by other stacks (a platform stack's, by its service stacks). The list is plain (one
     * HTTPRoute each); each route's values accept Inputs.
     */
    routes: DeepInput<GatewayApiIngressRoute>[];
    /**
     * Namespaces whose HTTPRoutes the HTTPS listener (with protocol HTTP: the HTTP listener) admits (the services it serves). Default `[namespace]`: the
     * Gateway's own (`from: Same`); any other set is a namespace selector on `kubernetes.io/metadata.name`.
     */
    routeNamespaces?: DeepInput<string[]>;
    /** Extra labels on every object. Default none. */
    labels?: DeepInput<Record<string, string>>;
    /** Annotate every object with `pulumi.com/skipAwait: "true"` (no controller reports its status). Default false. */
    skipAwait?: DeepInput<boolean>;
    /**
     * `ClusterIP`: the Service istiod makes for the Gateway is reachable in the cluster only (Istio's annotation
     * `networking.istio.io/service-type` on the Gateway), e.g. for an internal gateway. Default: Istio's (LoadBalancer).
     */
    serviceType?: DeepInput<"ClusterIP">;
}

/** The label every namespace carries with its name (Kubernetes sets it), for a Gateway's namespace selector. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** A listener's `allowedRoutes` admitting exactly `namespaces` (the Gateway's own: `Same`). */
export function allowedRoutesFor(gatewayNamespace: string, namespaces: readonly string[]): AllowedRoutes {
    const set = [...new Set(namespaces)].sort();
    if (set.length === 1 && set[0] === gatewayNamespace) {
        return { namespaces: { from: "Same" } };
    }
    return { namespaces: { from: "Selector", selector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: "In", values: set }] } } };
}

/** The annotations of an object whose readiness nothing reports (`skipAwait`). */
export function skipAwaitAnnotations(skipAwait: boolean | undefined): Record<string, string> {
    return skipAwait === true ? { "pulumi.com/skipAwait": "true" } : {};
}

/** What a GatewayApiIngress emits. */
export interface GatewayApiIngressPlan {
    problems: Problem[];
    /** Gateway routes that leave a service's rule out (its prefix is not under the route's). */
    warnings: string[];
    gateway: GatewayApiGatewaySpec;
    /** The HTTPRoute of the HTTP listener: a redirect to HTTPS. Undefined with protocol HTTP. */
    redirectRoute: HTTPRouteSpec | undefined;
    /** One HTTPRoute per route, by name (`<name>-<index>`). */
    routes: { name: string; spec: HTTPRouteSpec }[];
}

/** The weighted backends of a service's ingress route: its version Services, 0-weight ones left out. */
export function ingressBackends(service: string, port: number, versions: { stable: string; canary?: string }, weights: Weights): HTTPBackendRef[] {
    const entries: [string, number][] = [[versions.stable, weights.stable]];
    if (versions.canary !== undefined) entries.push([versions.canary, weights.canary]);
    return entries.filter(([, w]) => w > 0).map(([v, w]) => ({ name: versionServiceName(service, v), port, weight: w }));
}

/**
 * A service's ingress route under `prefix`: its weighted backends and, when its sessions are sticky, the rules that pin
 * a session to its version (the mesh route's, {@link gatewaySession}), so a session stays on its version through the
 * gateway as through the mesh.
 */
export function ingressRoute(
    path: { prefix: string } | { exact: string },
    service: string,
    port: number,
    versions: { stable: string; canary?: string },
    canary: CanaryState | undefined,
): GatewayApiIngressRoute {
    const backends = ingressBackends(service, port, versions, liveWeights(canary));
    const session = gatewaySession(service, port, canary, versions);
    if (session === undefined) {
        return { ...path, service, backends };
    }
    return {
        ...path,
        service,
        backends: session.backends(backends),
        sessionRules: session.rules({ name: "route", matches: [{ path: ingressPathMatch(path) }] }),
    };
}

/** The Gateway API path match of an ingress route: PathPrefix, or Exact for an exact path. */
export function ingressPathMatch(r: { prefix?: string; exact?: string }): { type: "PathPrefix" | "Exact"; value: string } {
    return r.exact !== undefined && r.prefix === undefined ? { type: "Exact", value: r.exact } : { type: "PathPrefix", value: r.prefix ?? "" };
}

/** Istio's listener option for client-certificate validation (Gateway API has no MUTUAL mode of its own). */
export const ISTIO_TLS_TERMINATE_MODE = "gateway.istio.io/tls-terminate-mode";

/**
 * Pure: validates a GatewayApiIngress's args (an IngressGateway's checks) and computes its objects. Hosts `["*"]` (with
 * `*` alone): any host, so neither the listeners nor the HTTPRoutes name a hostname.
 */
export function planGatewayApiIngress(name: string, args: Plain<GatewayApiIngressArgs>): GatewayApiIngressPlan {
    const protocol = args.protocol ?? "HTTPS";
    const plainHttp = protocol === "HTTP";
    const httpPort = args.httpPort ?? 80;
    const httpsPort = args.httpsPort ?? 443;
    const istio = planIngressGateway(name, {
        namespace: args.namespace,
        hosts: args.hosts,
        ...(args.tls === undefined ? {} : { tls: args.tls }),
        protocol,
        httpPort,
        ...(plainHttp ? (args.httpsPort === undefined ? {} : { httpsPort: args.httpsPort }) : { httpsPort }),
        routes: args.routes.map((r) => ({ ...(r.prefix === undefined ? {} : { prefix: r.prefix }), ...(r.exact === undefined ? {} : { exact: r.exact }), host: r.service })),
    });
    // No routes: other stacks attach theirs (a platform stack's Gateway, whose routes its service stacks own).
    const problems = istio.problems.filter((p) => !(args.routes.length === 0 && p.propertyPath === "routes"));
    args.routes.forEach((r, i) => {
        if (r.prefix !== undefined) problems.push(...checkGatewayPathPrefix(`routes[${i}].prefix`, r.prefix));
        // (one not starting with "/" is refused once, by the IngressGateway's checks)
        if (r.exact?.startsWith("/") === true) problems.push(...checkGatewayPathPrefix(`routes[${i}].exact`, r.exact, "an exact path"));
        if (r.backends.length === 0 || r.backends.length > HTTPROUTE_LIMITS.backendRefs) {
            problems.push({
                propertyPath: `routes[${i}].backends`,
                reason: `routes[${i}].backends has ${r.backends.length} entries; a route needs 1 to ${HTTPROUTE_LIMITS.backendRefs} backends`,
            });
        }
    });
    if (args.routeNamespaces !== undefined && args.routeNamespaces.length === 0) {
        problems.push({ propertyPath: "routeNamespaces", reason: `routeNamespaces is []; the ${plainHttp ? "HTTP" : "HTTPS"} listener must admit the routes of at least one namespace (default: the Gateway's)` });
    }
    const hosts = args.hosts.filter((h) => h !== "*");
    if (hosts.length !== args.hosts.length && hosts.length > 0) {
        problems.push(
            refuse(
                "hosts",
                args.hosts,
                'an HTTPRoute hostname cannot be "*": "*" alone means any host (the HTTPRoutes name none), beside named ones it is no hostname',
                'use ["*"] alone for any host, or leave "*" out',
            ),
        );
    }
    const parent = (sectionName: string) => ({ name, sectionName });
    const admitted = allowedRoutesFor(args.namespace, args.routeNamespaces ?? [args.namespace]);
    const hostnames = hosts.length === 0 ? {} : { hostnames: hosts };
    const tls: Partial<IngressTlsArgs> = args.tls ?? {};
    const gateway: GatewayApiGatewaySpec = plainHttp
        ? { gatewayClassName: "istio", listeners: [{ name: "http", port: httpPort, protocol: "HTTP", allowedRoutes: admitted }] }
        : {
              gatewayClassName: "istio",
              listeners: [
                  { name: "http", port: httpPort, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } },
                  {
                      name: "https",
                      port: httpsPort,
                      protocol: "HTTPS",
                      tls: {
                          mode: "Terminate",
                          certificateRefs: [{ group: "", kind: "Secret" as const, name: tls.credentialName ?? "" }],
                          ...(tls.mode === "MUTUAL" ? { options: { [ISTIO_TLS_TERMINATE_MODE]: "MUTUAL" } } : {}),
                      },
                      allowedRoutes: admitted,
                  },
              ],
          };
    const redirectRoute: HTTPRouteSpec | undefined = plainHttp
        ? undefined
        : {
              parentRefs: [parent("http")],
              ...hostnames,
              rules: [
                  {
                      name: "https-redirect",
                      filters: [
                          {
                              type: "RequestRedirect",
                              requestRedirect: { scheme: "https", ...(httpsPort === 443 ? {} : { port: httpsPort }), statusCode: 301 },
                          },
                      ],
                  },
              ],
          };
    const warnings: string[] = [];
    const routes = args.routes.map((r, i) => {
        const routeName = `${name}-${i}`;
        const path = ingressPathMatch(r);
        let rules: HTTPRouteRule[] = [...(r.sessionRules ?? []), { name: "route", matches: [{ path }], backendRefs: r.backends.map((b) => ({ ...b })) }];
        if (r.rules !== undefined && r.rules.length > 0) {
            const under = rulesUnderPaths(r.rules, [path]);
            warnings.push(...droppedWarning(routeName, r.service, under.dropped));
            problems.push(...coveringProblems(`routes[${i}].rules`, r.service, under.covering), ...checkRouteSize(`routes[${i}]`, under.rules));
            rules = under.rules;
        }
        return { name: routeName, spec: { parentRefs: [parent(plainHttp ? "http" : "https")], ...hostnames, rules } };
    });
    return { problems, warnings, gateway, redirectRoute, routes };
}

// ---------------------------------------------------------------------------------------------------
// Ambient waypoints (Waypoint)
// ---------------------------------------------------------------------------------------------------

export const WAYPOINT_TOKEN = "mesh-traffic:index:Waypoint";

/** Istio's gateway class of waypoint proxies. */
export const WAYPOINT_CLASS = "istio-waypoint";
/** The label that sends a namespace's or a Service's traffic through a waypoint (its value: the waypoint's name). */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";
/** The label that says what a waypoint proxies: service, workload or all. */
export const WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";
/** The namespace label that puts a namespace's pods in ambient mode. */
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";
/** The waypoint name Istio reserves: `istio.io/use-waypoint: none` opts out of the namespace's. */
export const RESERVED_WAYPOINT = "none";

/** Arguments of `Waypoint`: an ambient waypoint proxy, as `istioctl waypoint generate` writes it. */
export interface WaypointArgs {
    /** Namespace of the Gateway. */
    namespace: string;
    /** What it proxies (`istio.io/waypoint-for`). Default: Istio's (service; no label). */
    waypointFor?: "service" | "workload" | "all";
    /** Extra labels. Default none. */
    labels?: Record<string, string>;
    /** Annotate with `pulumi.com/skipAwait: "true"` (no controller reports its status). Default false. */
    skipAwait?: boolean;
}

/** What a Waypoint emits. */
export interface WaypointPlan {
    problems: Problem[];
    gateway: GatewayApiGatewaySpec;
    labels: Record<string, string>;
}

/**
 * Pure: a waypoint's Gateway: class `istio-waypoint`, one listener `mesh` on port 15008 speaking HBONE (what
 * istioctl's `waypoint generate` writes, istioctl/pkg/waypoint of the pinned istio module).
 */
export function planWaypoint(name: string, args: WaypointArgs): WaypointPlan {
    const problems: Problem[] = [];
    if (name === RESERVED_WAYPOINT) {
        problems.push({ propertyPath: "name", reason: `name is ${show(name)}; Istio reserves it (istio.io/use-waypoint: none opts out of a namespace's waypoint): choose another name` });
    }
    return {
        problems,
        gateway: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] },
        labels: args.waypointFor === undefined ? {} : { [WAYPOINT_FOR_LABEL]: args.waypointFor },
    };
}
