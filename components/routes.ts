/**
 * Pure route arithmetic for the canary VirtualService and the gateway-bound VirtualServices: which HTTP
 * routes exist, in which order, with which weights. No resources and no I/O (the problems are plain values): table- and property-tested.
 *
 * Order of the canary VirtualService's `http` routes (Istio evaluates them top to bottom, first match wins):
 *   1. the header-only fault route, when faults carry a `header` (so the fault never hits other traffic),
 *   2. header/cookie-pinned canary routes,
 *   3. A/B rules (a header or cookie flag sends the request to the canary),
 *   4. redirects, then URI-prefix routes (to a subset, to a split, optionally with a rewrite),
 *   5. the weighted catch-all, always last: stable 100-w, canary w; a 0-weight destination is omitted.
 * When the canary is not routed (or has no version) no route names the canary subset at all.
 */
import { CANARY, STABLE } from "./subsets";
import type {
    Delegate,
    HTTPFaultInjection,
    HTTPMatchRequest,
    HTTPRetry,
    HTTPRoute,
    HTTPRouteDestination,
    StringMatch,
} from "./istio/types";
import {
    checkDuration,
    checkHttpStatus,
    checkNonEmpty,
    checkPercentage,
    checkPort,
    checkRange,
    checkNoControlChars,
    checkRe2,
    checkRetryOn,
    checkWeight,
    checkWeightsSum,
    parseGoDuration,
    Problem,
    show,
} from "./validation";

// ---------------------------------------------------------------------------------------------------
// Argument shapes (shared with Canary, IngressGateway, InternalGateway)
// ---------------------------------------------------------------------------------------------------

/** Pin requests whose header matches to the canary. Exactly one of exact, prefix, regex (RE2). */
export interface HeaderPin {
    /** Header name, lower-case (Istio matches header names lower-cased). */
    header: string;
    exact?: string;
    prefix?: string;
    regex?: string;
}

/**
 * Pin requests that carry cookie `<cookie>=<value>` to the canary. Istio has no cookie matcher: this
 * becomes a regex on the `cookie` header, `^(.*?;\s*)?<cookie>=<value>(;.*)?$`.
 */
export interface CookiePin {
    cookie: string;
    value: string;
}

export type CanaryPin = HeaderPin | CookiePin;

/**
 * A/B test: requests with header `<header>: <value>` and/or cookie `<cookie>=<value>` go to the canary;
 * every other request follows the weighted catch-all (the canary weight is the split of the rest).
 */
export interface AbTestArgs {
    /** Flag header name, e.g. "x-new-feature". At least one of header, cookie. */
    header?: string;
    /** Flag cookie name, e.g. "new-feature". */
    cookie?: string;
    /** Flag value. Default "enabled". */
    value?: string;
}

/** Send a URI prefix to one subset, or split it by explicit weights, optionally rewriting the URI. */
export interface UriRouteArgs {
    /** URI prefix, starting with "/". */
    prefix: string;
    /** Subset that receives the traffic ("stable", "canary" or an extra subset). Default: the catch-all split. */
    subset?: string;
    /** Explicit split by subset name, integer percent summing to 100. Excludes `subset`. */
    weights?: Record<string, number>;
    /** Rewrite the matched prefix to this URI before forwarding. Default: no rewrite. */
    rewrite?: string;
}

/** The redirect codes istiod translates to Envoy (RedirectAction.ResponseCode); it drops the action for any other. */
export const ENVOY_REDIRECT_CODES: readonly number[] = [301, 302, 303, 307, 308];

/** Answer a URI prefix with an HTTP redirect. */
export interface RedirectArgs {
    /** URI prefix, starting with "/". */
    prefix: string;
    /** Target URI. */
    uri: string;
    /** 3xx status. Default 301. */
    redirectCode?: number;
}

/** Fault injection: delay and/or abort, for every request or only for requests with a header. */
export interface FaultArgs {
    /** Delay `percentage` percent (0..100) of requests by `fixedDelay` (Go duration, >= 1ms). */
    delay?: { percentage: number; fixedDelay: string };
    /** Abort `percentage` percent (0..100) of requests with `httpStatus` (200..599). */
    abort?: { percentage: number; httpStatus: number };
    /** Only requests with this header (exact value) get the fault. Default: every request. */
    header?: { name: string; value: string };
}

/** Retry policy of every forwarding route. */
export interface RetryArgs {
    /** Attempts, integer 0..100 (0 disables retries). */
    attempts: number;
    /** Timeout per attempt, Go duration. Default: Istio's (the route timeout). */
    perTryTimeout?: string;
    /** Envoy retry conditions, comma-separated, e.g. "5xx,reset,connect-failure,refused-stream". */
    retryOn?: string;
}

/**
 * Sticky canary sessions: while the canary takes a share of the split, the version that served a session's first
 * request serves the rest. Each version's destination in the split adds a `Set-Cookie` naming it and the release
 * (`<cookieName>=<stable|canary>_<revision>`), and routes before the split send a request carrying that cookie to
 * that version (renewing the cookie). See {@link stickySession}.
 */
export interface SessionAffinityArgs {
    /** Cookie name, an HTTP token. Default `canary-<service>`. */
    cookieName?: string;
    /** Max-Age of the cookie, Go duration of whole seconds, at least 1s. Default "24h". */
    maxAge?: string;
}

/** Canary state as the stack config states it. */
export interface CanaryState {
    /** Version label of the canary subset; absent = no canary subset. */
    version?: string;
    /** Canary percent of the catch-all, integer 0..100. Default 0. */
    weight?: number;
    /** false = keep the canary subset but route nothing to it. Default true. */
    routed?: boolean;
    /** Sticky sessions while the canary takes a share of the split. Default: off. */
    sessionAffinity?: SessionAffinityArgs;
    /**
     * The release the session cookies name (lower-case letters, digits and '-', at most 32): a new release's routes
     * never match an old release's cookie. Default: the canary version.
     */
    revision?: string;
}

/** Live weights of the catch-all route, percent. */
export interface Weights {
    stable: number;
    canary: number;
}

