/**
 * Test support: validate emitted Istio objects against the Istio CRDs' OpenAPI v3 schemas (the bundle:
 * ./istioCrds.ts), the way `kubectl apply --validate=strict` would. Rules over a whole set of objects
 * (`istioctl analyze`-style) are in ./istioAnalyzer.ts.
 *
 * What is enforced beyond the plain schema:
 * - unknown fields are REJECTED: every object schema that lists `properties` and has neither
 *   `additionalProperties` nor `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`
 *   (the API server would silently prune them; `--validate=strict` rejects them);
 * - the CRDs' `oneOf` / `not anyOf` blocks for mutually exclusive fields are plain JSON Schema and
 *   are evaluated as is;
 * - formats int32, int64, double, date-time and byte (ipv4/ipv6 loosely);
 * - `x-kubernetes-list-type: map|set` uniqueness;
 * - the CEL rules (`x-kubernetes-validations`) that networking.istio.io uses most, listed in
 *   `CEL_RULES`. Any other CEL rule is NOT evaluated; `IstioSchema.uncheckedRules` names the ones met.
 *
 * The duration parser here is written apart from the components' own on purpose: a validator that
 * shares the code under test cannot catch its bugs.
 */
import * as fs from "node:fs";
import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { istioCrdPath } from "./istioCrds";

// ---------------------------------------------------------------------------------------------
// Go durations, as CEL's duration() parses them (Go's time.ParseDuration).

const GO_DURATION_UNITS_MS: Readonly<Record<string, number>> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    "μs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
};

/** Milliseconds of a Go duration string, or undefined when Go would refuse it ("1d", "5x", ""). */
export function parseGoDurationMs(text: string): number | undefined {
    const m = /^([-+]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(text);
    if (m === null) {
        return undefined;
    }
    const body = m[2] ?? "";
    if (body === "0") {
        return 0;
    }
    let total = 0;
    for (const part of body.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
        total += Number(part[1]) * (GO_DURATION_UNITS_MS[part[2] ?? ""] ?? Number.NaN);
    }
    return m[1] === "-" ? -total : total;
}

// ---------------------------------------------------------------------------------------------
// The CEL rules this validator evaluates, by their exact text in the CRDs.

type CelCheck = (self: unknown) => boolean;
const isString = (v: unknown): v is string => typeof v === "string";
const keysOf = (v: unknown): string[] => (v !== null && typeof v === "object" ? Object.keys(v) : []);

export const CEL_RULES: Readonly<Record<string, CelCheck>> = {
    "duration(self) >= duration('1ms')": (self) => isString(self) && (parseGoDurationMs(self) ?? -1) >= 1,
    "0 < self && self <= 65535": (self) => typeof self === "number" && self > 0 && self <= 65535,
    '!self.contains("*")': (self) => !isString(self) || !self.includes("*"),
    'self != "*"': (self) => self !== "*",
    "self.all(key, key.size() != 0)": (self) => keysOf(self).every((k) => k.length !== 0),
    "self.all(key, !key.contains(\"*\"))": (self) => keysOf(self).every((k) => !k.includes("*")),
    'self.all(key, size(key) < 63 && key.matches("^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$"))': (self) =>
        keysOf(self).every((k) => k.length < 63 && /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(k)),
    "self.all(l1, self.exists_one(l2, l1.number == l2.number))": (self) => {
        const numbers = Array.isArray(self) ? self.map((p) => (p as { number?: unknown }).number) : [];
        return new Set(numbers).size === numbers.length;
    },
    'self in ["", "HTTP", "HTTPS"]': (self) => self === "" || self === "HTTP" || self === "HTTPS",
    "self.size() == 0": (self) => (Array.isArray(self) || isString(self) ? self.length === 0 : keysOf(self).length === 0),
};

interface CelRule {
    rule: string;
    message?: string;
}

// ---------------------------------------------------------------------------------------------
// Schema preparation.

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Deep copy of a CRD schema with unknown fields closed: every object schema with `properties` and no
 * `additionalProperties` / `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`.
 * `oneOf`/`anyOf`/`not` branches in Istio's CRDs only carry `required`, so closing the parent is safe.
 */
export function closeUnknownFields(schema: unknown): unknown {
    if (Array.isArray(schema)) {
        return schema.map(closeUnknownFields);
    }
    if (!isObject(schema)) {
        return schema;
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(schema)) {
        // `properties` maps names to schemas, it is not a schema itself; recurse into each value.
        out[k] =
            k === "properties" && isObject(v)
                ? Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, closeUnknownFields(sub)]))
                : closeUnknownFields(v);
    }
    if (
        isObject(schema.properties) &&
        schema.additionalProperties === undefined &&
        schema["x-kubernetes-preserve-unknown-fields"] !== true
    ) {
        out.additionalProperties = false;
    }
    return out;
}

/** Result of validating one object. */
export interface SchemaProblem {
    /** `Kind/name` of the object. */
    object: string;
    /** JSON pointer into the object, e.g. `/spec/trafficPolicy`. */
    path: string;
    message: string;
}

export interface IstioSchema {
    /** `group/version` + kind pairs the bundle defines, e.g. `networking.istio.io/v1 VirtualService`. */
    readonly kinds: readonly string[];
    /** Problems of one object (apiVersion, kind, metadata, spec); empty when it is valid. */
    validate(obj: unknown): SchemaProblem[];
    /** CEL rules met while validating that this validator does not evaluate (text -> count). */
    readonly uncheckedRules: ReadonlyMap<string, number>;
}

interface CrdDoc {
    kind?: string;
    spec?: {
        group?: string;
        names?: { kind?: string };
        versions?: { name?: string; served?: boolean; schema?: { openAPIV3Schema?: unknown } }[];
    };
}

