/**
 * Generates docs/config.md, the reference of every stack config key, from the zod schema (contract/schema.ts,
 * with `release` and `rollouts` from contract/release.ts): `z.toJSONSchema(stackConfigSchema, { io: "input" })`
 * gives each key's type, range, default and `.meta({ description })`; one table row per config path.
 *
 *   node -r ts-node/register/transpile-only scripts/config-docs.ts           write docs/config.md
 *   node -r ts-node/register/transpile-only scripts/config-docs.ts --check   exit 1 if it is out of date
 *
 * {@link renderConfigDocs} is pure and deterministic (no dates, schema order), so the unit test
 * test/unit/stacks/configDocs.test.ts compares the committed file with it; {@link main} is the I/O edge.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { stackConfigSchema } from "../contract/schema";

type JsonSchema = z.core.JSONSchema.JSONSchema;

/** The command that regenerates the file, as error messages print it. */
export const REGENERATE_COMMAND = "node -r ts-node/register/transpile-only scripts/config-docs.ts";

/** The generated file, relative to the repository root. */
export const DOCS_FILE = "docs/config.md";

const REPO_ROOT = path.resolve(__dirname, "..");

/** One documented config path. */
export interface ConfigRow {
    /** Config path as `pulumi config set --path` takes it, with `<svc>` for a map key and `[]` for an array element. */
    path: string;
    /** Type with its range, enum values or pattern, e.g. `integer 0..100`. */
    type: string;
    /** The schema default as JSON, `required`, or `-` (unset unless given). */
    default: string;
    /** The field's `.meta({ description })`; empty when the field has none (the unit test fails on that). */
    description: string;
}

/** Placeholders for map keys; any other map's key is `<name>`. */
const MAP_KEY_NAMES: Readonly<Record<string, string>> = { services: "<svc>", rollouts: "<svc>" };

/** `z.int()` bounds: zod states them, but they are no limit a user needs to read. */
const SAFE_INT = Number.MAX_SAFE_INTEGER;

/**
 * The JSON Schema of the stack config's input side (keys with a default are optional, as a user writes config).
 *
 * zod drops the `default` of a schema that contains a transform when it emits the input side (`rollouts`: its
 * entries are JSON strings parsed by `z.preprocess`), since a zod default is an output value. The value used
 * when the key is absent is what a reader needs, so the override puts it back from the zod definition.
 */
export function stackConfigJsonSchema(): JsonSchema {
    return z.toJSONSchema(stackConfigSchema, {
        io: "input",
        override: ({ zodSchema, jsonSchema }) => {
            // An Istio spec (`routing.<kind>.<name>`) is documented by Istio's reference, linked from its description:
            // one row, not the CRD's hundreds of fields.
            const meta = z.globalRegistry.get(zodSchema) as { istioKind?: string; description?: string } | undefined;
            if (meta?.istioKind !== undefined) {
                for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
                Object.assign(jsonSchema, { type: "object", description: meta.description });
                return;
            }
            const def = zodSchema._zod.def;
            if ((def.type === "default" || def.type === "prefault") && jsonSchema.default === undefined) {
                jsonSchema.default = JSON.parse(JSON.stringify(def.defaultValue)) as unknown;
            }
        },
    });
}

const asSchema = (s: unknown, where: string): JsonSchema => {
    if (s === null || typeof s !== "object" || Array.isArray(s)) {
        throw new Error(`${where}: expected a JSON schema object, got ${JSON.stringify(s)}`);
    }
    return s as JsonSchema;
};

/** Keywords the walker does not render: a schema change that produces one must extend this script. */
const UNSUPPORTED = ["anyOf", "oneOf", "allOf", "$ref", "not", "if", "prefixItems", "patternProperties", "const"] as const;

function checkSupported(s: JsonSchema, where: string): void {
    for (const k of UNSUPPORTED) {
        if (s[k] !== undefined) {
            throw new Error(`${where}: JSON schema keyword "${k}" is not rendered by scripts/config-docs.ts; extend typeOf()`);
        }
    }
    if (typeof s.type !== "string") {
        throw new Error(`${where}: expected one JSON schema type, got ${JSON.stringify(s.type)}`);
    }
}

/** A map (zod record): an object with `additionalProperties` and no `properties`. */
const mapValues = (s: JsonSchema): JsonSchema | undefined =>
    s.type === "object" && s.properties === undefined && typeof s.additionalProperties === "object"
        ? s.additionalProperties
        : undefined;

const arrayItems = (s: JsonSchema, where: string): JsonSchema | undefined =>
    s.type === "array" ? asSchema(s.items, `${where}[]`) : undefined;

/** Is an object with named fields (it gets rows of its own). */
const isStruct = (s: JsonSchema): boolean => s.type === "object" && s.properties !== undefined;

const code = (text: string): string => `\`${text}\``;