/** Everything that decides the canary VirtualService's HTTP routes. */
export interface RoutingInput {
    /** Destination host (the Kubernetes Service). */
    host: string;
    /** Destination port. Default: none (Istio uses the service's only port). */
    port?: number;
    /** Subsets the DestinationRule defines. */
    subsets: readonly string[];
    canary?: CanaryState;
    pins?: readonly CanaryPin[];
    abTest?: AbTestArgs;
    redirects?: readonly RedirectArgs[];
    uriRoutes?: readonly UriRouteArgs[];
    /** Mirror this percent (0..100) of catch-all traffic to the canary. */
    mirror?: { percentage: number };
    /** Route timeout, Go duration. */
    timeout?: string;
    retries?: RetryArgs;
    faults?: FaultArgs;
}

// ---------------------------------------------------------------------------------------------------
// Weights
// ---------------------------------------------------------------------------------------------------

/** True when the canary gets routes: it has a version and `routed` is not false. */
export function canaryRouted(canary: CanaryState | undefined): boolean {
    return canary?.version !== undefined && (canary.routed ?? true);
}

/** The catch-all split: canary w, stable 100-w; canary 0 when it is not routed. */
export function liveWeights(canary: CanaryState | undefined): Weights {
    const w = canaryRouted(canary) ? (canary?.weight ?? 0) : 0;
    return { stable: 100 - w, canary: w };
}

/**
 * Weighted destinations for `host` by subset, in the given order, leaving out 0-weight entries; a lone
 * destination carries no weight (Istio gives it 100).
 */
export function weightedDestinations(
    host: string,
    port: number | undefined,
    weights: ReadonlyArray<readonly [subset: string, weight: number]>,
): HTTPRouteDestination[] {
    const kept = weights.filter(([, w]) => w > 0);
    return kept.map(([subset, w]) => {
        const destination = port === undefined ? { host, subset } : { host, subset, port: { number: port } };
        return kept.length === 1 ? { destination } : { destination, weight: w };
    });
}

/** The catch-all destinations: stable then canary. */
export function splitDestinations(host: string, port: number | undefined, weights: Weights): HTTPRouteDestination[] {
    return weightedDestinations(host, port, [
        [STABLE, weights.stable],
        [CANARY, weights.canary],
    ]);
}

// ---------------------------------------------------------------------------------------------------
// Matches
// ---------------------------------------------------------------------------------------------------

