/**
 * Istio's own object specs as zod schemas, for the stack config's `routing` key: the OpenAPI v3 schema of the `spec`
 * of each networking.istio.io/v1 kind the key holds, from the pinned Istio CRD bundle (contract/istio/specs.json,
 * written by scripts/istio-spec-schemas.ts, checked against the bundle in the unit suite), turned into zod the way
 * the API server with `kubectl apply --validate=strict` would judge it:
 *
 * - unknown fields are refused (with the config check's "did you mean"), where the API server would prune them;
 * - types, enums, integer/number ranges, `format` int32/double/byte, lengths and item counts as declared;
 * - the CRDs' mutually exclusive fields (`oneOf: [not: anyOf: [required...], required: [a], ...]`): "set at most one of";
 * - every CEL rule (`x-kubernetes-validations`) the five kinds carry, by its exact text in {@link CEL_RULES} (a rule
 *   this module does not know fails loading, so a new Istio pin cannot skip one silently:
 *   test/unit/contract/istioSpec.test.ts loads every kind).
 *
 * Pure and loads no Pulumi SDK (contract/). Durations use the one Go-duration grammar of components/validation.ts.
 */
import { z } from "zod";
import { parseGoDuration } from "../components/validation";
import specs from "./istio/specs.json";
import type { RoutingKind } from "./istioKinds";
import { looksLikeKeyMaterial, SECRET_NAME, SECRET_NAME_RULE } from "./secrets";

export { ISTIO_REFERENCE, ROUTING_KEYS, ROUTING_KINDS, type RoutingKind } from "./istioKinds";

// ---------------------------------------------------------------------------------------------
// The CEL rules of the five kinds, by their exact text.

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === "object" && !Array.isArray(v);
const has = (self: unknown, key: string): boolean => isObject(self) && Object.hasOwn(self, key) && self[key] !== undefined;
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const keysOf = (v: unknown): string[] => (isObject(v) ? Object.keys(v) : []);
const atMostOne = (self: unknown, a: string, b: string): boolean => !(has(self, a) && has(self, b));
const field = (self: unknown, key: string): unknown => (isObject(self) ? self[key] : undefined);

/** One CEL rule: its check and, where the CRD's message is terse, the rule as a message says it. */
interface CelRule {
    check: (self: unknown) => boolean;
    rule: string;
}

