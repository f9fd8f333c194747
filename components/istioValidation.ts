/**
 * Istio's own semantic validation of the five networking.istio.io/v1 kinds the stack config's `routing` key holds:
 * the rules istiod's validating webhook (and `istioctl validate`) applies after the CRD schema, ported from the pinned
 * Istio module (scripts/toolchain.pins ISTIO_MODULE_VERSION): pkg/config/validation/validation.go (ValidateGateway,
 * ValidateDestinationRule, ValidateServiceEntry, ValidateSidecar, ValidateVirtualService and their helpers),
 * virtualservice.go (validateHTTPRoute, route conflicts, match requests, authority rewrites),
 * header_value_validator.go (Envoy's header value grammar) and pkg/config/validation/agent (ValidateTLS, domains,
 * ports, IPs, subnets, locality load balancing). An error is what the webhook rejects, a warning what it accepts
 * with a warning (WrapWarning / AppendWarningf), including the VirtualServiceUnreachableRule and
 * VirtualServiceIneffectiveMatch warnings.
 *
 * The input has passed the CRD schema (contract/istioSpec.ts: types, enums, ranges, unknown fields, CEL rules);
 * every value is still read defensively: an odd value never throws, it reads as Go's zero value would.
 * Pure: no Pulumi SDK, no I/O.
 *
 * Skipped, and why:
 * - the object's metadata: the `istio.io/dry-run` and internal annotations, the Gateway's own name (a DNS-1123
 *   label) and the ServiceEntry's `networking.istio.io/enable-autoallocate-ip` opt-out label are not in the spec;
 *   the stack writes the metadata (its names are checked as DNS labels where the config is read, its labels are
 *   the stack's);
 * - Gateway API semantics (the internal gateway-semantics annotations): never set on objects this project writes,
 *   so validation runs as for a user's object;
 * - mesh config and istiod's environment: IP auto-allocation (PILOT_ENABLE_IP_AUTOALLOCATE) is taken at its
 *   default, on, so the "addresses are required for TCP ports" warning is given only where auto-allocation does
 *   not apply (resolution NONE); `usesWaypoint` (the `istio.io/use-waypoint` label) is taken as not set;
 * - a configmap:// credentialName's namespace is compared with `opts.namespace` when it is given, as istiod
 *   compares it with the object's namespace; without it the rule is skipped.
 *
 * Kept as istiod behaves, quirks included: a VirtualService's gateway names are checked up to the first one
 * without a namespace (`mesh`, `<name>`), where validateGatewayNames returns; a redirect and a locality setting
 * report their first problem only; an HTTP status of 600 passes validateHTTPStatus. Where istiod stops at a
 * workloadSelector error (ValidateSidecar, ValidateServiceEntry), this goes on and reports the rest too: the
 * object is rejected either way.
 */
import { checkRe2, parseGoDuration, RETRY_ON_CONDITIONS, show } from "./validation";

/** The five kinds of the `routing` key. */
export type IstioKind = "VirtualService" | "DestinationRule" | "ServiceEntry" | "Gateway" | "Sidecar";

/** One finding of Istio's validation. */
export interface IstioFinding {
    /** Where, into the spec: `["http", 0, "redirect"]`. */
    path: (string | number)[];
    /** What is wrong and Istio's rule, naming the value. */
    message: string;
    /** `error`: istiod's webhook rejects the object; `warning`: it accepts it with a warning. */
    severity: "error" | "warning";
    /** How to fix it, where the message does not say it already. */
    fix?: string;
}

export interface IstioValidationOptions {
    /** The object's namespace (istiod resolves `.` in exportTo and sidecar hosts with it). */
    namespace?: string;
}

type Path = (string | number)[];
type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// Reading values as Go reads the decoded proto: an absent or odd value is the zero value.

const isObj = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const obj = (v: unknown): Json | undefined => (isObj(v) ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strs = (v: unknown): string[] => arr(v).map(str);
/** A number field (int32, uint32, double; a uint64 may come as a string in proto JSON). */
const num = (v: unknown): number => {
    if (typeof v === "number" && Number.isFinite(v)) {
        return v;
    }
    if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) {
        return Number(v);
    }
    return 0;
};
const bool = (v: unknown): boolean => v === true;
/** A message field is set: present and an object. */
const has = (o: Json | undefined, key: string): boolean => o !== undefined && Object.hasOwn(o, key) && isObj(o[key]);
/** A scalar or list field is set (not undefined/null). */
const present = (o: Json | undefined, key: string): boolean => o !== undefined && Object.hasOwn(o, key) && o[key] !== undefined && o[key] !== null;
const field = (o: Json | undefined, key: string): unknown => (o !== undefined && Object.hasOwn(o, key) ? o[key] : undefined);
/** A map field's own entries. */
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.keys(v).map((k) => [k, v[k]] as [string, unknown]) : []);
/** A wrapper field (`{ value: n }`, Percent, UInt32Value written as a plain number in proto JSON). */
const wrapped = (v: unknown): number => (isObj(v) ? num(v.value) : num(v));

class Findings {
    readonly list: IstioFinding[] = [];
    error(path: Path, message: string, fix?: string): void {
        this.list.push(fix === undefined ? { path, message, severity: "error" } : { path, message, severity: "error", fix });
    }
    warn(path: Path, message: string, fix?: string): void {
        this.list.push(fix === undefined ? { path, message, severity: "warning" } : { path, message, severity: "warning", fix });
    }
}

// ---------------------------------------------------------------------------------------------------
// Names, hosts, addresses (pkg/config/labels, pkg/config/validation/agent, pkg/config/host)

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
const QUALIFIED_NAME = "(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const TAG_KEY = new RegExp(`^([a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*/)?(${QUALIFIED_NAME})$`);
const LABEL_VALUE = new RegExp(`^(${QUALIFIED_NAME})?$`);

const DNS_LABEL_RULE = "a DNS-1123 label (letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)";

function isDns1123Label(v: string): boolean {
    return v.length <= 63 && DNS1123_LABEL.test(v);
}

function isWildcardDns1123Label(v: string): boolean {
    return v.length <= 63 && WILDCARD_LABEL.test(v);
}

/** CheckDNS1123Preconditions + ValidateDNS1123Labels: the reason, or undefined when valid. */
function dnsPreconditions(name: string): string | undefined {
    if (name.length > 255) {
        return "is longer than 255 characters";
    }
    if (name.length === 0) {
        return "is empty; a domain name is required";
    }
    return undefined;
}

function dns1123Labels(domain: string): string | undefined {
    const parts = domain.split(".");
    const tld = parts[parts.length - 1] ?? "";
    if (/^[+-]?\d+$/.test(tld)) {
        return `has an all-numeric top-level domain ${show(tld)}`;
    }
    for (let i = 0; i < parts.length; i++) {
        const label = parts[i] ?? "";
        if (i === parts.length - 1 && label === "") {
            return undefined;
        }
        if (!isDns1123Label(label)) {
            return `has the label ${show(label)}, which is not ${DNS_LABEL_RULE}`;
        }
    }
    return undefined;
}

/** ValidateFQDN. */
function fqdnProblem(fqdn: string): string | undefined {
    return dnsPreconditions(fqdn) ?? dns1123Labels(fqdn);
}

/** ValidateWildcardDomain: an FQDN whose first label may be a wildcard (`*`, `*.example.com`, `*-foo.example.com`). */
function wildcardDomainProblem(domain: string): string | undefined {
    const pre = dnsPreconditions(domain);
    if (pre !== undefined) {
        return pre;
    }
    const dot = domain.indexOf(".");
    const first = dot < 0 ? domain : domain.slice(0, dot);
    if (!isWildcardDns1123Label(first)) {
        return `has the first label ${show(first)}, which is neither ${DNS_LABEL_RULE} nor a wildcard such as "*" or "*.example.com"`;
    }
    return dot < 0 ? undefined : dns1123Labels(domain.slice(dot + 1));
}

/** ValidateWildcardDomainForVirtualServiceBoundToGateway: also AUTO_PASSTHROUGH's SNI names `outbound_.<PORT>_._.<HOSTNAME>`. */
function gatewayDomainProblem(sni: boolean, domain: string): string | undefined {
    const pre = dnsPreconditions(domain);
    if (pre !== undefined) {
        return pre;
    }
    if (sni && domain.startsWith("outbound_")) {
        const parts = domain.split("_");
        if (parts.length < 4) {
            return "is not of the form outbound_.<PORT>_._.<HOSTNAME>";
        }
        const port = (parts[1] ?? "").replace(/^\.+|\.+$/g, "");
        const hostname = (parts[3] ?? "").replace(/^\.+|\.+$/g, "");
        if (parts[0] !== "outbound") {
            return `has the label ${show(parts[0])}; it must be of the form outbound_.<PORT>_._.<HOSTNAME>`;
        }
        if (!/[0-9]/.test(port)) {
            return `has the port label ${show(port)}; it must be of the form outbound_.<PORT>_._.<HOSTNAME>`;
        }
        if (!/[a-zA-Z]/.test(hostname)) {
            return `has the host label ${show(hostname)}; it must be of the form outbound_.<PORT>_._.<HOSTNAME>`;
        }
        return undefined;
    }
    return wildcardDomainProblem(domain);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isIPv6(addr: string, allowZone: boolean): boolean {
    let a = addr;
    const pct = a.indexOf("%");
    if (pct >= 0) {
        if (!allowZone || pct === a.length - 1) {
            return false;
        }
        a = a.slice(0, pct);
    }
    const halves = a.split("::");
    if (halves.length > 2) {
        return false;
    }
    const groups = (s: string): string[] | undefined => (s === "" ? [] : s.split(":"));
    const left = groups(halves[0] ?? "");
    const right = halves.length === 2 ? groups(halves[1] ?? "") : [];
    if (left === undefined || right === undefined) {
        return false;
    }
    const all = [...left, ...right];
    let count = 0;
    for (let i = 0; i < all.length; i++) {
        const g = all[i] ?? "";
        if (i === all.length - 1 && g.includes(".")) {
            if (!IPV4.test(g)) {
                return false;
            }
            count += 2;
        } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
            count += 1;
        } else {
            return false;
        }
    }
    return halves.length === 2 ? count < 8 : count === 8;
}

/** netip.ParseAddr: IPv4 dotted decimal (no leading zeros) or IPv6 (with an optional zone). */
function isIP(addr: string): boolean {
    return IPV4.test(addr) || isIPv6(addr, true);
}

/** ValidateIPSubnet: a CIDR block (`10.0.0.0/8`, `2001:db8::/32`) or a single IP. */
function subnetProblem(subnet: string): string | undefined {
    if (subnet.split("/").length - 1 === 1) {
        const [ip = "", bits = ""] = subnet.split("/");
        const v4 = IPV4.test(ip);
        const max = v4 ? 32 : 128;
        const ok = (v4 || isIPv6(ip, false)) && /^(0|[1-9]\d{0,2})$/.test(bits) && Number(bits) <= max;
        return ok ? undefined : `${show(subnet)} is not a valid CIDR block such as "10.0.0.0/8" or "2001:db8::/32"`;
    }
    return isIP(subnet) ? undefined : `${show(subnet)} is not a valid IP address or CIDR block`;
}

/** ValidatePort. */
function portOk(port: number): boolean {
    return Number.isInteger(port) && port >= 1 && port <= 65535;
}

function checkPortNumber(f: Findings, path: Path, port: number, what = "port"): void {
    if (!portOk(port)) {
        f.error(path, `${what} ${show(port)} is not a port number; a port must be from 1 to 65535`);
    }
}

/** ValidateUnixAddress: the reason, or undefined. */
function unixAddressProblem(addr: string): string | undefined {
    if (addr.length === 0) {
        return "a unix domain socket address must not be empty";
    }
    if (addr.startsWith("@")) {
        return undefined;
    }
    if (!addr.startsWith("/") || addr.endsWith("/")) {
        return `${show(addr)} is not an absolute path to a file (a unix domain socket is an absolute path, or @name for an abstract one)`;
    }
    return undefined;
}