/** `s` with every RE2 metacharacter escaped (a literal inside a regex). */
export function escapeRe2(s: string): string {
    return s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/** The `cookie` header regex that matches cookie `<name>=<value>` anywhere in the header. */
export function cookieRegex(name: string, value: string): string {
    return `^(.*?;\\s*)?${escapeRe2(name)}=${escapeRe2(value)}(;.*)?$`;
}

/** The default Max-Age of a session cookie. */
export const DEFAULT_SESSION_MAX_AGE = "24h";

/** The default session cookie name of a service. */
export function defaultSessionCookie(service: string): string {
    return `canary-${service}`;
}

/** The session cookies of a service's routes while they are sticky: the cookie name, each version's value and `Set-Cookie`. */
export interface StickySession {
    cookieName: string;
    /** Max-Age, whole seconds. */
    maxAgeSeconds: number;
    /** The cookie value of each version: `<role>_<revision>`. */
    values: Readonly<Record<typeof STABLE | typeof CANARY, string>>;
    /** The `Set-Cookie` header value each version's destination adds. */
    setCookie: Readonly<Record<typeof STABLE | typeof CANARY, string>>;
    /** The `cookie` request header regex that carries each version's cookie. */
    match: Readonly<Record<typeof STABLE | typeof CANARY, string>>;
}

/** The `Set-Cookie` header value of a session cookie (HttpOnly: no script needs a routing cookie; Path=/: every path of the host). */
export function sessionSetCookie(name: string, value: string, maxAgeSeconds: number): string {
    return `${name}=${value}; Max-Age=${maxAgeSeconds}; Path=/; HttpOnly`;
}

/**
 * The session cookies of `service` for this canary state, or undefined when its routes are not sticky: session
 * affinity is off, or the canary takes no share of the split (not routed, no version, weight 0). So promotion and
 * rollback (both route nothing to the canary) remove every sticky route at once, and a cookie names its release
 * (`revision`, default the canary version): a later release never matches it. Assumes a state that passed
 * {@link checkRouting}.
 */
export function stickySession(service: string, canary: CanaryState | undefined): StickySession | undefined {
    const sa = canary?.sessionAffinity;
    if (sa === undefined || !canaryRouted(canary) || (canary?.weight ?? 0) === 0) {
        return undefined;
    }
    const cookieName = sa.cookieName ?? defaultSessionCookie(service);
    const maxAgeSeconds = Math.round((parseGoDuration(sa.maxAge ?? DEFAULT_SESSION_MAX_AGE) ?? 0) / 1e9);
    const revision = canary?.revision ?? canary?.version ?? "";
    const value = (role: string): string => `${role}_${revision}`;
    const values = { [STABLE]: value(STABLE), [CANARY]: value(CANARY) } as Record<typeof STABLE | typeof CANARY, string>;
    return {
        cookieName,
        maxAgeSeconds,
        values,
        setCookie: { [STABLE]: sessionSetCookie(cookieName, values[STABLE], maxAgeSeconds), [CANARY]: sessionSetCookie(cookieName, values[CANARY], maxAgeSeconds) } as Record<typeof STABLE | typeof CANARY, string>,
        match: { [STABLE]: cookieRegex(cookieName, values[STABLE]), [CANARY]: cookieRegex(cookieName, values[CANARY]) } as Record<typeof STABLE | typeof CANARY, string>,
    };
}

function isCookiePin(pin: CanaryPin): pin is CookiePin {
    return "cookie" in pin;
}

function headerMatch(pin: HeaderPin): StringMatch | undefined {
    if (pin.exact !== undefined) return { exact: pin.exact };
    if (pin.prefix !== undefined) return { prefix: pin.prefix };
    if (pin.regex !== undefined) return { regex: pin.regex };
    return undefined;
}

function pinMatch(pin: CanaryPin): HTTPMatchRequest {
    if (isCookiePin(pin)) {
        return { headers: { cookie: { regex: cookieRegex(pin.cookie, pin.value) } } };
    }
    return { headers: { [pin.header]: headerMatch(pin) ?? { exact: "" } } };
}

// ---------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

function checkHeaderName(path: string, name: string): Problem[] {
    return HEADER_NAME.test(name)
        ? []
        : [{ propertyPath: path, reason: `${path} is ${show(name)}; it must be a lower-case HTTP header name such as "x-canary"` }];
}

function checkPrefix(path: string, prefix: string): Problem[] {
    return prefix.startsWith("/") ? [] : [{ propertyPath: path, reason: `${path} is ${show(prefix)}; it must be a URI prefix starting with "/"` }];
}

/** A URI prefix match and the path of the route (or redirect) it belongs to, e.g. `uriRoutes[1]`. */
export interface PrefixAt {
    prefix: string;
    path: string;
}

/**
 * The problem of a prefix route that can never match: Istio evaluates routes top to bottom and the first
 * match wins, so a prefix that starts with an earlier route's prefix (or equals it) is shadowed by it.
 * `earlier` is every prefix route before `route`, in order; the first shadowing one is named.
 */
export function checkShadowedPrefix(route: PrefixAt, earlier: readonly PrefixAt[]): Problem[] {
    const shadow = earlier.find((s) => route.prefix.startsWith(s.prefix));
    if (shadow === undefined) {
        return [];
    }
    return [
        {
            propertyPath: `${route.path}.prefix`,
            reason: `${route.path}.prefix is ${show(route.prefix)}; it is shadowed by ${shadow.path}.prefix ${show(shadow.prefix)}, which matches first; put the longer prefix first or remove one`,
        },
    ];
}

function checkSubsetRef(path: string, subset: string, input: RoutingInput): Problem[] {
    if (!input.subsets.includes(subset)) {
        return [
            {
                propertyPath: path,
                reason: `${path} is ${show(subset)}; it must name a subset the DestinationRule of ${show(input.host)} defines (${input.subsets.map((s) => show(s)).join(", ")})`,
            },
        ];
    }
    if (subset === CANARY && input.canary?.version === undefined) {
        return [{ propertyPath: path, reason: `${path} is "canary" but canary.version is not set; set canary.version or route to another subset` }];
    }
    return [];
}

/** The header-pin fields a pin sets. */
const HEADER_PIN_FIELDS = ["header", "exact", "prefix", "regex"] as const;

/**
 * A pin that is neither a header pin nor a cookie pin: the `CanaryPin` union's exclusions, which TypeScript enforces
 * and a schema without unions (the component provider's flattened `CanaryPinArgs`) cannot.
 */
function checkPinKind(p: string, pin: CanaryPin): Problem[] {
    const fields = pin as Partial<HeaderPin & CookiePin>;
    const headerFields = HEADER_PIN_FIELDS.filter((f) => fields[f] !== undefined);
    const shape = "a pin is a header pin { header, one of exact, prefix, regex } or a cookie pin { cookie, value }";
    if (fields.cookie !== undefined && headerFields.length > 0) {
        return [{ propertyPath: p, reason: `${p} sets cookie and ${headerFields.join(", ")}; ${shape}, not both` }];
    }
    if (fields.cookie === undefined && fields.header === undefined) {
        return [{ propertyPath: p, reason: `${p} sets neither header nor cookie; ${shape}` }];
    }
    return [];
}

function checkPins(pins: readonly CanaryPin[]): Problem[] {
    return pins.flatMap((pin, i) => {
        const p = `pins[${i}]`;
        const kind = checkPinKind(p, pin);
        if (kind.length > 0) return kind;
        if (isCookiePin(pin)) {
            return [
                ...checkNonEmpty(`${p}.cookie`, pin.cookie),
                ...checkNoControlChars(`${p}.cookie`, pin.cookie),
                ...checkNonEmpty(`${p}.value`, pin.value),
                ...checkNoControlChars(`${p}.value`, pin.value),
            ];
        }
        const set = [pin.exact, pin.prefix, pin.regex].filter((v) => v !== undefined).length;
        const problems = checkHeaderName(`${p}.header`, pin.header);
        if (set !== 1) {
            problems.push({
                propertyPath: p,
                reason: `${p} sets ${set} of exact, prefix, regex; it must set exactly one`,
            });
        }
        return [
            ...problems,
            ...checkNoControlChars(`${p}.exact`, pin.exact),
            ...checkNoControlChars(`${p}.prefix`, pin.prefix),
            ...checkNoControlChars(`${p}.regex`, pin.regex),
            ...checkRe2(`${p}.regex`, pin.regex),
        ];
    });
}

function checkUriRules(input: RoutingInput): Problem[] {
    const problems: Problem[] = [];
    const seen: PrefixAt[] = [];
    const visit = (path: string, prefix: string) => {
        problems.push(...checkPrefix(`${path}.prefix`, prefix), ...checkShadowedPrefix({ prefix, path }, seen));
        seen.push({ prefix, path });
    };
    (input.redirects ?? []).forEach((r, i) => {
        const p = `redirects[${i}]`;
        visit(p, r.prefix);
        const code = checkRange(`${p}.redirectCode`, r.redirectCode, 300, 399, true);
        if (code.length === 0 && r.redirectCode !== undefined && !ENVOY_REDIRECT_CODES.includes(r.redirectCode)) {
            // Istio's schema and webhook accept any 3xx, but istiod translates only these: for any other code it logs
            // "Redirect Code N is not yet supported" and sends the route without an action (Envoy rejects it).
            code.push({
                propertyPath: `${p}.redirectCode`,
                reason: `${p}.redirectCode is ${r.redirectCode}; istiod only translates ${ENVOY_REDIRECT_CODES.join(", ")} (any other 3xx route is sent without an action and Envoy rejects it): use one of them`,
            });
        }
        problems.push(...checkNonEmpty(`${p}.uri`, r.uri), ...code);
    });
    (input.uriRoutes ?? []).forEach((r, i) => {
        const p = `uriRoutes[${i}]`;
        visit(p, r.prefix);
        if (r.rewrite !== undefined && r.rewrite.length === 0) {
            problems.push({ propertyPath: `${p}.rewrite`, reason: `${p}.rewrite is ""; it must be a non-empty URI such as "/"; remove the key for no rewrite` });
        }
        if (r.subset !== undefined && r.weights !== undefined) {
            problems.push({ propertyPath: p, reason: `${p} sets both subset and weights; it must set at most one` });
        }
        if (r.subset !== undefined) {
            problems.push(...checkSubsetRef(`${p}.subset`, r.subset, input));
        }
        if (r.weights !== undefined) {
            const entries = Object.entries(r.weights);
            for (const [subset, w] of entries) {
                problems.push(...checkSubsetRef(`${p}.weights.${subset}`, subset, input), ...checkWeight(`${p}.weights.${subset}`, w));
            }
            problems.push(...checkWeightsSum(`${p}.weights`, entries.map(([, w]) => w)));
        }
    });
    return problems;
}

/** An HTTP token (RFC 9110), what a cookie name is made of. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A release revision: lower-case letters, digits and '-', at most 32, so that it is a cookie value and a label. */
const REVISION = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

function checkSessionAffinity(canary: CanaryState | undefined): Problem[] {
    const problems: Problem[] = [];
    if (canary?.revision !== undefined && !REVISION.test(canary.revision)) {
        problems.push({
            propertyPath: "canary.revision",
            reason: `canary.revision is ${show(canary.revision)}; it must be 1 to 32 lower-case letters, digits and '-', starting and ending with a letter or digit, such as "r2x9k" (the session cookies carry it)`,
        });
    }
    const sa = canary?.sessionAffinity;
    if (sa === undefined) {
        return problems;
    }
    if (sa.cookieName !== undefined && !COOKIE_NAME.test(sa.cookieName)) {
        problems.push({
            propertyPath: "canary.sessionAffinity.cookieName",
            reason: `canary.sessionAffinity.cookieName is ${show(sa.cookieName)}; a cookie name must be an HTTP token (letters, digits and !#$%&'*+-.^_\`|~; no spaces, '=' or ';'), such as "canary-checkout"`,
        });
    }
    const maxAge = sa.maxAge ?? DEFAULT_SESSION_MAX_AGE;
    const nanos = parseGoDuration(maxAge);
    if (nanos === undefined || nanos < 1e9 || nanos % 1e9 !== 0) {
        problems.push({
            propertyPath: "canary.sessionAffinity.maxAge",
            reason: `canary.sessionAffinity.maxAge is ${show(maxAge)}; it must be a Go duration of whole seconds, at least 1s, such as "30m" or "24h" (a cookie's Max-Age counts seconds)`,
        });
    }
    return problems;
}

function checkFaults(f: FaultArgs): Problem[] {
    const problems: Problem[] = [];
    if (f.delay === undefined && f.abort === undefined) {
        problems.push({ propertyPath: "faults", reason: "faults sets neither delay nor abort; set one of them or remove faults" });
    }
    if (f.delay !== undefined) {
        problems.push(...checkPercentage("faults.delay.percentage", f.delay.percentage), ...checkDuration("faults.delay.fixedDelay", f.delay.fixedDelay));
    }
    if (f.abort !== undefined) {
        problems.push(...checkPercentage("faults.abort.percentage", f.abort.percentage), ...checkHttpStatus("faults.abort.httpStatus", f.abort.httpStatus));
    }
    if (f.header !== undefined) {
        problems.push(...checkHeaderName("faults.header.name", f.header.name), ...checkNoControlChars("faults.header.value", f.header.value));
    }
    return problems;
}

/** Every problem in a {@link RoutingInput}; property paths are relative to the component's args. */
export function checkRouting(input: RoutingInput): Problem[] {
    const problems: Problem[] = [...checkPort("port", input.port)];
    const canary = input.canary;
    if (canary !== undefined) {
        problems.push(...checkWeight("canary.weight", canary.weight));
        if (canary.version === undefined && (canary.weight ?? 0) > 0) {
            problems.push({
                propertyPath: "canary.weight",
                reason: `canary.weight is ${show(canary.weight)} but canary.version is not set; set canary.version or set the weight to 0`,
            });
        }
    }
    for (const subset of [STABLE, ...(canaryRouted(canary) ? [CANARY] : [])]) {
        problems.push(...checkSubsetRef(subset === STABLE ? "stable" : "canary", subset, input));
    }
    problems.push(...checkSessionAffinity(canary));
    problems.push(...checkPins(input.pins ?? []));
    const ab = input.abTest;
    if (ab !== undefined) {
        if (ab.header === undefined && ab.cookie === undefined) {
            problems.push({ propertyPath: "abTest", reason: "abTest sets neither header nor cookie; set at least one flag" });
        }
        if (ab.header !== undefined) problems.push(...checkHeaderName("abTest.header", ab.header));
        if (ab.cookie !== undefined) problems.push(...checkNonEmpty("abTest.cookie", ab.cookie));
        if (ab.value !== undefined) problems.push(...checkNonEmpty("abTest.value", ab.value), ...checkNoControlChars("abTest.value", ab.value));
        problems.push(...checkNoControlChars("abTest.cookie", ab.cookie));
    }
    problems.push(...checkUriRules(input));
    if (input.mirror !== undefined) {
        // Like pins and A/B rules, a mirror only exists while the canary is routed (promotion removes
        // canary.version and must not fail on a mirror left in config).
        problems.push(...checkPercentage("mirror.percentage", input.mirror.percentage));
    }
    problems.push(...checkDuration("timeout", input.timeout));
    if (input.retries !== undefined) {
        problems.push(
            ...checkRange("retries.attempts", input.retries.attempts, 0, 100, true),
            ...checkDuration("retries.perTryTimeout", input.retries.perTryTimeout),
        );
        problems.push(...checkRetryOn("retries.retryOn", input.retries.retryOn));
    }
    if (input.faults !== undefined) problems.push(...checkFaults(input.faults));
    return problems;
}

// ---------------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------------

/** The Istio fault of a {@link FaultArgs}. */
export function faultInjection(f: FaultArgs): HTTPFaultInjection {
    const fault: HTTPFaultInjection = {};
    if (f.delay !== undefined) fault.delay = { percentage: { value: f.delay.percentage }, fixedDelay: f.delay.fixedDelay };
    if (f.abort !== undefined) fault.abort = { percentage: { value: f.abort.percentage }, httpStatus: f.abort.httpStatus };
    return fault;
}

function retryPolicy(r: RetryArgs): HTTPRetry {
    const retry: HTTPRetry = { attempts: r.attempts };
    if (r.perTryTimeout !== undefined) retry.perTryTimeout = r.perTryTimeout;
    if (r.retryOn !== undefined) retry.retryOn = r.retryOn;
    return retry;
}

/**
 * The canary VirtualService's HTTP routes. Call {@link checkRouting} first: this assumes valid input.
 */
export function canaryHttpRoutes(input: RoutingInput): HTTPRoute[] {
    const routed = canaryRouted(input.canary);
    const weights = liveWeights(input.canary);
    const sticky = stickySession(input.host, input.canary);
    const split = splitDestinations(input.host, input.port, weights);
    const to = (subset: string): HTTPRouteDestination[] =>
        weightedDestinations(input.host, input.port, [[subset === CANARY && !routed ? STABLE : subset, 100]]);
    const forward = (name: string, route: HTTPRouteDestination[], match?: HTTPMatchRequest[]): HTTPRoute => {
        const r: HTTPRoute = { name };
        if (match !== undefined) r.match = match;
        r.route = route;
        if (input.faults !== undefined && input.faults.header === undefined) r.fault = faultInjection(input.faults);
        if (input.timeout !== undefined) r.timeout = input.timeout;
        if (input.retries !== undefined) r.retries = retryPolicy(input.retries);
        return r;
    };
    /** A route that takes the catch-all split, made sticky when sessions are (see {@link stickyRoutes}). */
    const splitting = (route: HTTPRoute): HTTPRoute[] => (sticky === undefined ? [route] : stickyRoutes(route, sticky, to));

    const routes: HTTPRoute[] = [];
    const faults = input.faults;
    if (faults?.header !== undefined) {
        const r: HTTPRoute = {
            name: "fault-injection",
            match: [{ headers: { [faults.header.name]: { exact: faults.header.value } } }],
            route: split,
            fault: faultInjection(faults),
        };
        if (input.timeout !== undefined) r.timeout = input.timeout;
        if (input.retries !== undefined) r.retries = retryPolicy(input.retries);
        routes.push(...splitting(r));
    }
    if (routed) {
        (input.pins ?? []).forEach((pin, i) => routes.push(forward(`canary-pin-${i}`, to(CANARY), [pinMatch(pin)])));
        const ab = input.abTest;
        if (ab !== undefined) {
            const value = ab.value ?? "enabled";
            const match: HTTPMatchRequest[] = [];
            if (ab.header !== undefined) match.push({ headers: { [ab.header]: { exact: value } } });
            if (ab.cookie !== undefined) match.push({ headers: { cookie: { regex: cookieRegex(ab.cookie, value) } } });
            routes.push(forward("ab-test", to(CANARY), match));
        }
    }
    (input.redirects ?? []).forEach((r, i) =>
        routes.push({
            name: `redirect-${i}`,
            match: [{ uri: { prefix: r.prefix } }],
            redirect: { uri: r.uri, redirectCode: r.redirectCode ?? 301 },
        }),
    );
    (input.uriRoutes ?? []).forEach((u, i) => {
        let dest: HTTPRouteDestination[];
        if (u.subset !== undefined) {
            dest = to(u.subset);
        } else if (u.weights !== undefined) {
            const entries = Object.entries(u.weights).map(([s, w]) => [s === CANARY && !routed ? STABLE : s, w] as const);
            const merged = new Map<string, number>();
            for (const [s, w] of entries) merged.set(s, (merged.get(s) ?? 0) + w);
            dest = weightedDestinations(input.host, input.port, [...merged.entries()]);
        } else {
            dest = split;
        }
        const r = forward(`uri-${i}`, dest, [{ uri: { prefix: u.prefix } }]);
        if (u.rewrite !== undefined) r.rewrite = { uri: u.rewrite };
        routes.push(...(dest === split ? splitting(r) : [r]));
    });
    const catchAll = forward("catch-all", split);
    if (input.mirror !== undefined && routed) {
        catchAll.mirror = input.port === undefined ? { host: input.host, subset: CANARY } : { host: input.host, subset: CANARY, port: { number: input.port } };
        catchAll.mirrorPercentage = { value: input.mirror.percentage };
    }
    routes.push(...splitting(catchAll));
    return routes;
}

/** `dests` with each stable or canary destination adding its session cookie to the response. */
function withSessionCookies(dests: readonly HTTPRouteDestination[], sticky: StickySession): HTTPRouteDestination[] {
    return dests.map((d) => {
        const subset = d.destination.subset;
        return subset === STABLE || subset === CANARY ? { ...d, headers: { response: { add: { "Set-Cookie": sticky.setCookie[subset] } } } } : d;
    });
}

/**
 * A route that takes the catch-all split, made sticky: first a route per version for requests that carry its
 * session cookie (the route's own matches AND the cookie; to that version only, renewing the cookie; a canary
 * session's requests are not mirrored to the canary again), then the route itself, each version adding its cookie.
 * A route that matches the `cookie` header itself (a fault header named `cookie`) cannot also match the session
 * cookie in one match: it stays a plain split, its cookies still set.
 */
function stickyRoutes(route: HTTPRoute, sticky: StickySession, to: (subset: string) => HTTPRouteDestination[]): HTTPRoute[] {
    const own = route.match ?? [{}];
    const base: HTTPRoute = { ...route, route: withSessionCookies(route.route ?? [], sticky) };
    if (own.some((m) => m.headers !== undefined && Object.hasOwn(m.headers, "cookie"))) {
        return [base];
    }
    const pinned = (subset: typeof STABLE | typeof CANARY): HTTPRoute => {
        const { name, match: _match, route: _route, mirror, mirrorPercentage, ...rest } = route;
        const r: HTTPRoute = {
            name: `${name ?? "route"}-${subset}-session`,
            match: own.map((m) => ({ ...m, headers: { ...m.headers, cookie: { regex: sticky.match[subset] } } })),
            route: withSessionCookies(to(subset), sticky),
            ...rest,
        };
        if (subset === STABLE && mirror !== undefined) {
            r.mirror = mirror;
            if (mirrorPercentage !== undefined) r.mirrorPercentage = mirrorPercentage;
        }
        return r;
    };
    return [pinned(CANARY), pinned(STABLE), base];
}

// ---------------------------------------------------------------------------------------------------
// A service's routes under a gateway prefix, as istiod merges a delegate VirtualService into its root route
// ---------------------------------------------------------------------------------------------------
// pilot/pkg/model/virtualservice.go (MergeHTTPRoutes, mergeHTTPRoute, mergeHTTPMatchRequests, hasConflict,
// stringMatchConflict), for the fields components/istio/types.ts carries. The single layout's gateway routes are
// built with it, so they are the routes istiod builds for the per-service layout's root + delegate.

/** A StringMatch with each of its one-of fields optional, to read them. */
type AnyStringMatch = { exact?: string; prefix?: string; regex?: string };
const fieldsOf = (m: StringMatch | undefined): AnyStringMatch | undefined => m;

/** Istio's stringMatchConflict: `leaf` does not nest in `root` (no conflict when either is absent). */
function stringMatchConflict(rootMatch: StringMatch | undefined, leafMatch: StringMatch | undefined): boolean {
    const root = fieldsOf(rootMatch);
    const leaf = fieldsOf(leafMatch);
    if (root === undefined || leaf === undefined) return false;
    const set = (v: string | undefined): boolean => v !== undefined && v !== "";
    if (set(root.regex) && (set(leaf.regex) || set(leaf.prefix) || set(leaf.exact))) return true;
    if (set(leaf.regex) && (set(root.regex) || set(root.prefix) || set(root.exact))) return true;
    if (set(root.exact)) return set(leaf.prefix) || leaf.exact !== root.exact;
    if (set(root.prefix)) {
        const prefix = root.prefix ?? "";
        if (set(leaf.prefix)) return !(leaf.prefix ?? "").startsWith(prefix);
        if (set(leaf.exact)) return !(leaf.exact ?? "").startsWith(prefix);
    }
    return true;
}

/** Istio's hasConflict for one root match and one delegate match (the fields our types carry). */
function matchConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
    if (stringMatchConflict(root.uri, leaf.uri)) return true;
    for (const [name, m] of Object.entries(leaf.headers ?? {})) {
        if (stringMatchConflict(Object.hasOwn(root.headers ?? {}, name) ? root.headers?.[name] : undefined, m)) return true;
    }
    if ((root.port ?? 0) > 0 && (leaf.port ?? 0) > 0 && root.port !== leaf.port) return true;
    const rg = root.gateways ?? [];
    const lg = leaf.gateways ?? [];
    return rg.length > 0 && lg.length > 0 && (rg.length < lg.length || lg.some((g) => !rg.includes(g)));
}

