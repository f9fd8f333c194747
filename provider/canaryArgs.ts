/**
 * The provider-facing args of {@link Canary} (provider/canary.ts): the shapes of components/canaryPlan.ts
 * `CanaryArgs` that Pulumi's schema inference (`@pulumi/pulumi/provider/experimental`) accepts, which refuses
 * unions, intersections and anonymous object types. Each union is flattened into one interface whose every member
 * is optional (this `CanaryPin` for the components' `CanaryPin = HeaderPin | CookiePin`); the combinations the union excluded are
 * problems of the component's own check (components/routes.ts `checkPins`), so a Python, Go, C# or YAML user gets
 * the same `MeshValidationError`, with every problem at once, as a TypeScript user.
 *
 * Not exposed to other languages: `trafficPolicy` (its `loadBalancer` is a union of Istio objects), `routesBefore`
 * (any Istio route), `delegate`, `virtualService`, `claims` and `canary.sessionAffinity`.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { CanaryArgs } from "../components/canary";
import type { DeepInput } from "../components/inputs";
import type { CanaryPin as MeshCanaryPin } from "../components/routes";

/** The stable subset. */
export interface CanaryStable {
    /** Value of the `version` label the stable subset selects, e.g. "v1". */
    version: pulumi.Input<string>;
}

/** The canary subset and its share of the catch-all. */
export interface CanaryVersion {
    /** Value of the `version` label of the canary subset. Absent: no canary subset, no canary routes. */
    version?: pulumi.Input<string>;
    /** Percent of the catch-all sent to the canary, integer 0..100. Default 0. */
    weight?: pulumi.Input<number>;
    /** false keeps the canary subset but routes nothing to it. Default true. */
    routed?: pulumi.Input<boolean>;
    /** The release the session cookies name. Default: the canary version. */
    revision?: pulumi.Input<string>;
}

/**
 * A pin to the canary: a header pin (`header` and exactly one of `exact`, `prefix`, `regex`) or a cookie pin
 * (`cookie` and `value`), never both. the components' `CanaryPin` union, flattened (the schema has no unions).
 */
export interface CanaryPin {
    /** Header name, lower-case. */
    header?: pulumi.Input<string>;
    /** Exact header value. */
    exact?: pulumi.Input<string>;
    /** Header value prefix. */
    prefix?: pulumi.Input<string>;
    /** Header value regex (RE2). */
    regex?: pulumi.Input<string>;
    /** Cookie name. */
    cookie?: pulumi.Input<string>;
    /** Cookie value. */
    value?: pulumi.Input<string>;
}

/** A/B flag routes to the canary: a header and/or a cookie with a value. */
export interface CanaryAbTest {
    /** Flag header name. At least one of header, cookie. */
    header?: pulumi.Input<string>;
    /** Flag cookie name. */
    cookie?: pulumi.Input<string>;
    /** Flag value. Default "enabled". */
    value?: pulumi.Input<string>;
}

/** Answer a URI prefix with an HTTP redirect. */
export interface CanaryRedirect {
    /** URI prefix, starting with "/". */
    prefix: pulumi.Input<string>;
    /** Target URI. */
    uri: pulumi.Input<string>;
    /** 3xx status (301, 302, 303, 307, 308). Default 301. */
    redirectCode?: pulumi.Input<number>;
}

/** Send a URI prefix to one subset, or split it by explicit weights, optionally rewriting the URI. */
export interface CanaryUriRoute {
    /** URI prefix, starting with "/". */
    prefix: pulumi.Input<string>;
    /** Subset that receives the traffic. Default: the catch-all split. */
    subset?: pulumi.Input<string>;
    /** Explicit split by subset name, integer percent summing to 100. Excludes `subset`. */
    weights?: pulumi.Input<Record<string, pulumi.Input<number>>>;
    /** Rewrite the matched prefix to this URI. Default: no rewrite. */
    rewrite?: pulumi.Input<string>;
}

/** Mirror a share of the catch-all traffic to the canary. */
export interface CanaryMirror {
    /** Percent of catch-all requests mirrored, 0..100. */
    percentage: pulumi.Input<number>;
}