/** labels.Instance.Validate: Kubernetes label keys and values. */
function checkLabels(f: Findings, path: Path, labels: unknown): void {
    for (const [k, v] of entries(labels)) {
        const m = TAG_KEY.exec(k);
        if (m === null) {
            f.error([...path, k], `label key ${show(k)} is not a valid label key: an optional DNS prefix and '/', then letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
        } else if ((m[1] ?? "").length - 1 > 253) {
            f.error([...path, k], `label key ${show(k)} has a DNS prefix longer than 253 characters`);
        } else if ((m[2] ?? "").length > 63) {
            f.error([...path, k], `label key ${show(k)} has a name longer than 63 characters`);
        }
        const value = str(v);
        if (!LABEL_VALUE.test(value) || value.length > 63) {
            f.error([...path, k], `label value ${show(v)} is not a valid label value: empty, or letters, digits, '-', '_' and '.', starting and ending with a letter or digit`);
        }
    }
}

/** host.Name.Matches: two hosts (wildcards included) that match some common name. */
function hostsMatch(n: string, o: string): boolean {
    const nw = n.startsWith("*");
    const ow = o.startsWith("*");
    if (nw) {
        if (ow) {
            return n.length < o.length ? o.slice(1).endsWith(n.slice(1)) : n.slice(1).endsWith(o.slice(1));
        }
        return o.endsWith(n.slice(1));
    }
    if (ow) {
        return n.endsWith(o.slice(1));
    }
    return n === o;
}

/** host.Name.SubsetOf: every name `n` matches is matched by `o`. */
function hostSubsetOf(n: string, o: string): boolean {
    const nw = n.startsWith("*");
    const ow = o.startsWith("*");
    if (nw) {
        return ow && n.length >= o.length && n.slice(1).endsWith(o.slice(1));
    }
    if (ow) {
        return n.endsWith(o.slice(1));
    }
    return n === o;
}

// ---------------------------------------------------------------------------------------------------
// Protocols (pkg/config/protocol)

type Protocol = "GRPC" | "GRPC-Web" | "HTTP" | "HTTP_PROXY" | "HTTP2" | "HTTPS" | "TCP" | "TLS" | "UDP" | "Mongo" | "Redis" | "MySQL" | "Unsupported";

const PROTOCOLS: Readonly<Record<string, Protocol>> = {
    tcp: "TCP",
    udp: "UDP",
    grpc: "GRPC",
    "grpc-web": "GRPC-Web",
    http: "HTTP",
    http_proxy: "HTTP_PROXY",
    http2: "HTTP2",
    https: "HTTPS",
    tls: "TLS",
    mongo: "Mongo",
    redis: "Redis",
    mysql: "MySQL",
};
const PROTOCOL_LIST = "HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, TCP, TLS, UDP, MONGO, REDIS, MYSQL";

function parseProtocol(s: string): Protocol {
    const key = s.toLowerCase();
    return Object.hasOwn(PROTOCOLS, key) ? (PROTOCOLS[key] ?? "Unsupported") : "Unsupported";
}
const isHttp = (p: Protocol): boolean => p === "HTTP" || p === "HTTP2" || p === "HTTP_PROXY" || p === "GRPC" || p === "GRPC-Web";
const isTls = (p: Protocol): boolean => p === "HTTPS" || p === "TLS";
const isTcp = (p: Protocol): boolean => p === "TCP" || p === "HTTPS" || p === "TLS" || p === "Mongo" || p === "Redis" || p === "MySQL";

/** ValidateProtocol: empty (sniffed) or a known protocol. */
function checkProtocol(f: Findings, path: Path, protocol: string): void {
    if (protocol !== "" && parseProtocol(protocol) === "Unsupported") {
        f.error(path, `protocol ${show(protocol)} is not a protocol Istio knows; it must be one of ${PROTOCOL_LIST} (any case), or unset to detect it`);
    }
}

/** ValidatePortName: a DNS-1123 label. */
function checkPortName(f: Findings, path: Path, name: string): void {
    if (!isDns1123Label(name)) {
        f.error(path, `port name ${show(name)} is not ${DNS_LABEL_RULE}`);
    }
}

// ---------------------------------------------------------------------------------------------------
// Durations (agent.ValidateDuration)

/** A duration Istio accepts: at least 1ms, in whole milliseconds. An unparseable one is the schema's to report. */
function checkDuration(f: Findings, path: Path, value: unknown): void {
    if (typeof value !== "string") {
        return;
    }
    const nanos = parseGoDuration(value);
    if (nanos === undefined) {
        return;
    }
    if (nanos < 1e6) {
        f.error(path, `duration ${show(value)} is shorter than 1ms; Istio's durations must be at least 1ms`);
    } else if (Math.round(nanos) % 1e6 !== 0) {
        f.error(path, `duration ${show(value)} is not a whole number of milliseconds; Istio supports durations to millisecond precision only`);
    }
}

// ---------------------------------------------------------------------------------------------------
// exportTo (validateExportTo, visibility.Instance.Validate)

function checkExportTo(f: Findings, path: Path, namespace: string, exportTo: string[], isServiceEntry: boolean, drWithSelector: boolean): void {
    if (exportTo.length === 0) {
        return;
    }
    const set = new Set<string>();
    exportTo.forEach((e, i) => {
        const key = e === "." ? namespace : e;
        if (set.has(key)) {
            if (key !== e) {
                f.error([...path, i], `exportTo lists both "." and the object's own namespace ${show(namespace)}, which are the same; each entry must be listed once`);
            } else {
                f.error([...path, i], `exportTo lists ${show(e)} more than once; each entry must be listed once`);
            }
        } else if (isServiceEntry && e === "~") {
            set.add(key);
        } else if (key === "~") {
            f.error([...path, i], `exportTo ${show(e)} (export to no one) is allowed only in a ServiceEntry`);
        } else if (key !== "." && key !== "*" && !isDns1123Label(key)) {
            f.error([...path, i], `exportTo ${show(e)} is not ".", "*" or a namespace name (${DNS_LABEL_RULE})`);
        } else {
            set.add(key);
        }
    });
    if (drWithSelector && set.size > 0) {
        if (set.has(namespace)) {
            if (set.size > 1) {
                f.error(path, `a DestinationRule with a workloadSelector can be exported only to its own namespace; exportTo is ${show(exportTo)}`);
            }
        } else {
            f.error(path, `a DestinationRule with a workloadSelector cannot be exported beyond its own namespace; exportTo is ${show(exportTo)}`, 'set exportTo to ["."] or leave it out');
        }
    }
    if (set.has("*") && exportTo.length > 1) {
        f.error(path, `exportTo ${show(exportTo)} has "*" (every namespace) together with other entries; "*" must be the only entry`);
    }
    if (set.has("~") && exportTo.length > 1) {
        f.error(path, `exportTo ${show(exportTo)} has "~" (no one) together with other entries; "~" must be the only entry`);
    }
}

// ---------------------------------------------------------------------------------------------------
// Headers (ValidateHTTPHeader*, header_value_validator.go)

const TCHAR_NAME = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([":method", ":scheme", ":authority", ":path", ":status"]);

function isJwtClaimRoute(name: string): boolean {
    const prefix = "@request.auth.claims";
    if (!name.toLowerCase().startsWith(prefix)) {
        return false;
    }
    const rest = name.slice(prefix.length);
    return (rest.startsWith(".") && rest.length > 1) || (rest.startsWith("[") && rest.endsWith("]") && rest.length > 2);
}

const isInternalHeader = (name: string): boolean => name.startsWith(":") || name.toLowerCase() === "host";
const isAuthorityHeader = (name: string): boolean => name.toLowerCase() === ":authority" || name.toLowerCase() === "host";

/** ValidateHTTPHeaderNameOrJwtClaimRoute (a header a route matches). */
function checkMatchHeaderName(f: Findings, path: Path, name: string): void {
    if (name === "") {
        f.error(path, "a header name must not be empty");
    } else if (!isJwtClaimRoute(name) && !PSEUDO_HEADERS.has(name) && !TCHAR_NAME.test(name)) {
        f.error(path, `header name ${show(name)} is not a valid HTTP header name (RFC 7230 token characters), a pseudo-header such as ":authority", or a JWT claim "@request.auth.claims.<name>"`);
    }
}

/** Envoy's header value grammar: `%VAR%`, `%VAR(args)%`, `%%` for a literal %. The reason, or undefined. */
function headerValueGrammar(value: string): string | undefined {
    type State = "literal" | "varName" | "expectArray" | "expectString" | "string" | "expectDelimOrEnd" | "expectArgsEnd" | "expectVarEnd";
    let state: State = "literal";
    for (let pos = 0; pos < value.length; pos++) {
        const ch = value[pos];
        const hasNext = pos + 1 < value.length;
        switch (state) {
            case "literal":
                if (ch === "%") {
                    if (!hasNext) {
                        return "it ends with an un-escaped '%' (write '%%' for a literal '%')";
                    }
                    if (value[pos + 1] === "%") {
                        pos++;
                    } else {
                        state = "varName";
                    }
                }
                break;
            case "varName":
                if (ch === "%") {
                    state = "literal";
                } else if (ch === "(") {
                    state = "expectArray";
                }
                break;
            case "expectArray":
                if (ch === "[") {
                    state = "expectString";
                } else if (ch !== " ") {
                    state = "string";
                }
                break;
            case "expectDelimOrEnd":
                if (ch === ",") {
                    state = "expectString";
                } else if (ch === "]") {
                    state = "expectArgsEnd";
                } else if (ch !== " ") {
                    return "a variable's argument list expects ',', ']' or a space";
                }
                break;
            case "expectString":
                if (ch === '"') {
                    state = "string";
                } else if (ch !== " ") {
                    return "a variable's argument list expects '\"'";
                }
                break;
            case "string":
                if (ch === "\\") {
                    if (!hasNext) {
                        return "a variable's argument ends with an unterminated backslash";
                    }
                    pos++;
                } else if (ch === ")") {
                    state = "expectVarEnd";
                } else if (ch === '"') {
                    state = "expectDelimOrEnd";
                }
                break;
            case "expectArgsEnd":
                if (ch === ")") {
                    state = "expectVarEnd";
                } else if (ch !== " ") {
                    return "a variable's arguments expect ')' or a space after ']'";
                }
                break;
            case "expectVarEnd":
                if (ch === "%") {
                    state = "literal";
                } else if (ch !== " ") {
                    return "a variable expects '%' or a space after ')'";
                }
                break;
        }
    }
    return state === "literal" ? undefined : "it has an unterminated variable expression (a '%VAR%' whose closing '%' is missing; write '%%' for a literal '%')";
}

// eslint-disable-next-line no-control-regex -- Envoy refuses these control characters in a header value
const HEADER_VALUE_BAD_CHARS = /[\u0000-\u0008\u000A-\u001F\u007F]/;

function checkHeaderValue(f: Findings, path: Path, value: unknown): void {
    const v = str(value);
    if (HEADER_VALUE_BAD_CHARS.test(v)) {
        f.error(path, `header value ${show(v)} has a control character (other than tab); Envoy refuses it`);
        return;
    }
    const reason = headerValueGrammar(v);
    if (reason !== undefined) {
        f.error(path, `header value ${show(v)} is not a valid Envoy header value: ${reason}`);
    }
}

/** Header operations of a route or a destination (`headers.request/response.set/add/remove`). */
function checkHeaderOperations(f: Findings, path: Path, headers: Json | undefined): void {
    const request = obj(field(headers, "request"));
    const response = obj(field(headers, "response"));
    for (const op of ["add", "set"] as const) {
        for (const [name, value] of entries(field(request, op))) {
            const p = [...path, "request", op, name];
            if (name === "") {
                f.error(p, "a header name must not be empty");
            } else if (isInternalHeader(name) && !isAuthorityHeader(name)) {
                f.error(p, `header ${show(name)} cannot be set: a request header a route sets must not start with ":" (":authority" and "host" are the exception)`);
            }
            checkHeaderValue(f, p, value);
        }
    }
    strs(field(request, "remove")).forEach((name, i) => checkOperationName(f, [...path, "request", "remove", i], name, "removed"));
    for (const op of ["add", "set"] as const) {
        for (const [name, value] of entries(field(response, op))) {
            const p = [...path, "response", op, name];
            checkOperationName(f, p, name, "set");
            checkHeaderValue(f, p, value);
        }
    }
    strs(field(response, "remove")).forEach((name, i) => checkOperationName(f, [...path, "response", "remove", i], name, "removed"));
}

/** ValidateHTTPHeaderOperationName. */
function checkOperationName(f: Findings, path: Path, name: string, verb: string): void {
    if (name === "") {
        f.error(path, "a header name must not be empty");
    } else if (name.toLowerCase() === "host") {
        f.error(path, `header ${show(name)} cannot be ${verb} here: the Host header is not one a route may change this way (rewrite.authority sets it)`);
    } else if (isInternalHeader(name)) {
        f.error(path, `header ${show(name)} cannot be ${verb}: a pseudo-header (starting with ":") cannot be changed here`);
    }
}

// ---------------------------------------------------------------------------------------------------
// String matches and regexes

/** validateStringRegexp: at most 1024 characters, RE2 syntax. */
function checkRegex(f: Findings, path: Path, re: string, where: string): void {
    if (re.length > 1024) {
        f.error(path, `${where} regex is ${re.length} characters long; Istio allows at most 1024`);
        return;
    }
    const [problem] = checkRe2("regex", re);
    if (problem !== undefined) {
        const detail = problem.reason.replace(/^.*RE2 says: /s, "");
        f.error(path, `${where} regex ${show(re)} is not a valid RE2 regular expression (Istio uses RE2: no lookarounds, no backreferences): ${detail}`);
    }
}

/** validateStringMatch: a prefix match must not be empty, a regex must be RE2. */
function checkStringMatch(f: Findings, path: Path, sm: Json | undefined, where: string): void {
    if (sm === undefined) {
        return;
    }
    if (Object.hasOwn(sm, "prefix") && typeof sm.prefix === "string") {
        if (sm.prefix === "") {
            f.error([...path, "prefix"], `${where} prefix match is empty; a prefix match must not be empty (leave the match out to match everything)`);
        }
        return;
    }
    checkStringMatchRegex(f, path, sm, where);
}

/** validateStringMatchRegexp: only the regex case. */
function checkStringMatchRegex(f: Findings, path: Path, sm: Json | undefined, where: string): void {
    if (sm === undefined || !Object.hasOwn(sm, "regex") || typeof sm.regex !== "string") {
        return;
    }
    if (sm.regex === "") {
        f.error([...path, "regex"], `${where} regex match is empty; a regex match must not be empty`);
        return;
    }
    checkRegex(f, [...path, "regex"], sm.regex, where);
}

// ---------------------------------------------------------------------------------------------------
// Gateway names, destinations, percentages

/** validateGatewayNames: `<name>` (same namespace, or `mesh`), `<ns>/<name>`; a legacy `<name>.<ns>` warns. */
function checkGatewayNames(f: Findings, path: Path, names: string[]): void {
    for (let i = 0; i < names.length; i++) {
        const name = names[i] ?? "";
        const slash = name.indexOf("/");
        if (slash < 0) {
            if (name.includes(".")) {
                const parts = name.split(".");
                f.warn([...path, i], `gateway name ${show(name)} uses the legacy <name>.<namespace> form; prefer <namespace>/<name>: ${show(`${parts[1] ?? ""}/${parts[0] ?? ""}`)}`);
            }
            const reason = fqdnProblem(name);
            if (reason !== undefined) {
                f.error([...path, i], `gateway name ${show(name)} ${reason}; a gateway is named <name>, <namespace>/<name> or "mesh"`);
            }
            // istiod stops at the first name without a namespace (validateGatewayNames returns there).
            return;
        }
        const ns = name.slice(0, slash);
        const gw = name.slice(slash + 1);
        if (ns === "" || gw === "") {
            f.error([...path, i], `gateway name ${show(name)} has an empty namespace or name; it must be <namespace>/<name>`);
        }
        if (!isDns1123Label(ns)) {
            f.error([...path, i], `gateway name ${show(name)} has the namespace ${show(ns)}, which is not ${DNS_LABEL_RULE}`);
        }
        if (!isDns1123Label(gw)) {
            f.error([...path, i], `gateway name ${show(name)} has the name ${show(gw)}, which is not ${DNS_LABEL_RULE}`);
        }
    }
}

/** validateDestination. */
function checkDestination(f: Findings, path: Path, destination: Json | undefined): void {
    if (destination === undefined) {
        return;
    }
    const host = str(destination.host);
    if (host === "*") {
        f.error([...path, "host"], 'destination host "*" is not a service; a destination names one host');
    } else {
        const reason = wildcardDomainProblem(host);
        if (reason !== undefined) {
            f.error([...path, "host"], `destination host ${show(host)} ${reason}`);
        }
    }
    const subset = str(destination.subset);
    if (subset !== "" && !isDns1123Label(subset)) {
        f.error([...path, "subset"], `subset name ${show(subset)} is not ${DNS_LABEL_RULE}`);
    }
    if (has(destination, "port")) {
        const number = num(obj(destination.port)?.number);
        checkPortNumber(f, [...path, "port", "number"], number, "destination port");
    }
}

/** validatePercentage (fault percentages): 0, or from 0.0001 to 100. */
function checkFaultPercentage(f: Findings, path: Path, percentage: unknown): void {
    if (!isObj(percentage)) {
        return;
    }
    const v = num(percentage.value);
    if (v < 0 || v > 100 || (v > 0 && v < 0.0001)) {
        f.error([...path, "value"], `percentage ${show(v)} is neither 0 nor from 0.0001 to 100`);
    }
}

function checkMirrorPercentage(f: Findings, path: Path, percentage: unknown, what: string): void {
    if (!isObj(percentage)) {
        return;
    }
    const v = num(percentage.value);
    if (v > 100) {
        f.error([...path, "value"], `${what} ${show(v)} is above 100; a mirror percentage must be from 0 to 100`);
    }
    if (v < 0) {
        f.error([...path, "value"], `${what} ${show(v)} is below 0; a mirror percentage must be from 0 to 100`);
    }
}

// ---------------------------------------------------------------------------------------------------
// VirtualService

/** Go's http.StatusText: the status codes it names (a retryOn entry may be one of them). */
const HTTP_STATUS_CODES = new Set([
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405,
    406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504,
    505, 506, 507, 508, 510, 511,
]);

const RETRY_ON_POLICIES = new Set(RETRY_ON_CONDITIONS);

const GRPC_STATUSES = new Set([
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
]);

const CORS_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE", "*"]);

/** Go's strconv.Atoi on a retryOn entry: a decimal integer with an optional sign. */
function atoi(s: string): number {
    return /^[+-]?\d+$/.test(s) ? Number(s) : 0;
}

function validateVirtualService(f: Findings, spec: Json, namespace: string): void {
    const hosts = strs(spec.hosts);
    const gateways = strs(spec.gateways);
    const http = arr(spec.http);
    const tls = arr(spec.tls);
    const tcp = arr(spec.tcp);
    const delegate = hosts.length === 0;
    if (delegate) {
        const why = "a VirtualService without hosts is a delegate, which takes its gateways and hosts from the root that delegates to it";
        if (gateways.length > 0) {
            f.error(["gateways"], `sets gateways ${show(gateways)} but no hosts; ${why}`, "remove gateways, or add hosts to make it a root");
        }
        if (tls.length > 0) {
            f.error(["tls"], `sets tls routes but no hosts; ${why}, and delegation carries HTTP routes only`);
        }
        if (tcp.length > 0) {
            f.error(["tcp"], `sets tcp routes but no hosts; ${why}, and delegation carries HTTP routes only`);
        }
    }
    let appliesToMesh = false;
    let appliesToGateway = false;
    if (gateways.length === 0) {
        appliesToMesh = true;
    } else {
        checkGatewayNames(f, ["gateways"], gateways);
        appliesToGateway = !gateways.includes("mesh");
        appliesToMesh = !appliesToGateway;
    }
    if (!appliesToGateway) {
        http.forEach((route, i) => {
            arr(obj(route)?.match).forEach((m, j) => {
                for (const key of ["headers", "withoutHeaders"] as const) {
                    for (const [name] of entries(obj(m)?.[key])) {
                        if (isJwtClaimRoute(name)) {
                            f.error(["http", i, "match", j, key, name], `matches the JWT claim ${show(name)}, but routing on JWT claims works only for gateways and this VirtualService applies to the mesh (gateways ${show(gateways)})`, "bind the VirtualService to a gateway, without \"mesh\"");
                        }
                    }
                }
            });
        });
    }
    const sni = tls.some((r) => arr(obj(r)?.match).some((m) => strs(obj(m)?.sniHosts).length > 0));
    let allHostsValid = true;
    hosts.forEach((h, i) => {
        const reason = appliesToGateway ? gatewayDomainProblem(sni, h) : wildcardDomainProblem(h);
        if (reason !== undefined) {
            if (!isIP(h)) {
                f.error(["hosts", i], `host ${show(h)} ${reason}`);
                allHostsValid = false;
            }
        } else if (appliesToMesh && h === "*") {
            f.error(["hosts", i], 'host "*" is not allowed in a VirtualService bound to the mesh: it would capture every host', "name the hosts, or bind it to gateways only");
            allHostsValid = false;
        }
    });
    if (allHostsValid) {
        for (let i = 0; i < hosts.length; i++) {
            for (let j = i + 1; j < hosts.length; j++) {
                const a = hosts[i] ?? "";
                const b = hosts[j] ?? "";
                if (hostsMatch(a, b)) {
                    f.error(["hosts", j], `hosts ${show(a)} and ${show(b)} overlap; a VirtualService's hosts must not match each other (a wildcard covers the hosts it matches)`);
                }
            }
        }
    }
    if (http.length === 0 && tcp.length === 0 && tls.length === 0) {
        f.error([], "has no http, tcp or tls routes; a VirtualService must route something");
    }
    http.forEach((route, i) => {
        const r = obj(route);
        if (r === undefined) {
            f.error(["http", i], "an HTTP route may not be null");
            return;
        }
        validateHTTPRoute(f, ["http", i], r, delegate);
    });
    tls.forEach((route, i) => {
        const r = obj(route);
        if (r !== undefined) {
            validateTLSRoute(f, ["tls", i], r, hosts, gateways);
        }
    });
    tcp.forEach((route, i) => {
        const r = obj(route);
        if (r !== undefined) {
            validateTCPRoute(f, ["tcp", i], r);
        }
    });
    checkExportTo(f, ["exportTo"], namespace, strs(spec.exportTo), false, false);
    analyzeUnreachableRules(f, "http", http);
    analyzeUnreachableRules(f, "tcp", tcp);
    analyzeUnreachableRules(f, "tls", tls);
}

function routeLabel(route: Json, i: number): string {
    const name = str(route.name);
    return name === "" ? `#${i}` : show(name);
}

function validateHTTPRoute(f: Findings, p: Path, route: Json, inDelegate: boolean): void {
    const label = routeLabel(route, Number(p[1]));
    const hasRoute = arr(route.route).length > 0;
    if (!inDelegate && has(route, "delegate")) {
        // a root route: it delegates and does nothing else
        if (has(route, "redirect")) {
            f.error([...p, "redirect"], `root HTTP route ${label} sets both delegate and redirect; a route that delegates takes no redirect`);
        }
        if (present(route, "route") && arr(route.route).length > 0) {
            f.error([...p, "route"], `root HTTP route ${label} sets both delegate and route; a route that delegates takes no route`);
        }
    } else {
        if (inDelegate && has(route, "delegate")) {
            f.error([...p, "delegate"], `HTTP route ${label} of a delegate VirtualService (no hosts) delegates again; delegation is one level deep`);
        }
        const one = "an HTTP route takes one of route, redirect, directResponse or delegate";
        if (has(route, "redirect")) {
            if (hasRoute) {
                f.error([...p, "redirect"], `sets both route and redirect; ${one}`);
            }
            if (has(route, "fault")) {
                f.error([...p, "fault"], "sets both fault and redirect; a redirect is answered by the proxy, so there is nothing to inject a fault into");
            }
            if (has(route, "rewrite")) {
                f.error([...p, "rewrite"], "sets both rewrite and redirect; a redirect does not forward the request, so there is nothing to rewrite");
            }
            if (has(route, "directResponse")) {
                f.error([...p, "directResponse"], `sets both directResponse and redirect; ${one}`);
            }
        } else if (has(route, "directResponse")) {
            if (hasRoute) {
                f.error([...p, "directResponse"], `sets both route and directResponse; ${one}`);
            }
            if (has(route, "fault")) {
                f.error([...p, "fault"], "sets both fault and directResponse; a direct response is answered by the proxy, so there is nothing to inject a fault into");
            }
            if (has(route, "rewrite")) {
                f.error([...p, "rewrite"], "sets both rewrite and directResponse; a direct response does not forward the request, so there is nothing to rewrite");
            }
        } else if (!hasRoute) {
            f.error(p, `HTTP route ${label} has none of route, redirect, directResponse or delegate; ${one}`);
        }
        if (has(route, "mirror") && arr(route.mirrors).length > 0) {
            f.error([...p, "mirrors"], "sets both mirror and mirrors; use mirrors alone (mirror is its older, single-destination form)");
        }
    }

    checkHTTPMatches(f, p, route);
    checkHeaderOperations(f, [...p, "headers"], obj(route.headers));
    checkCors(f, [...p, "corsPolicy"], obj(route.corsPolicy));
    checkFault(f, [...p, "fault"], obj(route.fault));
    if (present(route, "mirrorPercent")) {
        const v = wrapped(route.mirrorPercent);
        if (v > 100) {
            f.error([...p, "mirrorPercent"], `mirrorPercent ${show(v)} is above 100; a mirror percentage must be from 0 to 100`);
        }
        f.warn([...p, "mirrorPercent"], 'mirrorPercent is deprecated; use "mirrorPercentage" instead');
    }
    checkMirrorPercentage(f, [...p, "mirrorPercentage"], route.mirrorPercentage, "mirrorPercentage");
    checkDestination(f, [...p, "mirror"], obj(route.mirror));
    arr(route.mirrors).forEach((m, i) => {
        const mp = [...p, "mirrors", i];
        const mirror = obj(m);
        if (mirror === undefined) {
            f.error(mp, "a mirror may not be null");
        } else if (!has(mirror, "destination")) {
            f.error(mp, "a mirror needs a destination");
        } else {
            checkDestination(f, [...mp, "destination"], obj(mirror.destination));
            checkMirrorPercentage(f, [...mp, "percentage"], mirror.percentage, "mirror percentage");
        }
    });
    checkRedirect(f, [...p, "redirect"], obj(route.redirect), arr(route.match));
    checkDirectResponse(f, [...p, "directResponse"], obj(route.directResponse));
    checkRetries(f, [...p, "retries"], obj(route.retries));
    checkRewrite(f, [...p, "rewrite"], obj(route.rewrite));
    checkAuthorityRewrite(f, p, obj(route.rewrite), obj(route.headers));
    checkRouteDestinations(f, [...p, "route"], arr(route.route), true);
    if (present(route, "timeout")) {
        checkDuration(f, [...p, "timeout"], route.timeout);
    }
}

function checkHTTPMatches(f: Findings, p: Path, route: Json): void {
    arr(route.match).forEach((m, j) => {
        const match = obj(m);
        if (match === undefined) {
            return;
        }
        const mp = [...p, "match", j];
        for (const [name, h] of entries(match.headers)) {
            const hp = [...mp, "headers", name];
            if (h === null || h === undefined) {
                f.error(hp, `header match ${show(name)} is null; a header match needs exact, prefix or regex (or {} for "present")`);
            }
            checkMatchHeaderName(f, hp, name);
            checkStringMatch(f, hp, obj(h), "headers");
        }
        for (const [name, h] of entries(match.withoutHeaders)) {
            const hp = [...mp, "withoutHeaders", name];
            checkMatchHeaderName(f, hp, name);
            const sm = obj(h);
            // `*` is not a regex there: it means "present"
            if (sm !== undefined && str(sm.regex) !== "*") {
                checkStringMatch(f, hp, sm, "withoutHeaders");
            }
        }
        // uri allows an empty prefix (Envoy's path match), scheme/method/authority do not
        checkStringMatchRegex(f, [...mp, "uri"], obj(match.uri), "uri");
        checkStringMatch(f, [...mp, "scheme"], obj(match.scheme), "scheme");
        checkStringMatch(f, [...mp, "method"], obj(match.method), "method");
        checkStringMatch(f, [...mp, "authority"], obj(match.authority), "authority");
        for (const [name, qp] of entries(match.queryParams)) {
            checkStringMatch(f, [...mp, "queryParams", name], obj(qp), "queryParams");
        }
    });
    arr(route.match).forEach((m, j) => {
        const match = obj(m);
        if (match === undefined) {
            return;
        }
        const mp = [...p, "match", j];
        if (num(match.port) !== 0) {
            checkPortNumber(f, [...mp, "port"], num(match.port), "match port");
        }
        checkLabels(f, [...mp, "sourceLabels"], match.sourceLabels);
        checkGatewayNames(f, [...mp, "gateways"], strs(match.gateways));
        const sourceNamespace = str(match.sourceNamespace);
        if (sourceNamespace !== "" && !isDns1123Label(sourceNamespace)) {
            f.error([...mp, "sourceNamespace"], `sourceNamespace ${show(sourceNamespace)} is not a namespace name (${DNS_LABEL_RULE})`);
        }
    });
}

/** validateAuthorityRewrite: the authority is rewritten in one place only. */
function checkAuthorityRewrite(f: Findings, p: Path, rewrite: Json | undefined, headers: Json | undefined): void {
    let current = str(rewrite?.authority);
    let where = "rewrite.authority";
    const request = obj(headers?.request);
    for (const op of ["set", "add"] as const) {
        for (const [name, value] of entries(request?.[op])) {
            if (!isAuthorityHeader(name)) {
                continue;
            }
            if (current !== "") {
                f.error([...p, "headers", "request", op, name], `sets the authority to ${show(str(value))} with header ${show(name)}, but ${where} already sets it to ${show(current)}; the authority can be rewritten in one place only`);
                return;
            }
            current = str(value);
            where = `headers.request.${op}[${show(name)}]`;
        }
    }
}

function checkCors(f: Findings, p: Path, cors: Json | undefined): void {
    if (cors === undefined) {
        return;
    }
    arr(cors.allowOrigins).forEach((o, i) => {
        const origin = obj(o);
        const match = str(origin?.exact) || str(origin?.prefix) || str(origin?.regex);
        if (match === "") {
            f.error([...p, "allowOrigins", i], `allowOrigins entry ${show(o)} matches nothing; a CORS origin needs a non-empty exact, prefix or regex`);
            return;
        }
        checkStringMatchRegex(f, [...p, "allowOrigins", i], origin, "corsPolicy.allowOrigins");
    });
    strs(cors.allowMethods).forEach((m, i) => {
        if (!CORS_METHODS.has(m)) {
            f.error([...p, "allowMethods", i], `${show(m)} is not an HTTP method; allowMethods takes ${[...CORS_METHODS].join(", ")} (upper case)`);
        }
    });
    for (const key of ["allowHeaders", "exposeHeaders"] as const) {
        strs(cors[key]).forEach((h, i) => {
            if (h === "") {
                f.error([...p, key, i], "a header name must not be empty");
            } else if (h !== "*" && !TCHAR_NAME.test(h)) {
                f.error([...p, key, i], `header name ${show(h)} is not a valid HTTP header name (RFC 7230 token characters) or "*"`);
            }
        });
    }
    if (present(cors, "maxAge")) {
        checkDuration(f, [...p, "maxAge"], cors.maxAge);
        const nanos = typeof cors.maxAge === "string" ? parseGoDuration(cors.maxAge) : undefined;
        if (nanos !== undefined && Math.round(nanos) % 1e9 !== 0) {
            f.error([...p, "maxAge"], `maxAge ${show(cors.maxAge)} is not a whole number of seconds; a CORS max age is accurate to seconds only`);
        }
    }
}

function checkFault(f: Findings, p: Path, fault: Json | undefined): void {
    if (fault === undefined) {
        return;
    }
    const abort = obj(fault.abort);
    const delay = obj(fault.delay);
    if (abort === undefined && delay === undefined) {
        f.error(p, "fault injects nothing; a fault needs an abort, a delay or both");
    }
    if (abort !== undefined) {
        checkFaultPercentage(f, [...p, "abort", "percentage"], abort.percentage);
        if (present(abort, "grpcStatus")) {
            const s = str(abort.grpcStatus);
            if (!GRPC_STATUSES.has(s)) {
                f.error([...p, "abort", "grpcStatus"], `gRPC status ${show(s)} is not a gRPC status code name; use one of ${[...GRPC_STATUSES].join(", ")}`);
            }
        } else if (present(abort, "http2Error")) {
            f.error([...p, "abort", "http2Error"], "HTTP/2 abort fault injection (http2Error) is not supported by Istio yet", "use httpStatus or grpcStatus");
        } else if (present(abort, "httpStatus")) {
            checkHttpStatus(f, [...p, "abort", "httpStatus"], num(abort.httpStatus));
        } else {
            f.warn([...p, "abort"], "abort is configured but sets no error type (httpStatus, grpcStatus)");
        }
    }
    if (delay !== undefined) {
        checkFaultPercentage(f, [...p, "delay", "percentage"], delay.percentage);
        if (present(delay, "fixedDelay")) {
            checkDuration(f, [...p, "delay", "fixedDelay"], delay.fixedDelay);
        } else if (present(delay, "exponentialDelay")) {
            checkDuration(f, [...p, "delay", "exponentialDelay"], delay.exponentialDelay);
            f.error([...p, "delay", "exponentialDelay"], "exponentialDelay is not supported by Istio yet", "use fixedDelay");
        }
    }
}

/** validateHTTPStatus: 200..600 as istiod checks it. */
function checkHttpStatus(f: Findings, path: Path, status: number): void {
    if (status < 200 || status > 600) {
        f.error(path, `HTTP status ${show(status)} is not from 200 to 599`);
    }
}

/** validateHTTPRedirect: istiod reports the first problem only. */
function checkRedirect(f: Findings, p: Path, redirect: Json | undefined, matches: unknown[]): void {
    if (redirect === undefined) {
        return;
    }
    const uri = str(redirect.uri);
    const prefixRewrite = str(redirect.prefixRewrite);
    if (uri !== "" && prefixRewrite !== "") {
        f.error([...p, "prefixRewrite"], `redirect sets both uri ${show(uri)} and prefixRewrite ${show(prefixRewrite)}; a redirect takes one of them`);
        return;
    }
    if (prefixRewrite !== "") {
        for (let j = 0; j < matches.length; j++) {
            const u = obj(obj(matches[j])?.uri);
            if (u !== undefined && !(Object.hasOwn(u, "prefix") && typeof u.prefix === "string")) {
                f.error([...p, "prefixRewrite"], `redirect.prefixRewrite needs every URI match to be a prefix match, but match ${j} matches the URI by ${show(u)}`);
                return;
            }
        }
    }
    const hasPort = present(redirect, "port") || present(redirect, "derivePort");
    if (uri === "" && prefixRewrite === "" && str(redirect.authority) === "" && !hasPort && str(redirect.scheme) === "") {
        f.error(p, "redirect changes nothing; a redirect must set uri, prefixRewrite, authority, scheme, port or derivePort");
        return;
    }
    const code = num(redirect.redirectCode);
    if (code !== 0 && (code < 300 || code > 399)) {
        f.error([...p, "redirectCode"], `redirectCode ${show(code)} is not a redirect status; it must be a 3xx code (from 300 to 399)`);
        return;
    }
    const scheme = str(redirect.scheme);
    if (scheme !== "" && scheme !== "http" && scheme !== "https") {
        f.error([...p, "scheme"], `redirect scheme ${show(scheme)} is neither "http" nor "https"`);
        return;
    }
    const port = num(redirect.port);
    if (port > 0 && !portOk(port)) {
        checkPortNumber(f, [...p, "port"], port, "redirect port");
    }
}

function checkDirectResponse(f: Findings, p: Path, dr: Json | undefined): void {
    if (dr === undefined) {
        return;
    }
    const body = obj(dr.body);
    if (body !== undefined) {
        let size = 0;
        if (typeof body.string === "string") {
            size = new TextEncoder().encode(body.string).length;
        } else if (typeof body.bytes === "string") {
            const b64 = body.bytes.replace(/=+$/, "");
            size = Math.floor((b64.length * 3) / 4);
        }
        if (size > 1024 * 1024) {
            f.error([...p, "body"], `directResponse body is ${size} bytes; it must be less than 1MB (large direct responses weigh on the control plane)`);
        } else if (size > 100 * 1024) {
            f.warn([...p, "body"], `directResponse body is ${size} bytes; large direct responses (over 100KB) may impact control plane performance`);
        }
    }
    checkHttpStatus(f, [...p, "status"], num(dr.status));
}

function checkRetries(f: Findings, p: Path, retries: Json | undefined): void {
    if (retries === undefined) {
        return;
    }
    const attempts = num(retries.attempts);
    if (attempts < 0) {
        f.error([...p, "attempts"], `retries.attempts is ${show(attempts)}; it cannot be negative`);
    }
    const retryOn = str(retries.retryOn);
    const policy = ["perTryTimeout", "retryOn", "retryRemoteLocalities"].filter((k) => (k === "retryOn" ? retryOn !== "" : present(retries, k)));
    if (attempts === 0 && policy.length > 0) {
        const set = policy.map((k) => `${k} ${show(retries[k])}`).join(", ");
        f.error([...p, "attempts"], `retries sets ${set} while attempts is ${show(retries.attempts ?? 0)} (retries disabled); a retry policy needs attempts above 0`, "set attempts to the number of retries, or remove the retry policy");
    }
    if (present(retries, "perTryTimeout")) {
        checkDuration(f, [...p, "perTryTimeout"], retries.perTryTimeout);
    }
    if (retryOn !== "") {
        for (const policy of retryOn.split(",")) {
            if (!HTTP_STATUS_CODES.has(atoi(policy)) && !RETRY_ON_POLICIES.has(policy)) {
                f.error([...p, "retryOn"], `retryOn has ${show(policy)}, which is neither an Envoy retry condition nor an HTTP status code; retryOn is a comma-separated list (no spaces) of ${[...RETRY_ON_POLICIES].join(", ")} or status codes`);
            }
        }
    }
    if (present(retries, "backoff")) {
        checkDuration(f, [...p, "backoff"], retries.backoff);
    }
}

function checkRewrite(f: Findings, p: Path, rewrite: Json | undefined): void {
    if (rewrite === undefined) {
        return;
    }
    const uri = str(rewrite.uri);
    const regexRewrite = obj(rewrite.uriRegexRewrite);
    if (uri !== "" && regexRewrite !== undefined) {
        f.error([...p, "uriRegexRewrite"], `rewrite sets both uri ${show(uri)} and uriRegexRewrite; a rewrite takes one of them`);
        return;
    }
    if (uri === "" && regexRewrite === undefined && str(rewrite.authority) === "") {
        f.error(p, "rewrite changes nothing; a rewrite must set uri, uriRegexRewrite or authority");
        return;
    }
    if (regexRewrite !== undefined) {
        const match = str(regexRewrite.match);
        const to = str(regexRewrite.rewrite);
        if (match === "" || to === "") {
            f.error([...p, "uriRegexRewrite", match === "" ? "match" : "rewrite"], "uriRegexRewrite needs both match and rewrite");
            return;
        }
        checkRegex(f, [...p, "uriRegexRewrite", "match"], match, "rewrite.uriRegexRewrite.match");
    }
}

/** validateHTTPRouteDestinations (`headers`: an HTTP route's destinations carry header operations) and validateRouteDestinations. */
function checkRouteDestinations(f: Findings, p: Path, destinations: unknown[], headers = false): void {
    let total = 0;
    destinations.forEach((d, i) => {
        const dp = [...p, i];
        const dest = obj(d);
        if (dest === undefined) {
            f.error(dp, "a route destination may not be null");
            return;
        }
        if (!has(dest, "destination")) {
            f.error(dp, "a route entry needs a destination");
        }
        if (headers) {
            checkHeaderOperations(f, [...dp, "headers"], obj(dest.headers));
        }
        checkDestination(f, [...dp, "destination"], obj(dest.destination));
        const weight = num(dest.weight);
        if (weight < 0) {
            f.error([...dp, "weight"], `weight ${show(weight)} is negative; a weight must be at least 0`);
        }
        total += weight;
    });
    if (destinations.length > 1 && total === 0) {
        f.error(p, "the weights of the route's destinations sum to 0; with more than one destination, at least one needs a weight above 0");
    }
}

function checkL4Match(f: Findings, mp: Path, match: Json): void {
    strs(match.destinationSubnets).forEach((s, k) => {
        const reason = subnetProblem(s);
        if (reason !== undefined) {
            f.error([...mp, "destinationSubnets", k], reason);
        }
    });
    if (num(match.port) !== 0) {
        checkPortNumber(f, [...mp, "port"], num(match.port), "match port");
    }
    checkLabels(f, [...mp, "sourceLabels"], match.sourceLabels);
    checkGatewayNames(f, [...mp, "gateways"], strs(match.gateways));
}

function validateTLSRoute(f: Findings, p: Path, route: Json, hosts: string[], gateways: string[]): void {
    const matches = arr(route.match);
    if (matches.length === 0) {
        f.error([...p, "match"], "a TLS route needs at least one match (with sniHosts)");
    }
    matches.forEach((m, j) => {
        const mp = [...p, "match", j];
        const match = obj(m);
        if (match === undefined) {
            f.error(mp, "a TLS match may not be null");
            return;
        }
        const sniHosts = strs(match.sniHosts);
        if (sniHosts.length === 0) {
            f.error([...mp, "sniHosts"], "a TLS match needs at least one SNI host");
        }
        sniHosts.forEach((sni, k) => checkSniHost(f, [...mp, "sniHosts", k], sni, hosts, gateways));
        checkL4Match(f, mp, match);
    });
    const destinations = arr(route.route);
    if (destinations.length === 0) {
        f.error([...p, "route"], "a TLS route needs a route (at least one destination)");
    }
    checkRouteDestinations(f, [...p, "route"], destinations);
}

function checkSniHost(f: Findings, path: Path, sni: string, hosts: string[], gateways: string[]): void {
    const reason = !gateways.includes("mesh") ? gatewayDomainProblem(true, sni) : wildcardDomainProblem(sni);
    if (reason !== undefined) {
        if (isIP(sni)) {
            f.warn(path, `SNI host ${show(sni)} is an IP address, which goes against the SNI spec; most clients do not send one`);
        } else {
            f.error(path, `SNI host ${show(sni)} ${reason}`);
        }
        return;
    }
    if (!hosts.some((h) => hostSubsetOf(sni, h))) {
        f.error(path, `SNI host ${show(sni)} is not within any of the VirtualService's hosts ${show(hosts)}; an SNI host must be one of them or covered by a wildcard among them`);
    }
}

function validateTCPRoute(f: Findings, p: Path, route: Json): void {
    arr(route.match).forEach((m, j) => {
        const match = obj(m);
        if (match === undefined) {
            f.error([...p, "match", j], "a TCP match may not be null");
            return;
        }
        checkL4Match(f, [...p, "match", j], match);
    });
    const destinations = arr(route.route);
    if (destinations.length === 0) {
        f.error([...p, "route"], "a TCP route needs a route (at least one destination)");
    }
    checkRouteDestinations(f, [...p, "route"], destinations);
}

// --- unreachable rules and ineffective matches (warnings) ---

/** The match as Go's json.Marshal of the proto struct sees it: zero values left out, keys sorted, its name dropped. */
function canonical(value: unknown, dropName: boolean): string {
    const norm = (v: unknown, top: boolean): unknown => {
        if (Array.isArray(v)) {
            const items = v.map((x) => norm(x, false)).filter((x) => x !== undefined);
            return items.length === 0 ? undefined : items;
        }
        if (isObj(v)) {
            const out: Json = {};
            for (const k of Object.keys(v).sort()) {
                if (top && dropName && k === "name") {
                    continue;
                }
                const n = norm(v[k], false);
                if (n !== undefined) {
                    out[k] = n;
                }
            }
            return Object.keys(out).length === 0 && !top ? undefined : out;
        }
        if (v === null || v === undefined || v === false || v === 0 || v === "") {
            return undefined;
        }
        return v;
    };
    return JSON.stringify(norm(value, true) ?? {});
}

interface PrefixMatch {
    route: string;
    match: string;
    prefix: string;
    path: Path;
    port: number;
    method: string;
    authority: string;
    headers: Map<string, string>;
    queryParams: Map<string, string>;
    withoutHeaders: Map<string, string>;
}

const exactOrPrefix = (sm: unknown): string => {
    const o = obj(sm);
    const exact = str(o?.exact);
    if (exact !== "") {
        return `exact:${exact}`;
    }
    const prefix = str(o?.prefix);
    return prefix !== "" ? `prefix:${prefix}` : "";
};

function stringMap(v: unknown): Map<string, string> {
    return new Map(entries(v).map(([k, sm]) => [k, exactOrPrefix(sm)]));
}

function mapCovered(a: Map<string, string>, b: Map<string, string>): boolean {
    if (a.size !== b.size) {
        return false;
    }
    for (const [k, va] of a) {
        const vb = b.get(k);
        if (vb === undefined || (va !== vb && !va.startsWith(vb))) {
            return false;
        }
    }
    return true;
}

/** coveredValidation: the earlier prefix match `a` takes every request the later `b` would. */
function covered(a: PrefixMatch, b: PrefixMatch): boolean {
    if (!b.prefix.startsWith(a.prefix) || a.port !== b.port) {
        return false;
    }
    if (a.method !== b.method && !a.method.startsWith(b.method)) {
        return false;
    }
    if (a.authority !== b.authority && !a.authority.startsWith(b.authority)) {
        return false;
    }
    return mapCovered(a.headers, b.headers) && mapCovered(a.queryParams, b.queryParams) && mapCovered(a.withoutHeaders, b.withoutHeaders);
}

function analyzeUnreachableRules(f: Findings, kind: "http" | "tcp" | "tls", routes: unknown[]): void {
    const seen = new Map<string, number>();
    let emptyMatchAt = -1;
    const prefixMatches: PrefixMatch[] = [];
    const name = (i: number): string => (kind === "http" ? routeLabel(obj(routes[i]) ?? {}, i) : `#${i}`);
    routes.forEach((r, i) => {
        const route = obj(r);
        if (route === undefined) {
            return;
        }
        const matches = arr(route.match);
        if (matches.length === 0) {
            if (emptyMatchAt >= 0) {
                f.warn([kind, i], `${kind} rule ${name(i)} is never used: only the last rule can have no matches, and rule ${name(emptyMatchAt)} before it has none (it takes every request)`);
            }
            emptyMatchAt = i;
            return;
        }
        let duplicates = 0;
        matches.forEach((m, j) => {
            if (emptyMatchAt >= 0) {
                f.warn([kind, i], `${kind} rule ${name(i)} is never used: rule ${name(emptyMatchAt)} before it has no matches (it takes every request)`);
                return;
            }
            const key = canonical(m, kind === "http");
            const dup = seen.get(key);
            const matchName = kind === "http" && str(obj(m)?.name) !== "" ? show(str(obj(m)?.name)) : `#${j}`;
            if (dup !== undefined) {
                f.warn([kind, i, "match", j], `${kind} rule ${name(i)} match ${matchName} is never used: rule ${name(dup)} has the same match before it`);
                duplicates++;
                return;
            }
            seen.set(key, i);
            const match = obj(m);
            const prefix = str(obj(match?.uri)?.prefix);
            if (kind === "http" && match !== undefined && prefix !== "") {
                prefixMatches.push({
                    route: name(i),
                    match: matchName,
                    prefix,
                    path: [kind, i, "match", j],
                    port: num(match.port),
                    method: exactOrPrefix(match.method) || "exact:GET",
                    authority: exactOrPrefix(match.authority),
                    headers: stringMap(match.headers),
                    queryParams: stringMap(match.queryParams),
                    withoutHeaders: stringMap(match.withoutHeaders),
                });
            }
        });
        if (duplicates === matches.length) {
            f.warn([kind, i], `${kind} rule ${name(i)} is never used: every one of its matches is used by a rule before it`);
        }
    });
    for (let a = 0; a < prefixMatches.length; a++) {
        for (let b = a + 1; b < prefixMatches.length; b++) {
            const first = prefixMatches[a];
            const later = prefixMatches[b];
            if (first === undefined || later === undefined || first.prefix === later.prefix) {
                continue;
            }
            if (covered(first, later)) {
                f.warn(later.path, `${kind} rule ${later.route} match ${later.match} (prefix ${show(later.prefix)}) is never used: match ${first.match} of prefix ${show(first.prefix)} on rule ${first.route} before it takes every request it would`);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// DestinationRule and traffic policies

function validateDestinationRule(f: Findings, spec: Json, namespace: string): void {
    const host = str(spec.host);
    const reason = wildcardDomainProblem(host);
    if (reason !== undefined) {
        f.error(["host"], `host ${show(host)} ${reason}`);
    }
    if (present(spec, "trafficPolicy")) {
        checkTrafficPolicy(f, ["trafficPolicy"], obj(spec.trafficPolicy) ?? {}, namespace);
    }
    const names = new Set<string>();
    arr(spec.subsets).forEach((s, i) => {
        const subset = obj(s);
        if (subset === undefined) {
            f.error(["subsets", i], "a subset may not be null");
            return;
        }
        const name = str(subset.name);
        if (names.has(name)) {
            f.error(["subsets", i, "name"], `subset name ${show(name)} is defined more than once; subset names must be unique`);
        }
        names.add(name);
        if (name === "") {
            f.error(["subsets", i, "name"], "a subset name must not be empty");
        } else if (!isDns1123Label(name)) {
            f.error(["subsets", i, "name"], `subset name ${show(name)} is not ${DNS_LABEL_RULE}`);
        }
        checkLabels(f, ["subsets", i, "labels"], subset.labels);
        if (present(subset, "trafficPolicy")) {
            checkTrafficPolicy(f, ["subsets", i, "trafficPolicy"], obj(subset.trafficPolicy) ?? {}, namespace);
        }
    });
    const selector = obj(spec.workloadSelector);
    checkExportTo(f, ["exportTo"], namespace, strs(spec.exportTo), false, selector !== undefined);
    if (selector !== undefined) {
        const labels = entries(selector.matchLabels);
        for (const [k, v] of labels) {
            if (k === "") {
                f.error(["workloadSelector", "matchLabels", k], "a workloadSelector label key must not be empty");
            }
            if (k.includes("*") || str(v).includes("*")) {
                f.error(["workloadSelector", "matchLabels", k], `workloadSelector label ${show(`${k}=${str(v)}`)} has a wildcard; a selector's labels are matched literally`);
            }
        }
        if (labels.length === 0) {
            f.warn(["workloadSelector"], "workloadSelector has no labels, so it selects every workload of the namespace");
        }
    }
}

const POLICY_FIELDS = ["outlierDetection", "connectionPool", "loadBalancer", "tls", "portLevelSettings", "tunnel", "proxyProtocol", "retryBudget"];

function checkTrafficPolicy(f: Findings, p: Path, policy: Json, namespace: string): void {
    if (!POLICY_FIELDS.some((k) => (k === "portLevelSettings" ? arr(policy[k]).length > 0 : has(policy, k)))) {
        f.error(p, "trafficPolicy is empty; a traffic policy must set at least one field", "remove it, or set loadBalancer, connectionPool, outlierDetection, tls, ...");
        return;
    }
    if (has(policy, "tunnel") && has(policy, "proxyProtocol")) {
        f.error([...p, "proxyProtocol"], "trafficPolicy sets both tunnel and proxyProtocol; they must not be set together");
        return;
    }
    checkOutlierDetection(f, [...p, "outlierDetection"], obj(policy.outlierDetection));
    checkConnectionPool(f, [...p, "connectionPool"], obj(policy.connectionPool));
    checkLoadBalancer(f, [...p, "loadBalancer"], obj(policy.loadBalancer), obj(policy.outlierDetection));
    checkClientTls(f, [...p, "tls"], obj(policy.tls), namespace);
    arr(policy.portLevelSettings).forEach((s, i) => {
        const sp = [...p, "portLevelSettings", i];
        const pl = obj(s);
        if (pl === undefined) {
            f.error(sp, "a port-level traffic policy may not be null");
            return;
        }
        if (!has(pl, "port")) {
            f.error([...sp, "port"], "a port-level traffic policy needs the port it applies to");
        }
        if (!["outlierDetection", "connectionPool", "loadBalancer", "tls"].some((k) => has(pl, k))) {
            f.error(sp, "a port-level traffic policy must set at least one of outlierDetection, connectionPool, loadBalancer or tls");
            return;
        }
        checkOutlierDetection(f, [...sp, "outlierDetection"], obj(pl.outlierDetection));
        checkConnectionPool(f, [...sp, "connectionPool"], obj(pl.connectionPool));
        checkLoadBalancer(f, [...sp, "loadBalancer"], obj(pl.loadBalancer), obj(pl.outlierDetection));
        checkClientTls(f, [...sp, "tls"], obj(pl.tls), namespace);
    });
    const tunnel = obj(policy.tunnel);
    if (tunnel !== undefined) {
        const protocol = str(tunnel.protocol);
        if (protocol !== "" && protocol !== "CONNECT" && protocol !== "POST") {
            f.error([...p, "tunnel", "protocol"], `tunnel protocol ${show(protocol)} is neither "CONNECT" nor "POST"`);
        }
        const target = str(tunnel.targetHost);
        if (fqdnProblem(target) !== undefined && !isIP(target)) {
            f.error([...p, "tunnel", "targetHost"], `tunnel targetHost ${show(target)} is neither a valid FQDN nor an IP address`);
        }
        checkPortNumber(f, [...p, "tunnel", "targetPort"], num(tunnel.targetPort), "tunnel targetPort");
    }
}

function checkOutlierDetection(f: Findings, p: Path, od: Json | undefined): void {
    if (od === undefined) {
        return;
    }
    if (present(od, "baseEjectionTime")) {
        checkDuration(f, [...p, "baseEjectionTime"], od.baseEjectionTime);
    }
    if (num(od.consecutiveErrors) !== 0) {
        f.warn([...p, "consecutiveErrors"], "outlierDetection.consecutiveErrors is deprecated; use consecutiveGatewayErrors or consecutive5xxErrors instead");
    }
    if (!bool(od.splitExternalLocalOriginErrors) && wrapped(od.consecutiveLocalOriginFailures) > 0) {
        f.error([...p, "consecutiveLocalOriginFailures"], `consecutiveLocalOriginFailures is ${show(wrapped(od.consecutiveLocalOriginFailures))} but splitExternalLocalOriginErrors is not true; local-origin failures are counted only when they are split from external errors`, "set splitExternalLocalOriginErrors: true");
    }
    if (present(od, "interval")) {
        checkDuration(f, [...p, "interval"], od.interval);
    }
    for (const key of ["maxEjectionPercent", "minHealthPercent"] as const) {
        const v = num(od[key]);
        if (v < 0 || v > 100) {
            f.error([...p, key], `${key} ${show(v)} is not a percentage from 0 to 100`);
        }
    }
}

function checkConnectionPool(f: Findings, p: Path, pool: Json | undefined): void {
    if (pool === undefined) {
        return;
    }
    const http = obj(pool.http);
    const tcp = obj(pool.tcp);
    if (http === undefined && tcp === undefined) {
        f.error(p, "connectionPool is empty; it must set http, tcp or both");
        return;
    }
    if (http !== undefined) {
        for (const key of ["http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries", "maxConcurrentStreams"]) {
            if (num(http[key]) < 0) {
                f.error([...p, "http", key], `${key} is ${show(num(http[key]))}; it must not be negative`);
            }
        }
        if (present(http, "idleTimeout")) {
            checkDuration(f, [...p, "http", "idleTimeout"], http.idleTimeout);
        }
        if (str(http.h2UpgradePolicy) === "UPGRADE" && bool(http.useClientProtocol)) {
            f.error([...p, "http", "useClientProtocol"], "useClientProtocol is true while h2UpgradePolicy is UPGRADE; the two contradict each other");
        }
        const keepalive = obj(http.http2KeepAlive);
        if (keepalive !== undefined) {
            for (const key of ["interval", "timeout"]) {
                if (present(keepalive, key)) {
                    checkDuration(f, [...p, "http", "http2KeepAlive", key], keepalive[key]);
                } else {
                    f.error([...p, "http", "http2KeepAlive", key], `http2KeepAlive needs ${key}`);
                }
            }
        }
    }
    if (tcp !== undefined) {
        if (num(tcp.maxConnections) < 0) {
            f.error([...p, "tcp", "maxConnections"], `maxConnections is ${show(num(tcp.maxConnections))}; it must not be negative`);
        }
        for (const key of ["connectTimeout", "maxConnectionDuration"]) {
            if (present(tcp, key)) {
                checkDuration(f, [...p, "tcp", key], tcp[key]);
            }
        }
        if (present(tcp, "idleTimeout")) {
            const nanos = typeof tcp.idleTimeout === "string" ? parseGoDuration(tcp.idleTimeout) : undefined;
            // 0s turns the idle timeout off
            if (nanos === undefined || Math.trunc(nanos / 1e6) !== 0) {
                checkDuration(f, [...p, "tcp", "idleTimeout"], tcp.idleTimeout);
            }
        }
        const ka = obj(tcp.tcpKeepalive);
        for (const key of ["time", "interval"]) {
            if (present(ka, key)) {
                checkDuration(f, [...p, "tcp", "tcpKeepalive", key], field(ka, key));
            }
        }
    }
}

function isPrime(x: number): boolean {
    if (x !== 0 && x < 4) {
        return true;
    }
    if (x % 2 === 0) {
        return false;
    }
    const limit = Math.floor(Math.sqrt(x));
    for (let factor = 3; factor <= limit; factor += 2) {
        if (x % factor === 0) {
            return false;
        }
    }
    return true;
}

const TOPOLOGY_LABELS = new Set(["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"]);

function checkLoadBalancer(f: Findings, p: Path, lb: Json | undefined, outlier: Json | undefined): void {
    if (lb === undefined) {
        return;
    }
    const ch = obj(lb.consistentHash);
    if (ch !== undefined) {
        const cookie = obj(ch.httpCookie);
        if (cookie !== undefined && str(cookie.name) === "") {
            f.error([...p, "consistentHash", "httpCookie", "name"], "httpCookie needs the cookie's name");
        }
        const attrNames = new Set<string>();
        arr(cookie?.attributes).forEach((a, i) => {
            const name = str(obj(a)?.name);
            if (name === "") {
                f.error([...p, "consistentHash", "httpCookie", "attributes", i, "name"], "a cookie attribute name must not be empty");
            } else if (attrNames.has(name)) {
                f.error([...p, "consistentHash", "httpCookie", "attributes", i, "name"], `cookie attribute ${show(name)} is listed more than once`);
            }
            attrNames.add(name);
        });
        const ringSize = num(ch.minimumRingSize);
        if (ringSize !== 0) {
            f.warn([...p, "consistentHash", "minimumRingSize"], "consistentHash.minimumRingSize is deprecated; use ringHash.minimumRingSize instead");
            if (has(ch, "maglev") || has(ch, "ringHash")) {
                f.error([...p, "consistentHash", "minimumRingSize"], "consistentHash sets minimumRingSize together with maglev or ringHash; set only one of them");
            }
        }
        const maglev = obj(ch.maglev);
        if (maglev !== undefined) {
            const size = num(maglev.tableSize);
            const mp = [...p, "consistentHash", "maglev", "tableSize"];
            if (size === 0) {
                f.error(mp, "maglev needs a tableSize (a prime number below 5000011)");
            }
            if (size >= 5000011) {
                f.error(mp, `maglev tableSize ${show(size)} is too large; it must be less than 5000011`);
            }
            if (!isPrime(size)) {
                f.error(mp, `maglev tableSize ${show(size)} is not a prime number; Envoy's maglev table size must be prime, such as 65537`);
            }
        }
    }
    const locality = obj(lb.localityLbSetting);
    const zoneAware = obj(lb.zoneAwareLbSetting);
    if (locality !== undefined && zoneAware !== undefined) {
        f.error([...p, "zoneAwareLbSetting"], "loadBalancer sets both localityLbSetting and zoneAwareLbSetting; set only one of them");
    }
    if (locality !== undefined) {
        checkLocalityLb(f, [...p, "localityLbSetting"], locality, outlier);
    }
    if (zoneAware !== undefined) {
        checkZoneAwareLb(f, [...p, "zoneAwareLbSetting"], zoneAware, outlier);
    }
    const warmup = obj(lb.warmup);
    if (warmup !== undefined) {
        if (present(warmup, "duration")) {
            checkDuration(f, [...p, "warmup", "duration"], warmup.duration);
        } else {
            f.error([...p, "warmup", "duration"], "warmup needs a duration");
        }
        if (wrapped(warmup.minimumPercent) > 100) {
            f.error([...p, "warmup", "minimumPercent"], `warmup minimumPercent ${show(wrapped(warmup.minimumPercent))} is above 100`);
        }
        if (present(warmup, "aggression") && wrapped(warmup.aggression) <= 0) {
            f.error([...p, "warmup", "aggression"], `warmup aggression ${show(wrapped(warmup.aggression))} must be greater than 0`);
        }
    }
}

/** agent.ValidateLocalityLbSetting: istiod stops at the first problem of distribute. */
function checkLocalityLb(f: Findings, p: Path, lb: Json, outlier: Json | undefined): void {
    const distribute = arr(lb.distribute);
    const failover = arr(lb.failover);
    const priority = strs(lb.failoverPriority);
    if (distribute.length > 0 && failover.length > 0) {
        f.error(p, "localityLbSetting sets both distribute and failover; set only one of them");
        return;
    }
    if (failover.length > 0) {
        const topo = priority.findIndex((l) => TOPOLOGY_LABELS.has(l));
        if (topo >= 0) {
            f.error([...p, "failoverPriority", topo], `failoverPriority has the topology label ${show(priority[topo])} while failover is set; failover already orders by region, so set only one of them`);
            return;
        }
    }
    const sources: string[] = [];
    for (let i = 0; i < distribute.length; i++) {
        const d = obj(distribute[i]);
        sources.push(str(d?.from));
        let total = 0;
        const dests: string[] = [];
        for (const [loc, w] of entries(d?.to)) {
            dests.push(loc);
            const weight = num(w);
            if (weight <= 0 || weight > 100) {
                f.error([...p, "distribute", i, "to", loc], `locality weight ${show(weight)} is not from 1 to 100`);
                return;
            }
            total += weight;
        }
        if (total !== 100) {
            f.error([...p, "distribute", i, "to"], `the locality weights sum to ${total}; they must sum to 100`);
            return;
        }
        const reason = localitiesProblem(dests);
        if (reason !== undefined) {
            f.error([...p, "distribute", i, "to"], reason);
        }
    }
    const reason = localitiesProblem(sources);
    if (reason !== undefined) {
        f.error([...p, "distribute"], reason);
    }
    if ((failover.length > 0 || priority.length > 0) && outlier === undefined) {
        f.warn(p, "failover is configured without an outlierDetection policy; failover happens only when outlier detection ejects endpoints", "add trafficPolicy.outlierDetection");
    }
    checkFailover(f, [...p, "failover"], failover, "locality lb failover");
}

function checkZoneAwareLb(f: Findings, p: Path, lb: Json, outlier: Json | undefined): void {
    const failover = arr(lb.failover);
    const priority = strs(lb.failoverPriority);
    priority.forEach((l, i) => {
        if (TOPOLOGY_LABELS.has(l)) {
            f.error([...p, "failoverPriority", i], `failoverPriority has the topology label ${show(l)}; zone-aware load balancing handles region and zone routing itself`);
        }
    });
    if ((failover.length > 0 || priority.length > 0) && outlier === undefined) {
        f.warn(p, "failover is configured without an outlierDetection policy; failover happens only when outlier detection ejects endpoints", "add trafficPolicy.outlierDetection");
    }
    checkFailover(f, [...p, "failover"], failover, "zone aware lb failover");
}

function checkFailover(f: Findings, p: Path, failover: unknown[], what: string): void {
    failover.forEach((x, i) => {
        const from = str(obj(x)?.from);
        const to = str(obj(x)?.to);
        if (from === to) {
            f.error([...p, i], `${what} goes from ${show(from)} to the same region; from and to must be different regions`);
        }
        if (from.includes("/") || to.includes("/")) {
            f.error([...p, i], `${what} from ${show(from)} to ${show(to)} names more than a region; failover takes regions only`);
        }
        if (from.includes("*") || to.includes("*")) {
            f.error([...p, i], `${what} from ${show(from)} to ${show(to)} has a '*' wildcard; failover regions are named exactly`);
        }
    });
}

/** validateLocalities: at most one trailing '*', no empty parts, no overlaps. */
function localitiesProblem(localities: string[]): string | undefined {
    const map = new Map<string, Map<string, Set<string>>>();
    const overlap = (l: string): string => `locality ${show(l)} overlaps one listed before it`;
    for (const locality of localities) {
        const stars = locality.split("*").length - 1;
        if (stars > 0 && (stars > 1 || !locality.endsWith("*"))) {
            return `locality ${show(locality)} may have one '*' wildcard only, at its end`;
        }
        if (map.has("*")) {
            return overlap(locality);
        }
        const items = splitN(locality, "/", 3);
        if (items.some((i) => i === "")) {
            return `locality ${show(locality)} has an empty region, zone or subzone`;
        }
        const [region = "", zone = "", subZone = ""] = items;
        const level = items.length - 1;
        const r = map.get(region);
        if (level === 0) {
            if (r !== undefined) {
                return overlap(locality);
            }
            map.set(region, new Map([["*", new Set(["*"])]]));
        } else if (level === 1) {
            if (r !== undefined) {
                if (r.has("*") || r.has(zone)) {
                    return overlap(locality);
                }
                r.set(zone, new Set(["*"]));
            } else {
                map.set(region, new Map([[zone, new Set(["*"])]]));
            }
        } else if (r !== undefined) {
            if (r.has("*")) {
                return overlap(locality);
            }
            const z = r.get(zone);
            if (z !== undefined) {
                if (z.has("*") || z.has(subZone)) {
                    return overlap(locality);
                }
                z.add(subZone);
            } else {
                r.set(zone, new Set([subZone]));
            }
        } else {
            map.set(region, new Map([[zone, new Set([subZone])]]));
        }
    }
    return undefined;
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
    const parts = s.split(sep);
    return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** agent.ValidateTLS: a DestinationRule's client TLS. */
function checkClientTls(f: Findings, p: Path, tls: Json | undefined, namespace: string): void {
    if (tls === undefined) {
        return;
    }
    const mode = str(tls.mode) || "DISABLE";
    const credentialName = str(tls.credentialName);
    if (credentialName.startsWith("configmap://")) {
        const parts = credentialName.slice("configmap://".length).split("/");
        if (parts.length <= 1 || parts[0] === "" || parts[1] === "") {
            f.error([...p, "credentialName"], `credentialName ${show(credentialName)} is not of the form configmap://<namespace>/<name>`);
        } else if (namespace !== "" && parts[0] !== namespace) {
            f.error([...p, "credentialName"], `credentialName ${show(credentialName)} names the namespace ${show(parts[0])}; a configmap:// credential must be in the object's own namespace ${show(namespace)}`);
        }
    }
    const caCertificates = str(tls.caCertificates);
    const sans = arr(tls.subjectAltNames).length > 0;
    if (tls.insecureSkipVerify === true || obj(tls.insecureSkipVerify)?.value === true) {
        if (mode === "SIMPLE" && (caCertificates !== "" || credentialName !== "" || sans)) {
            f.error([...p, "insecureSkipVerify"], "insecureSkipVerify is true while caCertificates, credentialName or subjectAltNames is set; skipping verification and configuring it contradict each other");
        }
        if (mode === "MUTUAL" && (caCertificates !== "" || sans)) {
            f.error([...p, "insecureSkipVerify"], "insecureSkipVerify is true while caCertificates or subjectAltNames is set; skipping verification and configuring it contradict each other");
        }
    }
    if ((mode === "SIMPLE" || mode === "MUTUAL") && credentialName !== "") {
        const extra = ["clientCertificate", "caCertificates", "privateKey", "caCrl"].find((k) => str(tls[k]) !== "");
        if (extra !== undefined) {
            f.error([...p, extra], `${extra} is set together with credentialName ${show(credentialName)}; with a credentialName the certificates, key and CRL come from that secret`);
        }
        return;
    }
    if (mode === "MUTUAL") {
        if (str(tls.clientCertificate) === "") {
            f.error([...p, "clientCertificate"], "tls mode MUTUAL needs a clientCertificate (or a credentialName)", "set clientCertificate and privateKey, or credentialName; ISTIO_MUTUAL uses the mesh's own certificates");
        }
        if (str(tls.privateKey) === "") {
            f.error([...p, "privateKey"], "tls mode MUTUAL needs a privateKey (or a credentialName)");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Gateway

const VALID_CIPHERS = new Set([
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA",
    "ECDHE-RSA-AES256-SHA",
    "AES128-GCM-SHA256",
    "AES256-GCM-SHA384",
    "AES128-SHA",
    "AES256-SHA",
    "DES-CBC3-SHA",
]);

function isValidCipher(cs: string): boolean {
    return cs === "" || cs === "ALL" || !/^[\p{L}\p{N}]/u.test(cs) || VALID_CIPHERS.has(cs);
}

function validateGateway(f: Findings, spec: Json): void {
    const servers = arr(spec.servers);
    if (servers.length === 0) {
        f.error(["servers"], "a Gateway needs at least one server");
    }
    servers.forEach((s, i) => {
        const server = obj(s);
        if (server === undefined) {
            f.error(["servers", i], "a server may not be null");
            return;
        }
        checkServer(f, ["servers", i], server);
    });
    const portNames = new Map<string, number>();
    servers.forEach((s, i) => {
        const server = obj(s);
        const port = obj(server?.port);
        if (port === undefined) {
            return;
        }
        const name = str(port.name);
        const first = portNames.get(name);
        if (first !== undefined) {
            f.error(["servers", i, "port", "name"], `port name ${show(name)} is also the port name of server ${first}; the port names of a Gateway's servers must be unique`);
        } else {
            portNames.set(name, i);
        }
        if (!isHttp(parseProtocol(str(port.protocol))) && bool(obj(server?.tls)?.httpsRedirect)) {
            f.warn(["servers", i, "tls", "httpsRedirect"], `tls.httpsRedirect is set on a ${show(str(port.protocol))} server; it should only be used with HTTP servers`);
        }
    });
}

function checkServer(f: Findings, p: Path, server: Json): void {
    const hosts = strs(server.hosts);
    if (hosts.length === 0) {
        f.error([...p, "hosts"], "a server needs at least one host");
    }
    hosts.forEach((h, i) => checkNamespaceSlashHost(f, [...p, "hosts", i], h, true));
    const bind = str(server.bind);
    const port = obj(server.port);
    const before = f.list.filter((x) => x.severity === "error").length;
    if (port === undefined) {
        f.error([...p, "port"], "a server needs a port");
    } else {
        const protocol = str(port.protocol);
        if (parseProtocol(protocol) === "Unsupported") {
            f.error([...p, "port", "protocol"], `protocol ${show(protocol)} is not a protocol Istio knows; a server's protocol is one of ${PROTOCOL_LIST}`);
        }
        const number = num(port.number);
        if (number > 0 || !bind.startsWith("unix://")) {
            checkPortNumber(f, [...p, "port", "number"], number);
        }
        if (num(port.targetPort) > 0) {
            f.error([...p, "port", "targetPort"], "targetPort has no effect on a Gateway's server; remove it");
        }
        if (str(port.name) === "") {
            f.error([...p, "port", "name"], "a server's port needs a name");
        }
    }
    const portOkay = f.list.filter((x) => x.severity === "error").length === before;
    if (bind.startsWith("unix://")) {
        const reason = unixAddressProblem(bind.slice("unix://".length));
        if (reason !== undefined) {
            f.error([...p, "bind"], reason);
        }
        if (port !== undefined && num(port.number) !== 0) {
            f.error([...p, "port", "number"], `port number ${show(num(port.number))} is set on a server bound to the unix domain socket ${show(bind)}; it must be 0`);
        }
    } else if (bind !== "" && !isIP(bind)) {
        f.error([...p, "bind"], `bind ${show(bind)} is not an IP address (or unix://<path>)`);
    }
    const tls = obj(server.tls);
    checkServerTls(f, [...p, "tls"], tls);
    if (portOkay && port !== undefined) {
        const protocol = parseProtocol(str(port.protocol));
        if (isTls(protocol) && tls === undefined) {
            f.error([...p, "tls"], `a ${show(str(port.protocol))} server needs tls settings`, "add tls with mode SIMPLE and credentialName, or PASSTHROUGH");
        } else if (!isTls(protocol) && tls !== undefined) {
            if (isHttp(protocol)) {
                const mode = str(tls.mode) || "PASSTHROUGH";
                const passthrough = mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH";
                if (!passthrough || str(tls.caCertificates) !== "" || str(tls.privateKey) !== "" || str(tls.serverCertificate) !== "") {
                    f.error([...p, "tls"], `a plain-text ${show(str(port.protocol))} server takes no TLS settings (only httpsRedirect)`, "use protocol HTTPS to terminate TLS");
                }
            } else {
                f.error([...p, "tls"], `a ${show(str(port.protocol))} server takes no TLS settings; only HTTPS and TLS servers do`);
            }
        }
    }
}

/** agent.ValidateNamespaceSlashWildcardHostname (a Gateway's or a Sidecar's host). */
function checkNamespaceSlashHost(f: Findings, path: Path, hostname: string, isGateway: boolean): void {
    const slash = hostname.indexOf("/");
    if (slash < 0) {
        if (isGateway) {
            checkHostnamePart(f, path, hostname, true);
            return;
        }
        f.error(path, `host ${show(hostname)} is not of the form <namespace>/<dnsName>`, `write "./${hostname}" for this namespace or "*/${hostname}" for any`);
        return;
    }
    const ns = hostname.slice(0, slash);
    const name = hostname.slice(slash + 1);
    if (ns === "" || name === "") {
        f.error(path, `host ${show(hostname)} has an empty namespace or DNS name; it must be <namespace>/<dnsName>`);
    }
    if (!isGateway) {
        const bare = ns.startsWith("~") ? ns.slice(1) : ns;
        if (bare !== "" && bare !== "*" && bare !== "." && !isDns1123Label(bare)) {
            f.error(path, `host ${show(hostname)} has the namespace ${show(ns)}, which is not "*", ".", "~<namespace>" or a namespace name`);
        }
    } else if (ns !== "*" && ns !== "." && !isDns1123Label(ns)) {
        f.error(path, `host ${show(hostname)} has the namespace ${show(ns)}, which is not "*", "." or a namespace name`);
    }
    checkHostnamePart(f, path, name, isGateway);
}

/** validateSidecarOrGatewayHostnamePart: FQDNs (no short names), wildcards only as a whole first label. */
function checkHostnamePart(f: Findings, path: Path, hostname: string, isGateway: boolean): void {
    if (hostname !== "*" && !hostname.includes(".")) {
        f.error(path, `host ${show(hostname)} is a short name; it must be a fully qualified name such as "${hostname}.<namespace>.svc.cluster.local", or "*"`);
    }
    const reason = wildcardDomainProblem(hostname);
    if (reason !== undefined && (!isGateway || !isIP(hostname))) {
        f.error(path, `host ${show(hostname)} ${reason}`);
    }
    if (hostname.includes("*") && hostname.length !== 1 && !hostname.startsWith("*.")) {
        f.error(path, `host ${show(hostname)} has a partial wildcard; a wildcard is "*" or a whole first label ("*.example.com")`);
    }
}

/** validateTLSOptions: a server's TLS. */
function checkServerTls(f: Findings, p: Path, tls: Json | undefined, inSidecar = false): void {
    if (tls === undefined) {
        return;
    }
    const mode = str(tls.mode) || "PASSTHROUGH";
    const ciphers = strs(tls.cipherSuites);
    const minVersion = str(tls.minProtocolVersion);
    if ((minVersion === "TLSV1_0" || minVersion === "TLSV1_1") && ciphers.length === 0) {
        f.warn([...p, "minProtocolVersion"], `minProtocolVersion ${show(minVersion)} is below TLSV1_2, whose ciphers are no longer in the default list; set cipherSuites to compatible ones`);
    }
    const invalid = new Set<string>();
    const valid = new Set<string>();
    const dup = new Set<string>();
    for (const cs of ciphers) {
        if (!isValidCipher(cs)) {
            invalid.add(cs);
        } else if (valid.has(cs)) {
            dup.add(cs);
        } else {
            valid.add(cs);
        }
    }
    if (invalid.size > 0) {
        f.warn([...p, "cipherSuites"], `cipherSuites ${show([...invalid].sort())} are not cipher suites Envoy knows; they are ignored`);
    }
    if (dup.size > 0) {
        f.warn([...p, "cipherSuites"], `cipherSuites ${show([...dup].sort())} are listed more than once; the duplicates are ignored`);
    }
    const serverCertificate = str(tls.serverCertificate);
    const privateKey = str(tls.privateKey);
    const caCertificates = str(tls.caCertificates);
    const credentialName = str(tls.credentialName);
    const credentialNames = arr(tls.credentialNames).length > 0;
    const tlsCertificates = arr(tls.tlsCertificates);
    if (mode === "ISTIO_MUTUAL") {
        const set: [string, boolean][] = [
            ["serverCertificate", serverCertificate !== ""],
            ["privateKey", privateKey !== ""],
            ["caCertificates", caCertificates !== ""],
            ["tlsCertificates", tlsCertificates.length > 0],
            ["credentialName", credentialName !== ""],
            ["credentialNames", credentialNames],
        ];
        for (const [key, isSet] of set) {
            if (isSet) {
                f.error([...p, key], `tls mode ISTIO_MUTUAL takes no ${key}: it uses the mesh's own certificates`);
            }
        }
        return;
    }
    if ((mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") && (str(tls.caCrl) !== "" || serverCertificate !== "" || privateKey !== "" || caCertificates !== "" || tlsCertificates.length > 0 || credentialName !== "" || credentialNames)) {
        f.warn(p, `tls mode ${mode} does not terminate TLS and uses no certificates; the certificates set are ignored`);
    }
    let sources = 0;
    if (serverCertificate !== "" && privateKey !== "") {
        sources++;
    }
    if (credentialName !== "") {
        sources++;
    }
    if (credentialNames) {
        sources++;
    }
    if (tlsCertificates.length > 0) {
        sources++;
    }
    if (sources > 1) {
        f.error(p, "tls sets more than one certificate source; set only one of credentialName, credentialNames, serverCertificate/privateKey or tlsCertificates");
    }
    const terminating = mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL";
    if (terminating && (credentialName !== "" || credentialNames)) {
        return;
    }
    if (terminating) {
        const prefix = mode === "SIMPLE" ? "SIMPLE TLS" : "MUTUAL TLS";
        if (mode !== "SIMPLE" && caCertificates === "") {
            f.error([...p, "caCertificates"], `tls mode ${mode} needs caCertificates (the client CA bundle)${inSidecar ? "" : ", or a credentialName"}`);
        }
        if (tlsCertificates.length > 2) {
            f.warn([...p, "tlsCertificates"], `${prefix} supports up to 2 server certificates; ${tlsCertificates.length} are set`);
        }
        const certs = tlsCertificates.length > 0 ? tlsCertificates.map((c, i) => ({ cert: obj(c), at: [...p, "tlsCertificates", i] })) : [{ cert: tls, at: p }];
        for (const { cert, at } of certs) {
            if (str(cert?.serverCertificate) === "") {
                f.error([...at, "serverCertificate"], `tls mode ${mode} needs a serverCertificate${inSidecar ? "" : ", or a credentialName"}`, inSidecar ? "set serverCertificate and privateKey to the files mounted in the sidecar" : "set credentialName to the secret holding the certificate and key");
            }
            if (str(cert?.privateKey) === "") {
                f.error([...at, "privateKey"], `tls mode ${mode} needs a privateKey${inSidecar ? "" : ", or a credentialName"}`);
            }
        }
    }
    if (str(tls.caCrl) !== "") {
        if (credentialName !== "") {
            f.error([...p, "caCrl"], "caCrl is not supported with credentialName; put the CRL in the credential");
        }
        if (mode === "SIMPLE") {
            f.error([...p, "caCrl"], "caCrl is not supported with tls mode SIMPLE (there are no client certificates to check)");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// ServiceEntry

function validateServiceEntry(f: Findings, spec: Json, namespace: string): void {
    const selector = obj(spec.workloadSelector);
    checkAlphaSelector(f, ["workloadSelector"], selector, "service entry");
    const endpoints = arr(spec.endpoints);
    const hosts = strs(spec.hosts);
    const addresses = strs(spec.addresses);
    const ports = arr(spec.ports);
    const resolution = str(spec.resolution) || "NONE";
    if (selector !== undefined && endpoints.length > 0) {
        f.error(["endpoints"], "a ServiceEntry sets both workloadSelector and endpoints; it takes one of them");
    }
    if (hosts.length === 0) {
        f.error(["hosts"], "a ServiceEntry needs at least one host");
    }
    hosts.forEach((h, i) => {
        if (h === "*") {
            f.error(["hosts", i], 'host "*" is not allowed in a ServiceEntry; name the hosts (a wildcard such as "*.example.com" is allowed)');
            return;
        }
        const reason = wildcardDomainProblem(h);
        if (reason !== undefined) {
            f.error(["hosts", i], `host ${show(h)} ${reason}`);
        }
        if (resolution !== "DYNAMIC_DNS" && h.includes("*") && h.length !== 1 && !h.startsWith("*.")) {
            f.warn(["hosts", i], `host ${show(h)} has a partial wildcard; a wildcard is "*." followed by a domain`);
        }
    });
    let cidr = false;
    addresses.forEach((a, i) => {
        cidr = cidr || a.includes("/");
        const reason = subnetProblem(a);
        if (reason !== undefined) {
            f.error(["addresses", i], reason);
        }
    });
    if (cidr && resolution !== "NONE" && resolution !== "STATIC") {
        f.error(["resolution"], `addresses has a CIDR block, which is allowed only with resolution NONE or STATIC, not ${show(resolution)}`);
    }
    // IP auto-allocation is on by default; it assigns an address unless resolution is NONE or addresses are set.
    const autoAllocation = resolution !== "NONE" && addresses.length === 0;
    const portNames = new Set<string>();
    const portNumbers = new Set<number>();
    ports.forEach((x, i) => {
        const port = obj(x);
        if (port === undefined) {
            f.error(["ports", i], "a ServiceEntry port may not be null");
            return;
        }
        const name = str(port.name);
        const number = num(port.number);
        const protocol = str(port.protocol);
        if (portNames.has(name)) {
            f.error(["ports", i, "name"], `port name ${show(name)} is defined more than once; a ServiceEntry's port names must be unique`);
        }
        portNames.add(name);
        if (portNumbers.has(number)) {
            f.error(["ports", i, "number"], `port ${show(number)} is defined more than once; a ServiceEntry's port numbers must be unique`);
        }
        portNumbers.add(number);
        if (num(port.targetPort) !== 0) {
            checkPortNumber(f, ["ports", i, "targetPort"], num(port.targetPort), "targetPort");
        }
        if (addresses.length === 0 && !autoAllocation && (protocol === "" || protocol === "TCP")) {
            f.warn(["ports", i], `port ${show(number)} serves TCP (or an unset protocol) but the ServiceEntry has no addresses; without IP auto-allocation (resolution NONE) a TCP port needs addresses`);
        }
        checkPortName(f, ["ports", i, "name"], name);
        checkProtocol(f, ["ports", i, "protocol"], protocol);
        checkPortNumber(f, ["ports", i, "number"], number);
    });
    switch (resolution) {
        case "NONE":
            if (endpoints.length > 0) {
                f.error(["endpoints"], "resolution NONE takes no endpoints (it passes traffic to the address the client asked for)", "use resolution STATIC or DNS with endpoints");
            }
            if (selector !== undefined) {
                f.warn(["workloadSelector"], "workloadSelector should not be set with resolution NONE");
            }
            break;
        case "STATIC":
            endpoints.forEach((e, i) => {
                const endpoint = obj(e);
                if (endpoint === undefined) {
                    f.error(["endpoints", i], "an endpoint may not be null");
                    return;
                }
                checkWorkloadEntry(f, ["endpoints", i], endpoint, portNames);
            });
            break;
        case "DNS":
        case "DNS_ROUND_ROBIN":
            if (endpoints.length === 0) {
                for (let i = 0; i < hosts.length; i++) {
                    const h = hosts[i] ?? "";
                    const reason = fqdnProblem(h);
                    if (reason !== undefined) {
                        f.error(["hosts", i], `host ${show(h)} ${reason}; with resolution ${resolution} and no endpoints, hosts must be resolvable names (no wildcards)`, "add endpoints, or name the host exactly");
                        break;
                    }
                }
            }
            if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1) {
                f.error(["endpoints"], `resolution DNS_ROUND_ROBIN takes 0 or 1 endpoint; there are ${endpoints.length}`);
            }
            endpoints.forEach((e, i) => {
                const endpoint = obj(e);
                if (endpoint === undefined) {
                    f.error(["endpoints", i], "an endpoint may not be null");
                    return;
                }
                const address = str(endpoint.address);
                if (!isIP(address) && fqdnProblem(address) !== undefined) {
                    f.error(["endpoints", i, "address"], `endpoint address ${show(address)} is neither a valid FQDN nor an IP address`);
                }
                checkLabels(f, ["endpoints", i, "labels"], endpoint.labels);
                for (const [name, port] of entries(endpoint.ports)) {
                    if (!portNames.has(name)) {
                        f.error(["endpoints", i, "ports", name], `endpoint port ${show(name)} is not one of the ServiceEntry's port names ${show([...portNames])}`);
                    }
                    checkPortName(f, ["endpoints", i, "ports", name], name);
                    checkPortNumber(f, ["endpoints", i, "ports", name], num(port));
                }
            });
            if (addresses.length > 0 && hosts.length > 1) {
                const tcp = ports.findIndex((x) => isTcp(parseProtocol(str(obj(x)?.protocol))));
                if (tcp >= 0) {
                    f.warn(["hosts"], "a ServiceEntry with addresses and a TCP port should have one host only: TCP traffic to the address cannot tell the hosts apart");
                }
            }
            break;
        case "DYNAMIC_DNS":
            hosts.forEach((h, i) => {
                if (!h.startsWith("*")) {
                    f.error(["hosts", i], `host ${show(h)} is not a wildcard; resolution DYNAMIC_DNS takes wildcard hosts only`);
                }
            });
            if (addresses.length > 0) {
                f.error(["addresses"], "resolution DYNAMIC_DNS takes no addresses: its routes are generated from the hosts");
            }
            if (endpoints.length > 0) {
                f.error(["endpoints"], "resolution DYNAMIC_DNS takes no endpoints: the destination address is resolved from the request's host");
            }
            ports.forEach((x, i) => {
                const proto = parseProtocol(str(obj(x)?.protocol));
                if (proto !== "HTTP" && proto !== "TLS" && proto !== "GRPC" && proto !== "HTTP2") {
                    f.error(["ports", i, "protocol"], `protocol ${show(str(obj(x)?.protocol))} is not supported with resolution DYNAMIC_DNS; use HTTP, TLS, GRPC or HTTP2`);
                }
            });
            {
                const location = str(spec.location) || "MESH_EXTERNAL";
                if (location !== "MESH_EXTERNAL" && location !== "MESH_INTERNAL") {
                    f.error(["location"], `location ${show(location)} is not supported with resolution DYNAMIC_DNS; use MESH_EXTERNAL or MESH_INTERNAL`);
                }
            }
            break;
        default:
            f.error(["resolution"], `resolution ${show(resolution)} is not one Istio supports: NONE, STATIC, DNS, DNS_ROUND_ROBIN or DYNAMIC_DNS`);
    }
    if (resolution !== "NONE" && hosts.length > 1) {
        // a null port is reported above
        const i = ports.findIndex((x) => {
            const proto = parseProtocol(str(obj(x)?.protocol));
            return isObj(x) && !isHttp(proto) && !isTls(proto);
        });
        if (i >= 0) {
            f.error(["ports", i, "protocol"], `the ServiceEntry has ${hosts.length} hosts and port ${show(num(obj(ports[i])?.number))} is not HTTP or TLS; with more than one host (and resolution other than NONE), plain TCP cannot tell the hosts apart`, "use one host per ServiceEntry, or an HTTP/TLS protocol");
        }
    }
    checkExportTo(f, ["exportTo"], namespace, strs(spec.exportTo), true, false);
}

/** validateWorkloadEntry for a STATIC ServiceEntry's endpoint. */
function checkWorkloadEntry(f: Findings, p: Path, we: Json, servicePorts: Set<string>): void {
    const address = str(we.address);
    if (address === "") {
        if (str(we.network) === "") {
            f.error([...p, "address"], "an endpoint needs an address");
            return;
        }
        f.warn([...p, "address"], `endpoint address is unset with network ${show(str(we.network))}`);
    }
    const unix = address.startsWith("unix://");
    const ports = entries(we.ports);
    if (unix) {
        const reason = unixAddressProblem(address.slice("unix://".length));
        if (reason !== undefined) {
            f.error([...p, "address"], reason);
        }
        if (ports.length > 0) {
            f.error([...p, "ports"], `unix endpoint ${show(address)} takes no ports`);
        }
    } else if (address !== "" && !isIP(address)) {
        f.error([...p, "address"], `endpoint address ${show(address)} is not an IP address; resolution STATIC takes IP addresses (use DNS for host names)`);
    }
    for (const [name, port] of ports) {
        if (!servicePorts.has(name)) {
            f.error([...p, "ports", name], `endpoint port ${show(name)} is not one of the ServiceEntry's port names ${show([...servicePorts])}`);
        }
        checkPortName(f, [...p, "ports", name], name);
        checkPortNumber(f, [...p, "ports", name], num(port));
    }
    checkLabels(f, [...p, "labels"], we.labels);
    if (unix && servicePorts.size !== 1) {
        f.error([...p, "address"], `a unix endpoint needs exactly 1 service port; the ServiceEntry has ${servicePorts.size}`);
    }
}

/** ValidateAlphaWorkloadSelector (`workloadSelector.labels`) of a ServiceEntry or a Sidecar. */
function checkAlphaSelector(f: Findings, p: Path, selector: Json | undefined, what: string): void {
    if (selector === undefined) {
        return;
    }
    const labels = entries(selector.labels);
    for (const [k, v] of labels) {
        if (k === "") {
            f.error([...p, "labels", k], "a workloadSelector label key must not be empty");
        }
        if (k.includes("*") || str(v).includes("*")) {
            f.error([...p, "labels", k], `workloadSelector label ${show(`${k}=${str(v)}`)} has a wildcard; a selector's labels are matched literally`);
        }
    }
    if (labels.length === 0) {
        f.warn(p, `${what}: workloadSelector has no labels, so it applies to every workload of the namespace`);
    }
}

// ---------------------------------------------------------------------------------------------------
// Sidecar

function validateSidecar(f: Findings, spec: Json, namespace: string): void {
    checkAlphaSelector(f, ["workloadSelector"], obj(spec.workloadSelector), "sidecar");
    const ingress = arr(spec.ingress);
    const egress = arr(spec.egress);
    if (egress.length === 0 && ingress.length === 0 && !has(spec, "outboundTrafficPolicy") && !has(spec, "inboundConnectionPool")) {
        f.error([], "the Sidecar configures nothing; it needs ingress, egress, outboundTrafficPolicy or inboundConnectionPool");
        return;
    }
    const ports = new Set<number>();
    ingress.forEach((x, i) => {
        const p = ["ingress", i];
        const listener = obj(x);
        if (listener === undefined) {
            f.error(p, "an ingress listener may not be null");
            return;
        }
        const port = obj(listener.port);
        if (port === undefined) {
            f.error([...p, "port"], "an ingress listener needs a port");
            return;
        }
        if (num(port.targetPort) > 0) {
            f.error([...p, "port", "targetPort"], "targetPort has no effect on a Sidecar; remove it");
        }
        const name = str(port.name);
        if (name !== "") {
            checkPortName(f, [...p, "port", "name"], name);
        }
        checkProtocol(f, [...p, "port", "protocol"], str(port.protocol));
        checkPortNumber(f, [...p, "port", "number"], num(port.number));
        const bind = str(listener.bind);
        if (bind !== "" && !isIP(bind)) {
            f.error([...p, "bind"], `bind ${show(bind)} is not an IP address`);
        }
        const number = num(port.number);
        if (ports.has(number)) {
            f.error([...p, "port", "number"], `port ${show(number)} is used by an ingress listener before this one; the ports of IP-bound listeners must be unique`);
        }
        ports.add(number);
        checkDefaultEndpoint(f, [...p, "defaultEndpoint"], str(listener.defaultEndpoint));
        const tls = obj(listener.tls);
        if (tls !== undefined) {
            const tp = [...p, "tls"];
            if (arr(tls.subjectAltNames).length > 0) {
                f.error([...tp, "subjectAltNames"], "subjectAltNames is not supported in a sidecar's ingress tls");
            }
            if (bool(tls.httpsRedirect)) {
                f.error([...tp, "httpsRedirect"], "httpsRedirect is not supported in a sidecar's ingress tls");
            }
            if (str(tls.credentialName) !== "") {
                f.error([...tp, "credentialName"], "credentialName is not supported in a sidecar's ingress tls; use serverCertificate and privateKey");
            }
            if (arr(tls.credentialNames).length > 0) {
                f.error([...tp, "credentialNames"], "credentialNames is not supported in a sidecar's ingress tls");
            }
            if (arr(tls.tlsCertificates).length > 0) {
                f.error([...tp, "tlsCertificates"], "tlsCertificates is not supported in a sidecar's ingress tls");
            }
            const mode = str(tls.mode) || "PASSTHROUGH";
            if (mode === "ISTIO_MUTUAL" || mode === "AUTO_PASSTHROUGH") {
                f.error([...tp, "mode"], `tls mode ${mode} cannot be used in a sidecar's ingress tls`);
            }
            if (!isTls(parseProtocol(str(port.protocol)))) {
                f.error(tp, `a ${show(str(port.protocol))} port takes no TLS settings; only HTTPS and TLS ports do`);
            }
            checkServerTls(f, tp, tls, true);
        }
        const pool = obj(listener.connectionPool);
        checkConnectionPool(f, [...p, "connectionPool"], pool);
        if (pool !== undefined && has(pool, "http") && !isHttp(parseProtocol(str(port.protocol)))) {
            f.warn([...p, "connectionPool", "http"], `HTTP connection pool settings are set for port ${show(number)} (${show(name)}) whose protocol ${show(str(port.protocol))} is not HTTP; only the TCP settings apply`);
        }
    });
    checkConnectionPool(f, ["inboundConnectionPool"], obj(spec.inboundConnectionPool));

    const egressPorts = new Set<number>();
    const sockets = new Set<string>();
    let catchAll = false;
    egress.forEach((x, i) => {
        const p = ["egress", i];
        const listener = obj(x);
        if (listener === undefined) {
            f.error(p, "an egress listener may not be null");
            return;
        }
        const port = obj(listener.port);
        if (port === undefined) {
            if (!catchAll) {
                if (i === egress.length - 1) {
                    catchAll = true;
                } else {
                    f.error(p, "an egress listener without a port (the catch-all) must be the last listener");
                }
            } else {
                f.error(p, "egress can have only one listener without a port");
                return;
            }
        } else {
            if (num(port.targetPort) > 0) {
                f.error([...p, "port", "targetPort"], "targetPort has no effect on a Sidecar; remove it");
            }
            const bind = str(listener.bind);
            const number = num(port.number);
            checkEgressPort(f, p, port, bind, str(listener.captureMode) || "DEFAULT");
            if (number === 0) {
                if (sockets.has(bind)) {
                    f.error([...p, "bind"], `unix domain socket ${show(bind)} is used by an egress listener before this one; they must be unique`);
                }
                sockets.add(bind);
            } else {
                if (egressPorts.has(number)) {
                    f.error([...p, "port", "number"], `port ${show(number)} is used by an egress listener before this one; the ports of IP-bound listeners must be unique`);
                }
                egressPorts.add(number);
            }
        }
        const hosts = strs(listener.hosts);
        if (hosts.length === 0) {
            f.error([...p, "hosts"], "an egress listener needs at least one host");
            return;
        }
        const nsSvcs = new Map<string, Set<string>>();
        hosts.forEach((h, k) => {
            const parts = splitN(h, "/", 2);
            if (parts.length === 2 && !(parts[0] ?? "").startsWith("~")) {
                const ns = parts[0] === "." ? namespace : (parts[0] ?? "");
                const svc = parts[1] ?? "";
                const svcs = nsSvcs.get(ns) ?? new Set<string>();
                nsSvcs.set(ns, svcs);
                if (svc !== "*" ? svcs.has(svc) || svcs.has("*") : svcs.size !== 0) {
                    f.warn([...p, "hosts", k], `egress host ${show(h)} is already covered by a host before it`);
                }
                svcs.add(svc);
            }
            checkNamespaceSlashHost(f, [...p, "hosts", k], h, false);
        });
        if (nsSvcs.get("*")?.has("*") === true && nsSvcs.size !== 1) {
            f.warn([...p, "hosts"], '"*/*" selects every host; no other hosts can be added next to it');
        }
    });
    checkOutboundTrafficPolicy(f, ["outboundTrafficPolicy"], obj(spec.outboundTrafficPolicy));
}

function checkEgressPort(f: Findings, p: Path, port: Json, bind: string, captureMode: string): void {
    const name = str(port.name);
    if (name !== "") {
        checkPortName(f, [...p, "port", "name"], name);
    }
    checkProtocol(f, [...p, "port", "protocol"], str(port.protocol));
    if (num(port.number) === 0) {
        if (!bind.startsWith("unix://")) {
            f.error([...p, "bind"], `port number 0 needs a unix domain socket bind address (unix://<path>), not ${show(bind)}`);
        } else {
            const reason = unixAddressProblem(bind.slice("unix://".length));
            if (reason !== undefined) {
                f.error([...p, "bind"], reason);
            }
        }
        if (captureMode !== "DEFAULT" && captureMode !== "NONE") {
            f.error([...p, "captureMode"], `captureMode ${show(captureMode)} cannot be used with a unix domain socket listener; use DEFAULT or NONE`);
        }
    } else {
        checkPortNumber(f, [...p, "port", "number"], num(port.number));
        if (bind !== "" && !isIP(bind)) {
            f.error([...p, "bind"], `bind ${show(bind)} is not an IP address`);
        }
    }
}

/** A sidecar ingress defaultEndpoint: 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port>, :<port> or unix://<path>. */
function checkDefaultEndpoint(f: Findings, p: Path, endpoint: string): void {
    if (endpoint === "") {
        return;
    }
    if (endpoint.startsWith("unix://")) {
        const reason = unixAddressProblem(endpoint.slice("unix://".length));
        if (reason !== undefined) {
            f.error(p, reason);
        }
        return;
    }
    const split = splitHostPort(endpoint);
    if (typeof split === "string") {
        f.error(p, `defaultEndpoint ${show(endpoint)} is not <host>:<port>: ${split}`);
    }
    const [host, port] = typeof split === "string" ? ["", ""] : split;
    if (host !== "" && host !== "127.0.0.1" && host !== "0.0.0.0" && host !== "::1" && host !== "::") {
        f.error(p, `defaultEndpoint ${show(endpoint)} must be of the form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port>, unix://<path>, or unset`);
    }
    if (!/^[+-]?\d+$/.test(port)) {
        f.error(p, `defaultEndpoint ${show(endpoint)} has the port ${show(port)}, which is not a number`);
    } else {
        checkPortNumber(f, p, Number(port), "defaultEndpoint port");
    }
}

/** Go's net.SplitHostPort: [host, port] or the reason it fails. */
function splitHostPort(hostport: string): [string, string] | string {
    const colon = hostport.lastIndexOf(":");
    if (colon < 0) {
        return "missing port in address";
    }
    if (hostport.startsWith("[")) {
        const end = hostport.indexOf("]");
        if (end < 0) {
            return "missing ']' in address";
        }
        if (end + 1 === hostport.length) {
            return "missing port in address";
        }
        if (end + 1 !== colon) {
            return hostport[end + 1] === ":" ? "too many colons in address" : "missing port in address";
        }
        return [hostport.slice(1, end), hostport.slice(colon + 1)];
    }
    const host = hostport.slice(0, colon);
    if (host.includes(":")) {
        return "too many colons in address";
    }
    if (host.includes("[") || host.includes("]")) {
        return "unexpected '[' or ']' in address";
    }
    return [host, hostport.slice(colon + 1)];
}

function checkOutboundTrafficPolicy(f: Findings, p: Path, tp: Json | undefined): void {
    if (tp === undefined) {
        return;
    }
    const mode = str(tp.mode) || "REGISTRY_ONLY";
    if (mode === "ALLOW_ANY_DYNAMIC_DNS") {
        f.error([...p, "mode"], "mode ALLOW_ANY_DYNAMIC_DNS is supported only in the mesh config, not in a Sidecar");
        return;
    }
    const proxy = obj(tp.egressProxy);
    if (proxy === undefined) {
        return;
    }
    if (mode !== "ALLOW_ANY") {
        f.error([...p, "egressProxy"], `egressProxy can be set only with mode ALLOW_ANY; mode is ${show(mode)}`);
        return;
    }
    const host = str(proxy.host);
    const reason = fqdnProblem(host);
    if (reason !== undefined) {
        f.error([...p, "egressProxy", "host"], `egressProxy host ${show(host)} ${reason}`);
    }
    if (!has(proxy, "port")) {
        f.error([...p, "egressProxy", "port"], "egressProxy needs a port");
        return;
    }
    checkDestination(f, [...p, "egressProxy"], proxy);
}

// ---------------------------------------------------------------------------------------------------
// Entry point

/**
 * Istio's semantic validation of one spec, as istiod's webhook applies it: every error it would reject the object
 * for, and every warning it would give, each at the most specific path into the spec. Never throws.
 */
export function validateIstioSpec(kind: IstioKind, spec: Record<string, unknown>, opts: IstioValidationOptions = {}): IstioFinding[] {
    const f = new Findings();
    const s = isObj(spec) ? spec : {};
    const namespace = opts.namespace ?? "";
    switch (kind) {
        case "VirtualService":
            validateVirtualService(f, s, namespace);
            break;
        case "DestinationRule":
            validateDestinationRule(f, s, namespace);
            break;
        case "ServiceEntry":
            validateServiceEntry(f, s, namespace);
            break;
        case "Gateway":
            validateGateway(f, s);
            break;
        case "Sidecar":
            validateSidecar(f, s, namespace);
            break;
        default: {
            const never: never = kind;
            f.error([], `kind ${show(never)} is not one of VirtualService, DestinationRule, ServiceEntry, Gateway, Sidecar`);
        }
    }
    return f.list;
}