const joinNames = (root: string | undefined, leaf: string | undefined): string | undefined =>
    leaf === undefined || leaf === "" ? root : root === undefined || root === "" ? leaf : `${root}-${leaf}`;

/** Istio's mergeHTTPMatchRequest: the delegate's conditions, the root's where it has none, headers of both. */
function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
    const out: HTTPMatchRequest = { ...leaf };
    const name = joinNames(root.name, leaf.name);
    if (name !== undefined) out.name = name;
    if (out.uri === undefined && root.uri !== undefined) out.uri = { ...root.uri };
    const headers = { ...root.headers, ...leaf.headers };
    if (Object.keys(headers).length > 0) out.headers = headers;
    if ((out.port ?? 0) === 0 && root.port !== undefined) out.port = root.port;
    if ((out.gateways ?? []).length === 0 && root.gateways !== undefined) out.gateways = [...root.gateways];
    return out;
}

/** Istio's mergeHTTPMatchRequests: undefined (a conflict) when one delegate match nests in no root match. */
function mergeMatches(root: readonly HTTPMatchRequest[], leaf: readonly HTTPMatchRequest[]): HTTPMatchRequest[] | undefined {
    if (root.length === 0) return [...leaf];
    if (leaf.length === 0) return root.map((m) => ({ ...m }));
    const out: HTTPMatchRequest[] = [];
    for (const sub of leaf) {
        const fits = root.filter((r) => !matchConflict(r, sub));
        if (fits.length === 0) return undefined;
        out.push(...fits.map((r) => mergeMatch(r, sub)));
    }
    return out;
}