function describeError(e: ErrorObject): string {
    switch (e.keyword) {
        case "additionalProperties":
            return `unknown field "${String((e.params as { additionalProperty?: unknown }).additionalProperty)}"`;
        case "enum":
            return `${e.message ?? "enum"}: ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`;
        default:
            return e.message ?? e.keyword;
    }
}

/**
 * Build a validator from a CRD bundle (default: the pinned istio.io/api module's). Compiles lazily per
 * kind, so loading costs only the YAML parse.
 */
export function loadIstioSchema(crdFile: string = istioCrdPath()): IstioSchema {
    const unchecked = new Map<string, number>();
    const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
    ajv.addFormat("int32", {
        type: "number",
        validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
    });
    ajv.addFormat("double", { type: "number", validate: (n: number) => Number.isFinite(n) });
    ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
    // Gateway API (./istioCrds.ts gatewayApiCrdPath) has these on status addresses; loose checks, the API server's own are stricter.
    ajv.addFormat("ipv4", /^\d{1,3}(\.\d{1,3}){3}$/);
    ajv.addFormat("ipv6", /^[0-9a-fA-F:.]+$/);
    ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
    ajv.addFormat("byte", /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
    // Structural-schema markers: metadata for the API server, no effect on one object's validity here.
    ajv.addKeyword({ keyword: "x-kubernetes-preserve-unknown-fields" });
    ajv.addKeyword({ keyword: "x-kubernetes-int-or-string" });
    ajv.addKeyword({ keyword: "x-kubernetes-list-map-keys" });
    ajv.addKeyword({ keyword: "x-kubernetes-map-type" });
    ajv.addKeyword({
        keyword: "x-kubernetes-list-type",
        type: "array",
        schemaType: "string",
        validate: function listType(kind: string, data: unknown[], parent?: AnySchemaObject): boolean {
            if (kind !== "map" && kind !== "set") {
                return true;
            }
            const keys = (parent?.["x-kubernetes-list-map-keys"] as string[] | undefined) ?? [];
            const ids = data.map((item) =>
                JSON.stringify(kind === "map" ? keys.map((k) => (item as JsonObject)[k]) : item),
            );
            return new Set(ids).size === ids.length;
        },
    });
    ajv.addKeyword({
        keyword: "x-kubernetes-validations",
        schemaType: "array",
        errors: true,
        validate: function cel(rules: CelRule[], data: unknown): boolean {
            const failed: ErrorObject[] = [];
            for (const { rule, message } of rules) {
                const check = CEL_RULES[rule.trim()];
                if (check === undefined) {
                    unchecked.set(rule, (unchecked.get(rule) ?? 0) + 1);
                } else if (!check(data)) {
                    // instancePath and schemaPath are left out: ajv fills them in for keyword errors.
                    failed.push({
                        keyword: "x-kubernetes-validations",
                        params: { rule },
                        message: `${message ?? "CEL rule failed"} (rule: ${rule.trim()})`,
                    } as unknown as ErrorObject);
                }
            }
            (cel as unknown as { errors: ErrorObject[] }).errors = failed;
            return failed.length === 0;
        },
    });

    const schemas = new Map<string, JsonObject>();
    for (const doc of parseAllDocuments(fs.readFileSync(crdFile, "utf8"))) {
        const crd = doc.toJS() as CrdDoc | null;
        if (crd?.kind !== "CustomResourceDefinition" || crd.spec === undefined) {
            continue;
        }
        const { group, names, versions } = crd.spec;
        for (const v of versions ?? []) {
            const root = v.schema?.openAPIV3Schema;
            if (group === undefined || names?.kind === undefined || v.name === undefined || !isObject(root)) {
                continue;
            }
            const apiVersion = `${group}/${v.name}`;
            const closed = closeUnknownFields(root) as JsonObject;
            closed.type = "object";
            closed.required = ["apiVersion", "kind", "metadata", "spec"];
            closed.properties = {
                ...(closed.properties as JsonObject),
                apiVersion: { const: apiVersion },
                kind: { const: names.kind },
                // metadata is the API server's ObjectMeta; only what this package sets is checked.
                metadata: {
                    type: "object",
                    properties: {
                        name: { type: "string" },
                        namespace: { type: "string" },
                        labels: { type: "object", additionalProperties: { type: "string" } },
                        annotations: { type: "object", additionalProperties: { type: "string" } },
                    },
                },
            };
            schemas.set(`${apiVersion} ${names.kind}`, closed);
        }
    }
    if (schemas.size === 0) {
        throw new Error(`${crdFile} holds no CustomResourceDefinition with an openAPIV3Schema`);
    }

    const compiled = new Map<string, ValidateFunction>();
    return {
        kinds: [...schemas.keys()],
        uncheckedRules: unchecked,
        validate(obj: unknown): SchemaProblem[] {
            const o = isObject(obj) ? obj : {};
            const meta = isObject(o.metadata) ? o.metadata : {};
            const label = `${String(o.kind)}/${String(meta.name ?? "?")}`;
            const key = `${String(o.apiVersion)} ${String(o.kind)}`;
            const schema = schemas.get(key);
            if (schema === undefined) {
                return [{ object: label, path: "", message: `no CRD defines ${key}` }];
            }
            let fn = compiled.get(key);
            if (fn === undefined) {
                fn = ajv.compile(schema);
                compiled.set(key, fn);
            }
            return fn(obj)
                ? []
                : (fn.errors ?? []).map((e) => ({ object: label, path: e.instancePath, message: describeError(e) }));
        },
    };
}
