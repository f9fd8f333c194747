/**
 * Writes contract/istio/specs.json, the OpenAPI v3 schemas of the `spec` of the five networking.istio.io/v1 kinds the
 * stack config's `routing` key holds (VirtualService, DestinationRule, ServiceEntry, Gateway, Sidecar), taken from the
 * pinned Istio CRD bundle (scripts/istio-crds.sh: istio.io/api at ISTIO_API_VERSION of scripts/toolchain.pins, sha256
 * checked). Descriptions are dropped (docs/config.md links Istio's reference instead); everything else is kept as is.
 * contract/istioSpec.ts turns them into zod schemas.
 *
 *   node -r ts-node/register/transpile-only scripts/istio-spec-schemas.ts           write contract/istio/specs.json
 *   node -r ts-node/register/transpile-only scripts/istio-spec-schemas.ts --check   exit 1 if it is out of date
 *
 * {@link extractSpecSchemas} is pure; test/unit/contract/istioSpec.test.ts compares the committed file with it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { ROUTING_KINDS } from "../contract/istioKinds";

const REPO_ROOT = path.resolve(__dirname, "..");
export const SPECS_FILE = "contract/istio/specs.json";
export const REGENERATE_SPECS = "node -r ts-node/register/transpile-only scripts/istio-spec-schemas.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A schema without its `description`s (a `description` property of `properties` is a field and stays). */
function withoutDescriptions(schema: Json): Json {
    if (Array.isArray(schema)) {
        return schema.map(withoutDescriptions);
    }
    if (schema === null || typeof schema !== "object") {
        return schema;
    }
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(schema)) {
        if (k === "description" && typeof v === "string") {
            continue;
        }
        out[k] =
            k === "properties" && v !== null && typeof v === "object" && !Array.isArray(v)
                ? Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, withoutDescriptions(sub)]))
                : withoutDescriptions(v);
    }
    return out;
}

/** The committed file's text for a CRD bundle's text and its version. */
export function extractSpecSchemas(bundle: string, apiVersion: string): string {
    const kinds: { [k: string]: Json } = {};
    for (const doc of parseAllDocuments(bundle)) {
        const crd = doc.toJS() as {
            kind?: string;
            spec?: { group?: string; names?: { kind?: string }; versions?: { name?: string; schema?: { openAPIV3Schema?: { properties?: { spec?: Json } } } }[] };
        } | null;
        const kind = crd?.spec?.names?.kind;
        if (crd?.kind !== "CustomResourceDefinition" || crd.spec?.group !== "networking.istio.io" || kind === undefined || !(ROUTING_KINDS as readonly string[]).includes(kind)) {
            continue;
        }
        const spec = crd.spec.versions?.find((v) => v.name === "v1")?.schema?.openAPIV3Schema?.properties?.spec;
        if (spec === undefined) {
            throw new Error(`the CRD of ${kind} has no v1 spec schema`);
        }
        kinds[kind] = withoutDescriptions(spec);
    }
    const missing = ROUTING_KINDS.filter((k) => kinds[k] === undefined);
    if (missing.length > 0) {
        throw new Error(`the CRD bundle has no networking.istio.io/v1 ${missing.join(", ")}`);
    }
    const ordered = Object.fromEntries(ROUTING_KINDS.map((k) => [k, kinds[k] ?? null]));
    return `${JSON.stringify({ source: `istio.io/api ${apiVersion} kubernetes/customresourcedefinitions.gen.yaml, spec of networking.istio.io/v1`, kinds: ordered }, null, 1)}\n`;
}

/** The pinned bundle's path and version (scripts/istio-crds.sh fetches and checks it). */
export function pinnedBundle(): { file: string; version: string } {
    const file = execFileSync(path.join(REPO_ROOT, "scripts", "istio-crds.sh"), [], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 180_000 }).trim();
    const pins = fs.readFileSync(path.join(REPO_ROOT, "scripts", "toolchain.pins"), "utf8");
    const version = /^ISTIO_API_VERSION=(\S+)$/m.exec(pins)?.[1] ?? "unknown";
    return { file, version };
}

function main(argv: readonly string[]): number {
    const { file, version } = pinnedBundle();
    const text = extractSpecSchemas(fs.readFileSync(file, "utf8"), version);
    const target = path.join(REPO_ROOT, SPECS_FILE);
    if (argv.includes("--check")) {
        const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
        if (current !== text) {
            process.stderr.write(`${SPECS_FILE} is out of date with the pinned Istio CRDs; run: ${REGENERATE_SPECS}\n`);
            return 1;
        }
        return 0;
    }
    fs.writeFileSync(target, text);
    process.stdout.write(`wrote ${SPECS_FILE}\n`);
    return 0;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
