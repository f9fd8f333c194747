/**
 * Istio YAML -> the objects the `routing` key can hold (docs: the README's "Import existing Istio YAML"). Pure:
 * the texts come in, objects, skipped objects, notes and every problem come out.
 *
 * Read: multi-document files, `kind: List` (its `items`), the five traffic kinds of networking.istio.io in each
 * version Istio serves (v1, v1beta1, v1alpha3). The YAML is read as kubectl reads it (YAML 1.1: an unquoted `on`
 * or `yes` is a boolean, `0777` is octal; merge keys `<<`), so the import holds what `kubectl apply` would have sent. Refused, each with where, why and the fix: YAML errors, documents
 * that are not objects, kinds the routing key cannot hold (other Istio kinds, the Gateway API, Kubernetes'
 * networking kinds, and, unless `skipUnsupported`, any other kind), objects without a name or with a name that is
 * not a DNS-1123 label, unknown top-level fields. What the stack sets itself is dropped with a note: labels and
 * annotations (the stack's objects carry its own labels), `status` and the fields the API server fills in.
 */
import { parseAllDocuments } from "yaml";
import { ROUTING_KEYS, ROUTING_KINDS, type RoutingKind } from "../contract/istioKinds";
import { describeOrigin, type ImportProblem, type Origin, type Skipped } from "./problems";

/** A key of the `routing` config (`virtualServices`, ...: contract/istioKinds.ts `ROUTING_KEYS`). */
export type RoutingKey = (typeof ROUTING_KEYS)[RoutingKind];

const ISTIO_GROUP = "networking.istio.io";
/** The versions of networking.istio.io that Istio serves for the five kinds (the pinned CRD bundle). */
export const ISTIO_VERSIONS: readonly string[] = ["v1", "v1beta1", "v1alpha3"];

const isRoutingKind = (kind: string): kind is RoutingKind => (ROUTING_KINDS as readonly string[]).includes(kind);

/** One input text: `file` as given (`<stdin>` for `-`). */
export interface SourceText {
    file: string;
    text: string;
}

/** An object the routing key can hold, as read. */
export interface ImportedObject {
    origin: Origin & { kind: RoutingKind; name: string };
    kind: RoutingKind;
    name: string;
    /** `metadata.namespace`, when the object names one. */
    namespace?: string;
    /** `spec`, verbatim (`{}` when absent). */
    spec: Record<string, unknown>;
}

export interface ParseResult {
    objects: ImportedObject[];
    skipped: Skipped[];
    /** What was dropped and is not a refusal (labels, annotations). */
    notes: string[];
    problems: ImportProblem[];
}

export interface ParseOptions {
    /** List non-networking kinds (Deployment, Service, ...) as skipped instead of refusing them. */
    skipUnsupported: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The object name rule of the routing key: a DNS-1123 label of at most 63 characters. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const isRoutingName = (name: string): boolean => name.length <= 63 && DNS_LABEL.test(name);

/** A valid label close to `name`, for a fix: lower case, other characters as '-', at most 63 characters. */
export function labelLike(name: string): string {
    const out = name
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+/, "")
        .slice(0, 63)
        .replace(/-+$/, "");
    return out === "" ? "my-object" : out;
}

const TOP_LEVEL = new Set(["apiVersion", "kind", "metadata", "spec", "status"]);
/** metadata the importer keeps (name, namespace) or drops without a word (set by the API server). */
const METADATA_SILENT = new Set(["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"]);

const ROUTING_LIST = "VirtualService, DestinationRule, ServiceEntry, Gateway and Sidecar of networking.istio.io";
const SKIP_FIX = "remove it from the input, or pass --skip-unsupported to list such objects as skipped (the stack's own `services` deploy workloads; other objects stay with kubectl or Helm)";

/** Why a kind the routing key does not hold is refused, and whether `--skip-unsupported` may skip it. */
function unsupportedKind(apiVersion: string, kind: string): { what: string; fix: string; skippable: boolean } {
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    const found = `${kind} (${apiVersion})`;
    if (group === ISTIO_GROUP) {
        return {
            what: `${found} is not one of the routing key's kinds (${ROUTING_LIST})`,
            fix: `keep the ${kind} outside the stack (kubectl apply) and remove it from the input`,
            skippable: false,
        };
    }
    if (group === "gateway.networking.k8s.io" || group === "gateway.networking.x-k8s.io") {
        return {
            what: `${found} is a Gateway API kind; the routing key holds Istio's own API (${ROUTING_LIST})`,
            fix: "import the Istio API version of the same routing (a Gateway and VirtualServices of networking.istio.io; Istio's samples have both, the Gateway API one under gateway-api/), or keep it outside the stack",
            skippable: false,
        };
    }
    if (group.endsWith(".istio.io") || group === "networking.k8s.io") {
        return {
            what: `${found} is not traffic routing the routing key can hold (${ROUTING_LIST})`,
            fix: `keep the ${kind} outside the stack (kubectl apply) and remove it from the input`,
            skippable: false,
        };
    }
    return { what: `${found} is not an Istio traffic object; the routing key holds ${ROUTING_LIST}`, fix: SKIP_FIX, skippable: true };
}