/** What a delegate route takes from the root route when it has none of its own (mergeHTTPRoute). */
const INHERITED = ["rewrite", "timeout", "retries", "fault", "mirror", "mirrorPercentage"] as const;

/** The routes of {@link mergeUnderRoot}: those gateway traffic takes, and those it can never reach. */
export interface MergedRoutes {
    routes: HTTPRoute[];
    /** Delegate routes left out: a match that nests in none of the root route's (istiod logs and drops them). */
    dropped: HTTPRoute[];
}

/**
 * `routes` (a service's routes, in order) restricted to the root route `root`, as istiod merges a delegate
 * VirtualService into the root route that delegates to it: each route's matches AND-ed with the root's (a route
 * whose own `uri` does not nest in the root's, e.g. prefix `/static` under `/api`, is dropped), names joined
 * `<root>-<route>`, the root's timeout/retries/fault/rewrite/mirror where the route has none.
 */
export function mergeUnderRoot(root: HTTPRoute, routes: readonly HTTPRoute[]): MergedRoutes {
    const out: MergedRoutes = { routes: [], dropped: [] };
    for (const leaf of routes) {
        const match = mergeMatches(root.match ?? [], leaf.match ?? []);
        if (match === undefined) {
            out.dropped.push(leaf);
            continue;
        }
        const name = joinNames(root.name, leaf.name);
        const r: HTTPRoute = { ...(name === undefined ? {} : { name }), ...(match.length > 0 ? { match } : {}) };
        for (const [k, v] of Object.entries(leaf)) {
            if (k !== "name" && k !== "match" && k !== "delegate") Object.assign(r, { [k]: v });
        }
        for (const f of INHERITED) {
            if (r[f] === undefined && root[f] !== undefined) Object.assign(r, { [f]: root[f] });
        }
        out.routes.push(r);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Gateway-bound routes (ingress and internal gateways)
// ---------------------------------------------------------------------------------------------------

/** One route of a gateway-bound VirtualService: a URI prefix or one exact path to a host. */
export interface GatewayRouteArgs {
    /** URI prefix, starting with "/". Exactly one of `prefix` and `exact`. */
    prefix?: string;
    /**
     * One exact path, starting with "/" (`uri.exact`), e.g. "/productpage". Exactly one of `prefix` and `exact`. Carried
     * `routes` apply on that path (their header matches AND-ed with it); a carried route whose URI prefix covers it is
     * refused: istiod drops a delegate's prefix match under an exact root, so gateway traffic would skip it. Default none.
     */
    exact?: string;
    /** Destination host, e.g. "sample-app". */
    host: string;
    /** Destination port, 1..65535. Default: none (the service's only port). */
    port?: number;
    /**
     * Stable/canary weights of a service with a canary (pass `canary.weights`): Istio ignores the mesh
     * VirtualService for gateway traffic (analyzer IST0140), so the split is repeated here. Default: no
     * subsets (plain service routing).
     */
    weights?: Weights;
    /**
     * Delegate the route to this delegate VirtualService (a service stack's routes) instead of routing to
     * `host` here: the route then has only its prefix match and `delegate` (Istio's root route). Default none.
     */
    delegate?: Delegate;
    /**
     * The service's own HTTP routes, in order, as its mesh VirtualService has them (pass the Canary's
     * `httpRoutes`): the gateway then routes `prefix` with each of them, merged as istiod merges a delegate
     * VirtualService into the root route that delegates to it ({@link mergeUnderRoot}): names `route-<i>-<name>`,
     * each match AND-ed with the prefix, so gateway traffic gets the service's pins, A/B flag, faults, redirects,
     * URI routes, retries, timeout, mirror and weighted catch-all, not only its split. A route whose own URI match
     * does not nest in `prefix` (e.g. `/static` under `/api`) can never be reached through it: it is left out, with
     * a warning. Each route needs a name of its own. Excludes `weights` and `delegate`. Default none.
     */
    routes?: HTTPRoute[];
}

/** The one URI match of a gateway route: its prefix or its exact path (exactly one is set once checked). */
export function gatewayRouteUri(r: Pick<GatewayRouteArgs, "prefix" | "exact">): { prefix: string } | { exact: string } {
    return r.exact !== undefined && r.prefix === undefined ? { exact: r.exact } : { prefix: r.prefix ?? "" };
}

/** How a gateway route's URI match reads in a message: `prefix "/api"` or `exact path "/login"`. */
export function describeGatewayUri(r: Pick<GatewayRouteArgs, "prefix" | "exact">): string {
    const uri = gatewayRouteUri(r);
    return "exact" in uri ? `exact path ${show(uri.exact)}` : `prefix ${show(uri.prefix)}`;
}

/** Problems of one gateway route's URI match at `p` (e.g. "routes[0]"): exactly one of prefix and exact, each starting with "/". */
export function checkGatewayRouteUri(p: string, r: Pick<GatewayRouteArgs, "prefix" | "exact">): Problem[] {
    if (r.prefix !== undefined && r.exact !== undefined) {
        return [{ propertyPath: p, code: "route-uri-both", reason: `${p} sets prefix ${show(r.prefix)} and exact ${show(r.exact)}; a route matches exactly one of them (a URI prefix, or one exact path): keep one` }];
    }
    if (r.prefix === undefined && r.exact === undefined) {
        return [{ propertyPath: p, code: "route-uri-neither", reason: `${p} sets neither prefix nor exact; a route matches exactly one of them, such as prefix "/" (every path) or exact "/login" (one path)` }];
    }
    if (r.exact !== undefined) {
        return r.exact.startsWith("/") ? [] : [{ propertyPath: `${p}.exact`, reason: `${p}.exact is ${show(r.exact)}; it must be a path starting with "/"` }];
    }
    return checkPrefix(`${p}.prefix`, r.prefix ?? "");
}

/**
 * The problem of a gateway route that can never match: the first earlier route that takes every request it would
 * (Istio evaluates routes top to bottom): a prefix that starts with an earlier prefix, or an exact path that an earlier
 * prefix covers or an earlier exact route names.
 */
function checkShadowedGatewayRoute(p: string, r: GatewayRouteArgs, earlier: readonly { path: string; route: GatewayRouteArgs }[]): Problem[] {
    const uri = gatewayRouteUri(r);
    if ("prefix" in uri) {
        // An earlier exact route takes one path only: never all of a prefix.
        const prefixes = earlier.flatMap((e) => (e.route.prefix === undefined ? [] : [{ prefix: e.route.prefix, path: e.path }]));
        return checkShadowedPrefix({ prefix: uri.prefix, path: p }, prefixes);
    }
    const shadow = earlier.find((e) => {
        const u = gatewayRouteUri(e.route);
        return "exact" in u ? u.exact === uri.exact : uri.exact.startsWith(u.prefix);
    });
    return shadow === undefined
        ? []
        : [
              {
                  propertyPath: `${p}.exact`,
                  reason: `${p}.exact is ${show(uri.exact)}; it is shadowed by ${shadow.path} (${describeGatewayUri(shadow.route)}), which matches first; put the exact route first or remove one`,
              },
          ];
}

/** Problems of gateway routes, under `path` (e.g. "routes"). */
export function checkGatewayRoutes(path: string, routes: readonly GatewayRouteArgs[]): Problem[] {
    const problems: Problem[] = [];
    if (routes.length === 0) {
        problems.push({ propertyPath: path, reason: `${path} is []; it must list at least one route, such as { prefix: "/", host: "sample-app" }` });
    }
    const seen: { path: string; route: GatewayRouteArgs }[] = [];
    routes.forEach((r, i) => {
        const p = `${path}[${i}]`;
        const uri = checkGatewayRouteUri(p, r);
        problems.push(...uri, ...(uri.length === 0 ? checkShadowedGatewayRoute(p, r, seen) : []));
        problems.push(...checkNonEmpty(`${p}.host`, r.host), ...checkPort(`${p}.port`, r.port));
        if (uri.length === 0) seen.push({ path: p, route: r });
        if (r.weights !== undefined) {
            problems.push(
                ...checkWeight(`${p}.weights.stable`, r.weights.stable),
                ...checkWeight(`${p}.weights.canary`, r.weights.canary),
                ...checkWeightsSum(`${p}.weights`, [r.weights.stable, r.weights.canary]),
            );
        }
        if (r.routes !== undefined) {
            problems.push(...checkCarriedRoutes(p, r, r.routes));
        }
    });
    return problems;
}

/**
 * The service routes that take requests on exact path `exact` in the mesh but that a gateway route on that one path cannot
 * carry: a URI prefix match that covers it (istiod drops a delegate's prefix match under an exact root, hasConflict), or
 * a regex URI match (it may match it). Their index in `routes` and the match that covers the path.
 */
export function prefixRoutesCovering(exact: string, routes: readonly HTTPRoute[]): { index: number; route: HTTPRoute; uri: string }[] {
    return routes.flatMap((route, index) => {
        const uri = (route.match ?? []).map((m) => fieldsOf(m.uri)).find((u) => (u?.prefix !== undefined && exact.startsWith(u.prefix)) || u?.regex !== undefined);
        if (uri === undefined) return [];
        return [{ index, route, uri: uri.prefix !== undefined ? `uri prefix ${show(uri.prefix)}` : `uri regex ${show(uri.regex)}` }];
    });
}

/** Problems of a gateway route's `routes`: with nothing else that routes, each named once, one reachable. */
function checkCarriedRoutes(p: string, r: GatewayRouteArgs, routes: readonly HTTPRoute[]): Problem[] {
    const problems: Problem[] = [];
    const also = [r.weights === undefined ? [] : ["weights"], r.delegate === undefined ? [] : ["delegate"]].flat();
    if (also.length > 0) {
        problems.push({ propertyPath: p, reason: `${p} sets routes and ${also.join(" and ")}; it must set at most one of routes, weights, delegate` });
    }
    const seen = new Set<string>();
    routes.forEach((route, j) => {
        const name = route.name ?? "";
        if (name === "" || seen.has(name)) {
            problems.push({
                propertyPath: `${p}.routes[${j}].name`,
                reason: `${p}.routes[${j}].name is ${route.name === undefined ? "missing" : show(name)}; each carried route needs a name of its own (the gateway's route is named ${show(`route-<i>-<name>`)}, unique in the VirtualService)`,
            });
        }
        seen.add(name);
        if (route.delegate !== undefined) {
            problems.push({ propertyPath: `${p}.routes[${j}].delegate`, reason: `${p}.routes[${j}] delegates; a carried route must route, redirect or fail itself (Istio allows one level of delegation)` });
        }
    });
    if (r.exact !== undefined && r.prefix === undefined) {
        for (const c of prefixRoutesCovering(r.exact, routes)) {
            problems.push({
                propertyPath: `${p}.routes[${c.index}]`,
                code: "exact-path-covered",
                reason:
                    `${p}.routes[${c.index}] (${show(c.route.name ?? "")}) matches ${c.uri}, which covers ${p}.exact ${show(r.exact)}: mesh traffic on that path takes it, ` +
                    "but a gateway route on one exact path cannot carry a prefix route (istiod drops a delegate's prefix match under an exact root), so gateway traffic " +
                    "would skip it; route the gateway by prefix, or give the route a prefix that does not cover the path",
            });
        }
    }
    if (routes.length > 0 && mergeUnderRoot(gatewayRoot(r, 0), routes).routes.length === 0) {
        problems.push({
            propertyPath: `${p}.routes`,
            reason: `${p}.routes: none of its ${routes.length} route(s) can be reached under ${p}.${"exact" in gatewayRouteUri(r) ? `exact ${show(r.exact)}` : `prefix ${show(r.prefix)}`} (each matches a URI outside it); carry a route without a URI match, such as the catch-all`,
        });
    } else if (routes.length === 0) {
        problems.push({ propertyPath: `${p}.routes`, reason: `${p}.routes is []; it must list the service's routes (at least its catch-all), or be left out` });
    }
    return problems;
}

/** The root route of gateway route `i`: its name and URI match (prefix or exact). */
function gatewayRoot(r: GatewayRouteArgs, i: number): HTTPRoute {
    return { name: `route-${i}`, match: [{ uri: gatewayRouteUri(r) }] };
}

/** How a route's matches read in a message: `uri prefix "/static"`, else the match as JSON. */
function describeMatches(route: HTTPRoute): string {
    return (route.match ?? [])
        .map((m) => {
            const uri = fieldsOf(m.uri);
            if (uri?.prefix !== undefined) return `uri prefix ${show(uri.prefix)}`;
            if (uri?.exact !== undefined) return `uri ${show(uri.exact)}`;
            return JSON.stringify(m);
        })
        .join(" or ");
}

/**
 * Warnings of gateway routes, under `path`: each carried route that no request through its gateway route can
 * reach (its URI match lies outside the gateway prefix), and so is left out of the gateway's VirtualService.
 */
export function gatewayRouteWarnings(path: string, routes: readonly GatewayRouteArgs[]): string[] {
    return routes.flatMap((r, i) => {
        // An exact route leaves out only what no request on its one path takes (a route covering it is refused).
        if (r.routes === undefined || r.delegate !== undefined || r.prefix === undefined) return [];
        const p = `${path}[${i}]`;
        return mergeUnderRoot(gatewayRoot(r, i), r.routes).dropped.map(
            (d) =>
                `${p} sends ${show(r.prefix)} to ${show(r.host)}, whose route ${show(d.name ?? "")} matches ${describeMatches(d)}, outside ${show(r.prefix)}: ` +
                `no request through this gateway route can reach it, so the gateway's VirtualService leaves it out (istiod drops a delegate's route ` +
                `that does not nest in its root route the same way); mesh traffic still takes it. To route it through the gateway, move it under ` +
                `${show(r.prefix)} or add a gateway route for its prefix`,
        );
    });
}

/**
 * HTTP routes of a gateway-bound VirtualService, in the given order: per gateway route `route-<i>` (a delegating
 * root, or a route to `host`), or, when it carries the service's `routes`, those routes under its prefix.
 */
export function gatewayHttpRoutes(routes: readonly GatewayRouteArgs[]): HTTPRoute[] {
    return routes.flatMap((r, i): HTTPRoute[] => {
        const root = gatewayRoot(r, i);
        const name = `route-${i}`;
        const match = [{ uri: gatewayRouteUri(r) }];
        if (r.delegate !== undefined) {
            return [{ name, match, delegate: { ...r.delegate } }];
        }
        if (r.routes !== undefined) {
            return mergeUnderRoot(root, r.routes).routes;
        }
        return [{ name, match, route:
            r.weights === undefined
                ? [{ destination: r.port === undefined ? { host: r.host } : { host: r.host, port: { number: r.port } } }]
                : splitDestinations(r.host, r.port, r.weights) }];
    });
}
