/**
 * Pure validation helpers shared by every component. Each check returns the problems it found as
 * `{ propertyPath, reason }` (never throws), so a component can collect every problem and throw once with
 * {@link MeshValidationError}. A reason names the value, the rule and the fix:
 * `canary.weight is 120; it must be an integer from 0 to 100`. Loads no Pulumi SDK (the error a component throws is
 * in meshValidationError.ts), so checking a config with these rules does not either.
 */
import { RE2 } from "re2-wasm";

/** One invalid input: where it is and what is wrong with it. Same shape as Pulumi's `InputPropertyErrorDetails`. */
export interface Problem {
    propertyPath: string;
    reason: string;
    /** The rule broken, by a stable name, for a caller that says more about it (the stack's config fix). Default none. */
    code?: ProblemCode;
}

/**
 * The rules a caller recognises by name: a gateway route with both or neither of `prefix` and `exact`; `tls` or
 * `httpsPort` given to a plain-HTTP ingress; a service route that covers a gateway route's exact path (the stack
 * reports it at the service's key).
 */
export type ProblemCode = "route-uri-both" | "route-uri-neither" | "plain-http-tls" | "plain-http-https-port" | "exact-path-covered";

/** Renders a value for a message: strings quoted, everything else as JSON. */
export function show(value: unknown): string {
    if (value === undefined) {
        return "undefined";
    }
    // JSON escapes every control character but DEL; escape it too, so a message never hides one.
    return (JSON.stringify(value) ?? String(value)).replace(/\u007f/g, "\\u007f");
}

function problem(path: string, value: unknown, rule: string): Problem {
    return { propertyPath: path, reason: `${path} is ${show(value)}; it must be ${rule}` };
}

// ---------------------------------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------------------------------

const GO_UNIT_NANOS: Record<string, number> = {
    ns: 1,
    us: 1e3,
    "µs": 1e3,
    "μs": 1e3,
    ms: 1e6,
    s: 1e9,
    m: 60e9,
    h: 3600e9,
};

/** One `<number><unit>` of a Go duration: the one grammar of every duration in the config (Istio's and the release policy's). */
const GO_DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/** A whole Go duration as one regex (for schemas): "0" or one or more parts, e.g. "1m30s", "250ms", ".5s". */
export const GO_DURATION = new RegExp(`^(?:0|(?:${GO_DURATION_PART.source})+)$`);

/**
 * Parses a Go duration (`time.ParseDuration` syntax without a sign: "1h2m3.5s", "250ms") to nanoseconds.
 * Returns undefined when it is not a Go duration ("5x", "1d", "", "10").
 */
export function parseGoDuration(value: string): number | undefined {
    if (value === "0") {
        return 0;
    }
    if (value.length === 0) {
        return undefined;
    }
    let total = 0;
    let at = 0;
    while (at < value.length) {
        GO_DURATION_PART.lastIndex = at;
        const m = GO_DURATION_PART.exec(value);
        if (m === null) {
            return undefined;
        }
        const amount = Number(m[1]);
        const unit = GO_UNIT_NANOS[m[2] ?? ""];
        if (unit === undefined || Number.isNaN(amount)) {
            return undefined;
        }
        total += amount * unit;
        at = GO_DURATION_PART.lastIndex;
    }
    return total;
}

/** Milliseconds of a Go duration, rounded to whole milliseconds ("1m30s" -> 90000); undefined when it is not one. */
export function durationMs(value: string): number | undefined {
    const nanos = parseGoDuration(value);
    return nanos === undefined ? undefined : Math.round(nanos / 1e6);
}

/** Istio's rule for every duration field: `duration(self) >= duration('1ms')`. */
export function checkDuration(path: string, value: string | undefined): Problem[] {
    if (value === undefined) {
        return [];
    }
    const nanos = parseGoDuration(value);
    if (nanos === undefined) {
        return [problem(path, value, 'a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)')];
    }
    if (nanos < 1e6) {
        return [problem(path, value, 'a duration of at least 1ms, such as "1ms" or "5s"')];
    }
    return [];
}