function numberRange(s: JsonSchema): string {
    const min = typeof s.minimum === "number" && s.minimum > -SAFE_INT ? s.minimum : undefined;
    const max = typeof s.maximum === "number" && s.maximum < SAFE_INT ? s.maximum : undefined;
    const xmin = typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum : undefined;
    const xmax = typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum : undefined;
    const parts: string[] = [];
    if (min !== undefined && max !== undefined) {
        parts.push(`${min}..${max}`);
    } else if (min !== undefined) {
        parts.push(`>= ${min}`);
    } else if (max !== undefined) {
        parts.push(`<= ${max}`);
    }
    if (xmin !== undefined) parts.push(`> ${xmin}`);
    if (xmax !== undefined) parts.push(`< ${xmax}`);
    return parts.join(", ");
}

function stringConstraints(s: JsonSchema): string[] {
    const parts: string[] = [];
    if (s.format === "uri") parts.push("URL");
    else if (s.format !== undefined) parts.push(`format ${s.format}`);
    if (s.minLength !== undefined && s.minLength > 0) {
        parts.push(s.minLength === 1 ? "non-empty" : `at least ${s.minLength} characters`);
    }
    if (s.maxLength !== undefined) parts.push(`at most ${s.maxLength} characters`);
    if (s.pattern !== undefined) parts.push(`pattern ${code(s.pattern)}`);
    return parts;
}

/** Type, range, enum values and pattern of one schema node, e.g. `integer 1..65535` or `array of string`. */
export function typeOf(s: JsonSchema, where: string): string {
    checkSupported(s, where);
    switch (s.type) {
        case "string": {
            if (s.enum !== undefined) {
                return `one of ${s.enum.map((v) => code(String(v))).join(", ")}`;
            }
            const parts = stringConstraints(s);
            return parts.length === 0 ? "string" : `string (${parts.join(", ")})`;
        }
        case "integer":
        case "number": {
            const range = numberRange(s);
            return range === "" ? s.type : `${s.type} ${range}`;
        }
        case "boolean":
            return "boolean";
        case "array": {
            const items = arrayItems(s, where) ?? {};
            const counts = [
                s.minItems !== undefined && s.minItems > 0 ? `at least ${s.minItems} item${s.minItems === 1 ? "" : "s"}` : "",
                s.maxItems !== undefined ? `at most ${s.maxItems} items` : "",
            ].filter((p) => p !== "");
            return `array of ${typeOf(items, `${where}[]`)}${counts.length === 0 ? "" : ` (${counts.join(", ")})`}`;
        }
        case "object": {
            const values = mapValues(s);
            if (values === undefined) {
                return "object";
            }
            const keys = s.propertyNames === undefined ? [] : stringConstraints(asSchema(s.propertyNames, `${where} keys`));
            return `map of ${typeOf(values, `${where}.<key>`)}${keys.length === 0 ? "" : `; keys: ${keys.join(", ")}`}`;
        }
        default:
            throw new Error(`${where}: JSON schema type ${JSON.stringify(s.type)} is not rendered by scripts/config-docs.ts`);
    }
}

function defaultOf(s: JsonSchema, required: boolean): string {
    if (s.default !== undefined) {
        return code(JSON.stringify(s.default));
    }
    return required ? "required" : "-";
}