/** Every object of every text; see the file comment for what is read, refused and dropped. */
export function parseSources(sources: readonly SourceText[], opts: ParseOptions): ParseResult {
    const out: ParseResult = { objects: [], skipped: [], notes: [], problems: [] };
    for (const source of sources) {
        const docs = Array.from(parseAllDocuments(source.text, { version: "1.1", merge: true, prettyErrors: true }));
        docs.forEach((doc, i) => {
            const origin: Origin = { file: source.file, doc: i + 1 };
            if (doc.errors.length > 0) {
                const first = (doc.errors[0]?.message.split("\n")[0] ?? "").replace(/:$/, "");
                const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more errors)` : "";
                out.problems.push({ origin, what: `is not valid YAML: ${first}${more}`, fix: "correct the YAML (kubectl apply --dry-run=client -f <file> shows the same error); files given together through - need --- between them" });
                return;
            }
            const value: unknown = doc.toJS({ maxAliasCount: 1000 });
            if (value === null || value === undefined) {
                return; // an empty document (a trailing ---, comments only)
            }
            readObject(value, origin, opts, out);
        });
    }
    return out;
}

function readObject(value: unknown, origin: Origin, opts: ParseOptions, out: ParseResult): void {
    if (!isRecord(value) || typeof value["apiVersion"] !== "string" || typeof value["kind"] !== "string" || value["kind"] === "") {
        out.problems.push({ origin, what: "is not a Kubernetes object: a YAML mapping with apiVersion and kind", fix: "give the document apiVersion, kind, metadata.name and spec, or remove it" });
        return;
    }
    const apiVersion = value["apiVersion"];
    const kind = value["kind"];
    if (kind === "List" || (kind.endsWith("List") && Array.isArray(value["items"]))) {
        const items = value["items"];
        if (!Array.isArray(items)) {
            out.problems.push({ origin: { ...origin, kind }, what: "is a List without an items array", fix: "give the List its objects under items, or write them as documents separated by ---" });
            return;
        }
        items.forEach((item, j) => readObject(item, { ...origin, item: j + 1 }, opts, out));
        return;
    }
    const meta = isRecord(value["metadata"]) ? value["metadata"] : undefined;
    const name = typeof meta?.["name"] === "string" ? meta["name"] : undefined;
    const at: Origin = { ...origin, kind, ...(name !== undefined ? { name } : {}) };
    const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    if (!(group === ISTIO_GROUP && isRoutingKind(kind))) {
        const u = unsupportedKind(apiVersion, kind);
        if (u.skippable && opts.skipUnsupported) {
            out.skipped.push({ origin: at, why: `${kind} (${apiVersion}) is not an Istio traffic object` });
        } else {
            out.problems.push({ origin: at, what: u.what, fix: u.fix });
        }
        return;
    }
    const problems: ImportProblem[] = [];
    const version = apiVersion.slice(group.length + 1);
    if (!ISTIO_VERSIONS.includes(version)) {
        problems.push({ origin: at, what: `apiVersion ${JSON.stringify(apiVersion)} is not a version Istio serves for ${kind} (${ISTIO_VERSIONS.map((v) => `${ISTIO_GROUP}/${v}`).join(", ")})`, fix: `set apiVersion: ${ISTIO_GROUP}/v1` });
    }
    for (const key of Object.keys(value).filter((k) => !TOP_LEVEL.has(k))) {
        problems.push({ origin: at, what: `has a top-level field ${JSON.stringify(key)}; an object has apiVersion, kind, metadata, spec (and status)`, fix: `move it under spec if it is part of the ${kind}'s spec, else remove it` });
    }
    if (name === undefined || name === "") {
        const generate = typeof meta?.["generateName"] === "string" ? ` (it has metadata.generateName ${JSON.stringify(meta["generateName"])}, which the API server completes)` : "";
        problems.push({ origin: at, what: `has no metadata.name${generate}; the routing key holds each object under its name`, fix: "give it metadata.name: a DNS-1123 label such as reviews" });
    } else if (!isRoutingName(name)) {
        problems.push({
            origin: at,
            what: `metadata.name ${JSON.stringify(name)} is not a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters), which the routing key takes as object names`,
            fix: `rename it, e.g. to ${labelLike(name)} (and every reference to it: a VirtualService's gateways, a Sidecar's egress)`,
        });
    }
    const namespace = meta?.["namespace"];
    if (namespace !== undefined && typeof namespace !== "string") {
        problems.push({ origin: at, what: `metadata.namespace is ${JSON.stringify(namespace)}, not a string`, fix: "write the namespace as a string, or leave it out" });
    }
    const spec = value["spec"] ?? {};
    if (!isRecord(spec)) {
        problems.push({ origin: at, what: `spec is ${Array.isArray(spec) ? "a list" : JSON.stringify(spec)}, not a mapping`, fix: `write the ${kind}'s spec as a mapping (hosts, http, ...)` });
    }
    if (problems.length > 0 || name === undefined || !isRecord(spec)) {
        out.problems.push(...problems);
        return;
    }
    const dropped = Object.keys(meta ?? {}).filter((k) => !METADATA_SILENT.has(k));
    if (dropped.length > 0) {
        out.notes.push(`${describeOrigin(at)}: metadata.${dropped.join(", metadata.")} not imported (the stack sets its own labels)`);
    }
    out.objects.push({ origin: { ...at, kind, name }, kind, name, ...(typeof namespace === "string" && namespace !== "" ? { namespace } : {}), spec });
}