export const CEL_RULES: Readonly<Record<string, CelRule>> = {
    "duration(self) >= duration('1ms')": {
        check: (self) => (parseGoDuration(str(self)) ?? -1) >= 1e6,
        rule: 'must be a Go duration of at least 1ms, such as "500ms", "10s" or "1m30s"',
    },
    '!self.contains("*")': { check: (self) => !str(self).includes("*"), rule: "must not contain a wildcard '*'" },
    'self.all(key, !key.contains("*"))': { check: (self) => keysOf(self).every((k) => !k.includes("*")), rule: "must not have a key with a wildcard '*'" },
    "self.all(key, key.size() != 0)": { check: (self) => keysOf(self).every((k) => k.length !== 0), rule: "must not have an empty key" },
    "(has(self.tlsCertificates) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1": {
        check: (self) => atMostOne(self, "tlsCertificates", "credentialNames"),
        rule: "must set at most one of tlsCertificates, credentialNames",
    },
    "(has(self.credentialName) ? 1 : 0) + (has(self.credentialNames) ? 1 : 0) <= 1": {
        check: (self) => atMostOne(self, "credentialName", "credentialNames"),
        rule: "must set at most one of credentialName, credentialNames",
    },
    "(has(self.credentialNames) ? 1 : 0) + (has(self.tlsCertificates) ? 1 : 0) <= 1": {
        check: (self) => atMostOne(self, "credentialNames", "tlsCertificates"),
        rule: "must set at most one of credentialNames, tlsCertificates",
    },
    'self.startsWith("unix://") ? (self.substring(7, 8) == "/" || self.substring(7, 8) == "@") : true': {
        check: (self) => !str(self).startsWith("unix://") || ["/", "@"].includes(str(self).slice(7, 8)),
        rule: 'must be an absolute socket path or an abstract socket after "unix://" ("unix:///path" or "unix://@name")',
    },
    'self.startsWith("unix://") ? !self.endsWith("/") : true': {
        check: (self) => !str(self).startsWith("unix://") || !str(self).endsWith("/"),
        rule: 'must not end with "/" when it is a "unix://" socket',
    },
    "0 < self && self <= 65535": { check: (self) => typeof self === "number" && self > 0 && self <= 65535, rule: "must be a port from 1 to 65535" },
    'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))': {
        check: (self) => keysOf(self).every((k) => k.length < 63 && /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(k)),
        rule: "must have keys of fewer than 63 letters, digits and '-', starting and ending with a letter or digit",
    },
    "has(self.address) || has(self.network)": { check: (self) => has(self, "address") || has(self, "network"), rule: "must set address or network" },
    '(has(self.address) ? self.address : "").startsWith("unix://") ? !has(self.ports) : true': {
        check: (self) => !str(field(self, "address")).startsWith("unix://") || !has(self, "ports"),
        rule: 'must not set ports when the address is a "unix://" socket',
    },
    'self != "*"': { check: (self) => self !== "*", rule: 'must not be "*"' },
    "self.all(l1, self.exists_one(l2, l1.number == l2.number))": {
        check: (self) => {
            const numbers = Array.isArray(self) ? self.map((p) => field(p, "number")) : [];
            return new Set(numbers).size === numbers.length;
        },
        rule: "must not list one port number twice",
    },
    "(has(self.workloadSelector) ? 1 : 0) + (has(self.endpoints) ? 1 : 0) <= 1": {
        check: (self) => atMostOne(self, "workloadSelector", "endpoints"),
        rule: "must set at most one of workloadSelector, endpoints",
    },
    '!((has(self.addresses) ? self.addresses : []).exists(k, k.contains("/")) && !((has(self.resolution) ? self.resolution : "NONE") in ["STATIC", "NONE"]))': {
        check: (self) => {
            const addresses = Array.isArray(field(self, "addresses")) ? (field(self, "addresses") as unknown[]) : [];
            const resolution = has(self, "resolution") ? str(field(self, "resolution")) : "NONE";
            return !(addresses.some((a) => str(a).includes("/")) && !["STATIC", "NONE"].includes(resolution));
        },
        rule: "must use resolution STATIC or NONE when an address is a CIDR range",
    },
    '((has(self.resolution) ? self.resolution : "NONE") == "NONE") ? !has(self.endpoints) : true': {
        check: (self) => (has(self, "resolution") ? str(field(self, "resolution")) : "NONE") !== "NONE" || !has(self, "endpoints"),
        rule: "must not list endpoints with resolution NONE (the default): set resolution STATIC or DNS",
    },
    '((has(self.resolution) ? self.resolution : "") == "DNS_ROUND_ROBIN") ? ((has(self.endpoints) ? self.endpoints : []).size() <= 1) : true': {
        check: (self) => str(field(self, "resolution")) !== "DNS_ROUND_ROBIN" || !Array.isArray(field(self, "endpoints")) || (field(self, "endpoints") as unknown[]).length <= 1,
        rule: "must list at most one endpoint with resolution DNS_ROUND_ROBIN",
    },
};

// ---------------------------------------------------------------------------------------------
// OpenAPI v3 (the CRD subset) -> zod.