// ---------------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------------

/** A finite number within [min, max]; `integer` also requires a whole number. */
export function checkRange(
    path: string,
    value: number | undefined,
    min: number,
    max: number,
    integer: boolean,
): Problem[] {
    if (value === undefined) {
        return [];
    }
    const ok = typeof value === "number" && Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
    return ok ? [] : [problem(path, value, `${integer ? "an integer" : "a number"} from ${min} to ${max}`)];
}

/** A traffic percentage (Istio `Percent.value`, a double): 0..100. */
export function checkPercentage(path: string, value: number | undefined): Problem[] {
    return checkRange(path, value, 0, 100, false);
}

/** An HTTP status Istio can inject or redirect with: integer 200..599. */
export function checkHttpStatus(path: string, value: number | undefined): Problem[] {
    return checkRange(path, value, 200, 599, true);
}

/** A TCP port: integer 1..65535. */
export function checkPort(path: string, value: number | undefined): Problem[] {
    return checkRange(path, value, 1, 65535, true);
}

/** A route weight: integer 0..100. */
export function checkWeight(path: string, value: number | undefined): Problem[] {
    return checkRange(path, value, 0, 100, true);
}

/** A positive count (connections, requests, retries, probes): integer 1..2^31-1 (Istio's int32). */
export function checkCount(path: string, value: number | undefined, min = 1): Problem[] {
    return checkRange(path, value, min, 2147483647, true);
}

/** The weights of one route must sum to exactly 100. */
export function checkWeightsSum(path: string, weights: readonly number[]): Problem[] {
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum === 100) {
        return [];
    }
    return [
        {
            propertyPath: path,
            reason: `the weights of ${path} are ${show(weights)} and sum to ${sum}; they must sum to 100`,
        },
    ];
}

// ---------------------------------------------------------------------------------------------------
// Regular expressions
// ---------------------------------------------------------------------------------------------------

/**
 * Istio compiles header/URI regexes with RE2, which rejects lookarounds and backreferences that
 * JavaScript accepts. Compiles with re2-wasm and reports RE2's own error.
 */
export function checkRe2(path: string, pattern: string | undefined): Problem[] {
    if (pattern === undefined) {
        return [];
    }
    try {
        new RE2(pattern, "u");
        return [];
    } catch (err) {
        const detail = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/.*\/u: /s, "") : String(err);
        return [
            problem(
                path,
                pattern,
                `a regular expression RE2 accepts (Istio uses RE2: no lookarounds, no backreferences); RE2 says: ${detail}`,
            ),
        ];
    }
}

// ---------------------------------------------------------------------------------------------------
// Names and hosts
// ---------------------------------------------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST = /^(\*|\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;

/** A Kubernetes object name / label-ish identifier: RFC 1123 label, at most 63 characters. */
export function checkDnsLabel(path: string, value: string | undefined): Problem[] {
    if (value === undefined) {
        return [];
    }
    if (value.length <= 63 && DNS_LABEL.test(value)) {
        return [];
    }
    return [problem(path, value, "a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters")];
}

/** Non-empty string. */
export function checkNonEmpty(path: string, value: string | undefined): Problem[] {
    return value === undefined || value.length === 0 ? [problem(path, value, "a non-empty string")] : [];
}

/**
 * A host list: at least one host, each a lower-case DNS name or a wildcard (`*.example.com`);
 * `allowStar` false rejects the bare `*` (a mesh VirtualService for `*` would capture every host).
 */
export function checkHosts(path: string, hosts: readonly string[] | undefined, allowStar: boolean): Problem[] {
    if (hosts === undefined || hosts.length === 0) {
        return [problem(path, hosts ?? [], "a list of at least one host, such as [\"sample-app\"]")];
    }
    const problems: Problem[] = [];
    hosts.forEach((host, i) => {
        const p = `${path}[${i}]`;
        if (host === "*" && !allowStar) {
            problems.push(problem(p, host, "a specific host: \"*\" in a mesh VirtualService captures every host in the mesh; name the service"));
        } else if (!HOST.test(host) || host.length > 253) {
            problems.push(problem(p, host, "a lower-case DNS name such as \"sample-app\" or \"api.example.com\", or a wildcard such as \"*.example.com\""));
        }
    });
    return problems;
}