/** Rows of `s` (found at `at`) and of everything below it, in schema order. */
function rowsOf(s: JsonSchema, at: string, required: boolean, out: ConfigRow[]): void {
    out.push({ path: at, type: typeOf(s, at), default: defaultOf(s, required), description: s.description?.trim() ?? "" });
    const values = mapValues(s);
    const items = arrayItems(s, at);
    if (isStruct(s)) {
        const req = new Set(s.required ?? []);
        for (const [key, child] of Object.entries(s.properties ?? {})) {
            rowsOf(asSchema(child, `${at}.${key}`), `${at}.${key}`, req.has(key), out);
        }
    } else if (values !== undefined && isStruct(values)) {
        // A map of objects: one row for an entry, then its fields. A map of scalars is one row.
        const last = at.split(/[.[]/).pop() ?? "";
        rowsOf(values, `${at}.${MAP_KEY_NAMES[last] ?? "<name>"}`, false, out);
    } else if (values !== undefined && values.type === "object" && values.description !== undefined) {
        // A map of opaque objects documented elsewhere (an Istio spec): one row for an entry, with its link.
        out.push({ path: `${at}.<name>`, type: "object", default: "-", description: values.description.trim() });
    } else if (items !== undefined && isStruct(items)) {
        rowsOf(items, `${at}[]`, false, out);
    }
}

/** Every documented path of the stack config, grouped by top-level key, in schema order. */
export function configRows(schema: JsonSchema = stackConfigJsonSchema()): { key: string; rows: ConfigRow[] }[] {
    checkSupported(schema, "the stack config");
    const required = new Set(schema.required ?? []);
    return Object.entries(schema.properties ?? {}).map(([key, child]) => {
        const rows: ConfigRow[] = [];
        rowsOf(asSchema(child, key), key, required.has(key), rows);
        return { key, rows };
    });
}

/** A table cell: one line, `|` escaped (also inside code spans, as GitHub-flavoured tables require). */
const cell = (text: string): string => text.replace(/\s+/g, " ").replace(/\|/g, "\\|");

const INTRO = `# Stack config reference

<!-- Generated from contract/schema.ts and contract/release.ts by scripts/config-docs.ts; do not edit by hand.
     Regenerate with: ${REGENERATE_COMMAND} -->

Every key below lives in the project namespace \`mesh-traffic:\`, so the prefix is optional
(see [the config contract](config-contract.md), which also says which program writes which key).
Set a nested key with \`--path\`:

\`\`\`sh
pulumi config set --path 'services.sample-app.canary.weight' 25
pulumi config set --path 'mesh-traffic:services.sample-app.canary.weight' 25   # the same key
pulumi config set --path 'egress[0].host' api.external-service.com
pulumi config set --secret --path 'release.prometheus.bearerToken' <token>
\`\`\`

Or edit \`Pulumi.<stack>.yaml\` directly. The program parses the whole namespace with the zod schema in
\`contract/schema.ts\` and reports every problem at once, each with its path, value, rule and a fix. Unknown
keys are rejected, with a "did you mean" hint for a likely typo (\`wieght\` -> \`weight\`) or a field name
that Istio does not use (\`circuitBreaker\` -> \`outlierDetection\`). Rules across keys (for example: an
enabled ingress needs \`tls\`, an unrouted canary has weight 0) and Istio's value rules (Go durations of at
least 1ms, RE2 regexes, hosts) are checked after the schema, in \`stacks/rules.ts\` and \`components/\`.

Reading the tables:

- **Path**: \`<svc>\` stands for a service name (a key of \`services\`), \`[]\` for an array element
  (\`egress[0].host\` in a command).
- **Type**: ranges are inclusive; Go durations are strings such as \`500ms\`, \`30s\` or \`1m30s\`.
- **Default**: the value used when the key is absent. \`{}\` means every field at its own default;
  \`required\` means the key must be set when its parent is; \`-\` means unset (the description says
  what that means).
`;

/** The whole of docs/config.md. Pure and deterministic. */
export function renderConfigDocs(schema: JsonSchema = stackConfigJsonSchema()): string {
    const sections = configRows(schema).map(({ key, rows }) => {
        const lines = rows.map((r) => `| ${cell(code(r.path))} | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`);
        return [`## \`${key}\``, "", "| Path | Type | Default | Description |", "|---|---|---|---|", ...lines].join("\n");
    });
    return `${INTRO}\n${sections.join("\n\n")}\n`;
}

/** Paths whose description is missing. */
export function undocumentedPaths(schema: JsonSchema = stackConfigJsonSchema()): string[] {
    return configRows(schema)
        .flatMap(({ rows }) => rows)
        .filter((r) => r.description === "")
        .map((r) => r.path);
}

/** Where {@link main} reads, writes and reports; the defaults are the repository and the process's streams. */
export interface MainIo {
    root: string;
    out: (text: string) => void;
    err: (text: string) => void;
}

const processIo: MainIo = {
    root: REPO_ROOT,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
};

/**
 * Writes docs/config.md, or with `--check` only compares it. Returns the exit code: 0 done or up to date,
 * 1 out of date (or a path without a description), 2 usage.
 */
export function main(args: readonly string[], io: MainIo = processIo): number {
    const check = args.includes("--check");
    const unknown = args.filter((a) => a !== "--check");
    if (unknown.length > 0) {
        io.err(`config-docs: unknown argument ${unknown.join(" ")}\nusage: ${REGENERATE_COMMAND} [--check]\n`);
        return 2;
    }
    const file = path.join(io.root, DOCS_FILE);
    const text = renderConfigDocs();
    if (check) {
        const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
        if (current !== text) {
            io.err(
                `${DOCS_FILE} is ${current === undefined ? "missing" : "out of date with the stack config schema"}; ` +
                    `regenerate it with: ${REGENERATE_COMMAND}\n`,
            );
            return 1;
        }
    } else {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, text);
        io.out(`wrote ${DOCS_FILE} (${configRows().reduce((n, g) => n + g.rows.length, 0)} paths)\n`);
    }
    const missing = undocumentedPaths();
    if (missing.length > 0) {
        io.err(
            `config-docs: ${missing.length} path(s) have no description; add .meta({ description: "..." }) ` +
                `in contract/schema.ts or contract/release.ts: ${missing.join(", ")}\n`,
        );
        return 1;
    }
    return 0;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