interface OpenApi {
    type?: string;
    properties?: Record<string, OpenApi>;
    additionalProperties?: OpenApi | boolean;
    items?: OpenApi;
    required?: string[];
    enum?: unknown[];
    format?: string;
    minimum?: number;
    maximum?: number;
    maxLength?: number;
    maxItems?: number;
    minItems?: number;
    maxProperties?: number;
    nullable?: boolean;
    oneOf?: OpenApi[];
    anyOf?: OpenApi[];
    allOf?: OpenApi[];
    not?: OpenApi;
    "x-kubernetes-validations"?: { rule: string; message?: string }[];
    "x-kubernetes-list-type"?: string;
    "x-kubernetes-list-map-keys"?: string[];
    "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** JSON Schema's meaning of a constraint-only schema (required/not/anyOf/oneOf/allOf) on an object. */
function satisfies(c: OpenApi, obj: JsonObject): boolean {
    if (c.required !== undefined && !c.required.every((k) => has(obj, k))) return false;
    if (c.not !== undefined && satisfies(c.not, obj)) return false;
    if (c.anyOf !== undefined && !c.anyOf.some((s) => satisfies(s, obj))) return false;
    if (c.oneOf !== undefined && c.oneOf.filter((s) => satisfies(s, obj)).length !== 1) return false;
    if (c.allOf !== undefined && !c.allOf.every((s) => satisfies(s, obj))) return false;
    return true;
}

/** Every field a constraint names in `required`, in order. */
function namedFields(c: OpenApi, out: string[] = []): string[] {
    for (const k of c.required ?? []) if (!out.includes(k)) out.push(k);
    for (const s of [...(c.oneOf ?? []), ...(c.anyOf ?? []), ...(c.allOf ?? []), ...(c.not === undefined ? [] : [c.not])]) namedFields(s, out);
    return out;
}

/** The object-level constraints of a schema, one per oneOf/anyOf group, each with its message. */
function objectConstraints(s: OpenApi): { holds: (o: JsonObject) => boolean; message: (o: JsonObject) => string }[] {
    const groups: OpenApi[] = [...(s.allOf ?? []), ...(s.oneOf === undefined && s.anyOf === undefined && s.not === undefined ? [] : [{ oneOf: s.oneOf, anyOf: s.anyOf, not: s.not }])];
    return groups.map((g) => {
        const fields = namedFields(g);
        return {
            holds: (o) => satisfies(g, o),
            message: (o) => `sets ${fields.filter((f) => has(o, f)).join(" and ")}; it must set at most one of ${fields.join(", ")}`,
        };
    });
}

/**
 * mesh-traffic's one extension of Istio's VirtualService: an http route `{ release: <svc> }` stands for the routes of
 * the stack's service `<svc>` (pins, A/B flag, faults, redirects, URI routes, and the weighted catch-all that
 * mesh-release moves), inserted at that place. Istio never sees the field: components/istioRoutingPlan.ts expands it.
 */
export const RELEASE_FIELD = "release";
const RELEASE_DESCRIPTION =
    "mesh-traffic: the routes of the stack's service of this name (pins, A/B, faults, redirects, URI routes and the weighted catch-all mesh-release moves), inserted here; no other field";

/** Fields that name a Kubernetes Secret, and fields that hold a file path in the proxy: never the key material itself. */
const SECRET_NAME_FIELDS = new Set(["credentialName"]);
const SECRET_NAMES_FIELDS = new Set(["credentialNames"]);
const CERT_PATH_FIELDS = new Set(["serverCertificate", "privateKey", "caCertificates", "clientCertificate", "caCrl"]);
export const CERT_PATH_RULE = "must be a file path in the proxy (e.g. /etc/certs/key.pem, mounted from a Secret), not the key or certificate itself";

/**
 * A Secret name or a certificate path with its rule: key material pasted into config would reach the stack's state,
 * the cluster and every message (contract/problems.ts shows such a value redacted, never as it is).
 */
function guardKeyMaterial(name: string, t: z.ZodType): z.ZodType {
    const secretName = (v: unknown): boolean => typeof v === "string" && v.length <= 253 && SECRET_NAME.test(v);
    if (SECRET_NAME_FIELDS.has(name)) return t.refine(secretName, { message: SECRET_NAME_RULE });
    if (SECRET_NAMES_FIELDS.has(name)) return t.refine((v) => !Array.isArray(v) || v.every(secretName), { message: `each ${SECRET_NAME_RULE.replace(/^must/, "must")}` });
    if (CERT_PATH_FIELDS.has(name)) return t.refine((v) => !looksLikeKeyMaterial(v), { message: CERT_PATH_RULE });
    return t;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Attach the CEL rules of a schema to its zod schema. */
function withCel(schema: z.ZodType, rules: OpenApi["x-kubernetes-validations"], where: string): z.ZodType {
    if (rules === undefined || rules.length === 0) return schema;
    const known = rules.map((r) => {
        const rule = CEL_RULES[r.rule.trim()];
        if (rule === undefined) {
            throw new Error(`contract/istioSpec.ts does not know the CEL rule ${JSON.stringify(r.rule)} of ${where}: add it to CEL_RULES`);
        }
        return rule;
    });
    return schema.superRefine((value, ctx) => {
        for (const r of known) {
            if (!r.check(value)) ctx.addIssue({ code: "custom", message: r.rule });
        }
    });
}

function convert(s: OpenApi, where: string): z.ZodType {
    let out: z.ZodType;
    switch (s.type) {
        case "string": {
            let t: z.ZodType = s.enum !== undefined ? z.enum(s.enum.map(String) as [string, ...string[]]) : z.string();
            if (s.maxLength !== undefined && t instanceof z.ZodString) t = t.max(s.maxLength);
            if (s.format === "byte") t = t.refine((v) => BASE64.test(String(v)), { message: "must be base64-encoded bytes" });
            out = t;
            break;
        }
        case "integer":
        case "number": {
            let t = s.type === "integer" ? z.number().int() : z.number();
            const min = s.minimum ?? (s.format === "int32" ? INT32.min : undefined);
            const max = s.maximum ?? (s.format === "int32" ? INT32.max : undefined);
            if (min !== undefined) t = t.min(min);
            if (max !== undefined) t = t.max(max);
            out = t;
            break;
        }
        case "boolean":
            out = z.boolean();
            break;
        case "array": {
            let t = z.array(s.items === undefined ? z.unknown() : convert(s.items, `${where}[]`));
            if (s.maxItems !== undefined) t = t.max(s.maxItems);
            if (s.minItems !== undefined) t = t.min(s.minItems);
            out = t;
            if (s["x-kubernetes-list-type"] === "map" || s["x-kubernetes-list-type"] === "set") {
                const keys = s["x-kubernetes-list-map-keys"] ?? [];
                const kind = s["x-kubernetes-list-type"];
                out = t.superRefine((items, ctx) => {
                    const ids = items.map((item) => JSON.stringify(kind === "map" ? keys.map((k) => field(item, k)) : item));
                    if (new Set(ids).size !== ids.length) {
                        ctx.addIssue({ code: "custom", message: kind === "map" ? `must not list two items with the same ${keys.join(", ")}` : "must not list one item twice" });
                    }
                });
            }
            break;
        }
        case "object": {
            if (s.properties !== undefined) {
                const required = new Set(s.required ?? []);
                const shape: Record<string, z.ZodType> = {};
                for (const [name, sub] of Object.entries(s.properties)) {
                    const t = guardKeyMaterial(name, convert(sub, `${where}.${name}`));
                    shape[name] = required.has(name) ? t : t.optional();
                }
                const constraints = objectConstraints(s);
                if (where === "VirtualService.http[]") {
                    shape[RELEASE_FIELD] = z.string().min(1).optional().meta({ description: RELEASE_DESCRIPTION });
                    constraints.push({
                        holds: (o) => !has(o, RELEASE_FIELD) || Object.keys(o).every((k) => k === RELEASE_FIELD || o[k] === undefined),
                        message: (o) => `sets ${RELEASE_FIELD} with ${Object.keys(o).filter((k) => k !== RELEASE_FIELD).join(", ")}; a release route stands for the service's own routes and takes no other field: put other matches and actions in routes before it`,
                    });
                }
                const obj = s["x-kubernetes-preserve-unknown-fields"] === true ? z.looseObject(shape) : z.strictObject(shape);
                out =
                    constraints.length === 0
                        ? obj
                        : obj.superRefine((value, ctx) => {
                              for (const c of constraints) {
                                  if (!c.holds(value)) ctx.addIssue({ code: "custom", message: c.message(value) });
                              }
                          });
            } else if (isObject(s.additionalProperties)) {
                let t = z.record(z.string(), convert(s.additionalProperties, `${where}.<key>`));
                const maxProps = s.maxProperties;
                if (maxProps !== undefined) {
                    t = t.refine((v) => Object.keys(v).length <= maxProps, { message: `must have at most ${maxProps} keys` });
                }
                out = t;
            } else {
                out = z.record(z.string(), z.unknown());
            }
            break;
        }
        default:
            throw new Error(`contract/istioSpec.ts cannot convert the schema type ${JSON.stringify(s.type)} of ${where}`);
    }
    out = withCel(out, s["x-kubernetes-validations"], where);
    return s.nullable === true ? out.nullable() : out;
}

const cache = new Map<RoutingKind, z.ZodType>();

/** The zod schema of one kind's spec (built once, on first use). */
export function istioSpecSchema(kind: RoutingKind): z.ZodType<JsonObject> {
    let schema = cache.get(kind);
    if (schema === undefined) {
        const source = (specs.kinds as Record<string, unknown>)[kind] as OpenApi;
        schema = convert(source, kind);
        cache.set(kind, schema);
    }
    return schema as z.ZodType<JsonObject>;
}

/** A lazily built schema of one kind's spec, for the stack config schema (which must not build them at import). */
export const lazySpecSchema = (kind: RoutingKind): z.ZodType<JsonObject> => z.lazy(() => istioSpecSchema(kind));