/**
 * A gateway's workload selector: at least one label. An empty selector is not "the default gateway": Istio
 * applies the Gateway to every workload a selector matches, which no one means. No label key or value holds a
 * control character.
 */
export function checkSelector(path: string, selector: Readonly<Record<string, string>> | undefined, example: string): Problem[] {
    if (selector === undefined) {
        return [];
    }
    if (Object.keys(selector).length > 0) {
        // each label's key and value: no control characters
        return Object.entries(selector).flatMap(([k, v]) => [...checkNoControlChars(`${path}.${k}`, k), ...checkNoControlChars(`${path}.${k}`, v)]);
    }
    return [
        {
            propertyPath: path,
            reason: `${path} is {}; it must have at least one label (an empty one applies this Gateway to every gateway workload in the mesh), such as { ${example} }`,
        },
    ];
}

/** C0 control characters and DEL: never valid in a header value, a label or an image reference. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this rule
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The rule a string with a control character breaks, as a message states it. */
export const CONTROL_CHARS_RULE = "it must not contain control characters (newline, tab, NUL, DEL): they would end up in a header, a label or an image";

/** A string that ends up in a header, a label or an image: no control characters (a newline splits a header). */
export function checkNoControlChars(path: string, value: string | undefined): Problem[] {
    if (value === undefined || !CONTROL_CHARS.test(value)) {
        return [];
    }
    return [
        {
            propertyPath: path,
            reason: `${path} is ${show(value)}; ${CONTROL_CHARS_RULE}`,
        },
    ];
}

/**
 * Envoy's retry conditions as Istio's validation accepts them (istio/istio pkg/config/validation,
 * `supportedRetryOnPolicies`: the x-envoy-retry-on and x-envoy-retry-grpc-on lists), plus an HTTP status code.
 */
export const RETRY_ON_CONDITIONS: readonly string[] = [
    "5xx",
    "gateway-error",
    "reset",
    "reset-before-request",
    "connect-failure",
    "retriable-4xx",
    "refused-stream",
    "retriable-status-codes",
    "retriable-headers",
    "envoy-ratelimited",
    "http3-post-connect-failure",
    "cancelled",
    "deadline-exceeded",
    "internal",
    "resource-exhausted",
    "unavailable",
];

/** `retryOn`: a comma-separated list of Envoy retry conditions or HTTP status codes, no spaces. */
export function checkRetryOn(path: string, value: string | undefined): Problem[] {
    if (value === undefined) {
        return [];
    }
    const bad = value.split(",").filter((c) => !RETRY_ON_CONDITIONS.includes(c) && !/^[1-5][0-9][0-9]$/.test(c));
    if (bad.length === 0) {
        return [];
    }
    const list = bad.map((c) => show(c));
    const named = list.length === 1 ? `${list[0]} is not an Envoy retry condition` : `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]} are not Envoy retry conditions`;
    return [
        {
            propertyPath: path,
            reason:
                `${path} is ${show(value)}; ${named}; it must be a comma-separated list (no spaces) of ` +
                `${RETRY_ON_CONDITIONS.join(", ")} or an HTTP status code`,
        },
    ];
}

/** Names that must be unique within a list (subsets, routes). */
export function checkUnique(path: string, names: readonly string[], what: string): Problem[] {
    const seen = new Set<string>();
    const problems: Problem[] = [];
    names.forEach((n, i) => {
        if (seen.has(n)) {
            problems.push({
                propertyPath: `${path}[${i}]`,
                reason: `${what} name ${show(n)} is defined more than once; each ${what} name must be unique`,
            });
        }
        seen.add(n);
    });
    return problems;
}