/** Retry policy of every forwarding route. */
export interface CanaryRetry {
    /** Attempts, integer 0..100 (0 disables retries). */
    attempts: pulumi.Input<number>;
    /** Timeout per attempt, Go duration. Default: the route timeout. */
    perTryTimeout?: pulumi.Input<string>;
    /** Envoy retry conditions, comma-separated. */
    retryOn?: pulumi.Input<string>;
}

/** Delay a share of requests. */
export interface CanaryFaultDelay {
    /** Percent of requests delayed, 0..100. */
    percentage: pulumi.Input<number>;
    /** The delay, Go duration, at least 1ms. */
    fixedDelay: pulumi.Input<string>;
}

/** Abort a share of requests. */
export interface CanaryFaultAbort {
    /** Percent of requests aborted, 0..100. */
    percentage: pulumi.Input<number>;
    /** HTTP status, 200..599. */
    httpStatus: pulumi.Input<number>;
}

/** The header that selects the requests a fault applies to. */
export interface CanaryFaultHeader {
    /** Header name. */
    name: pulumi.Input<string>;
    /** Exact header value. */
    value: pulumi.Input<string>;
}

/** Fault injection: delay and/or abort, for every request or only requests with a header. */
export interface CanaryFault {
    /** The delay. Default none. */
    delay?: pulumi.Input<CanaryFaultDelay>;
    /** The abort. Default none. */
    abort?: pulumi.Input<CanaryFaultAbort>;
    /** Only requests with this header. Default every request. */
    header?: pulumi.Input<CanaryFaultHeader>;
}

/** Arguments of the provider's {@link Canary}: TypeScript's `CanaryArgs` without the parts no schema can say. */
export interface CanaryProviderArgs {
    /** Namespace of the DestinationRule and VirtualService. */
    namespace: pulumi.Input<string>;
    /** The Kubernetes Service (DNS label), the destination host. */
    service: pulumi.Input<string>;
    /** Destination port, 1..65535. Default: none (the service's only port). */
    port?: pulumi.Input<number>;
    /** Hosts of the mesh VirtualService. Default `[service]`. */
    hosts?: pulumi.Input<pulumi.Input<string>[]>;
    /** The stable subset. */
    stable: pulumi.Input<CanaryStable>;
    /** The canary subset and its weight. Default: no canary. */
    canary?: pulumi.Input<CanaryVersion>;
    /** Header/cookie pins to the canary, matched first. Default none. */
    pins?: pulumi.Input<pulumi.Input<CanaryPin>[]>;
    /** A/B flag routes to the canary, after the pins. Default none. */
    abTest?: pulumi.Input<CanaryAbTest>;
    /** Prefix redirects, before the URI routes. Default none. */
    redirects?: pulumi.Input<pulumi.Input<CanaryRedirect>[]>;
    /** URI-prefix routes to a subset or a split. Default none. */
    uriRoutes?: pulumi.Input<pulumi.Input<CanaryUriRoute>[]>;
    /** Mirror a share of catch-all traffic to the canary. Default: no mirror. */
    mirror?: pulumi.Input<CanaryMirror>;
    /** Timeout of every forwarding route, Go duration (e.g. "10s"). Default: Istio's (none). */
    timeout?: pulumi.Input<string>;
    /** Retries of every forwarding route. Default: Istio's (2 attempts). */
    retries?: pulumi.Input<CanaryRetry>;
    /** Fault injection. Default off. */
    faults?: pulumi.Input<CanaryFault>;
    /** Extra labels on every object. Default none. */
    labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The TypeScript component's args from the provider's. Field by field, so the compiler checks every one but
 * `pins`: a flattened pin is passed as it is and the component's check refuses what `CanaryPin` excludes.
 */
export function canaryArgs(a: CanaryProviderArgs): CanaryArgs {
    return {
        namespace: a.namespace,
        service: a.service,
        port: a.port,
        hosts: a.hosts,
        stable: a.stable,
        canary: a.canary,
        // The one widening: this CanaryPin is the components' union flattened; checkPins names a pin that is neither.
        pins: a.pins as DeepInput<MeshCanaryPin[]> | undefined,
        abTest: a.abTest,
        redirects: a.redirects,
        uriRoutes: a.uriRoutes,
        mirror: a.mirror,
        timeout: a.timeout,
        retries: a.retries,
        faults: a.faults,
        labels: a.labels,
    };
}
