/**
 * Test support for istiod as the oracle of the importer and the stack program (issue 19): for each Istio-API
 * example of the pinned istio module's samples/ (test/support/istioSamples.ts `istioApiSampleFiles`), what
 * test/e2e/istiod/samples.test.ts applies as written in one namespace and as our stack makes it in another:
 *
 * - {@link sampleCases}: every such file, with the files Istio's tasks apply before it (bookinfo's
 *   destination-rule-all.yaml under its routes; tcp-echo-all-v1.yaml under tcp-echo-20-v2.yaml), the sample files
 *   whose Services and Deployments it routes to, and the gateway proxies its Gateways select; or why it is not
 *   covered ({@link NOT_COVERED}, checked to be exactly the files left over).
 * - {@link appliedObjects}: the networking objects in the cluster after `kubectl apply` of those files in order
 *   (an object of a later file replaces one of the same kind and name).
 * - {@link standInObjects}: the sample's own Services, and a WorkloadEntry per Deployment for its pods.
 * - {@link importedRouting}: `mesh-release import --stack` (importer/command.ts) of the same files into a fresh
 *   stack, read back as Pulumi hands the config to the program.
 *
 * Pure but for reading the samples and the importer's temp stack.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { runImport } from "../../importer/command";
import { ROUTING_CONFIG_KEY } from "../../importer/stackConfig";
import { configFromValues } from "../../contract/stackConfig";
import { allSampleObjects, gatewayApiSampleFiles, istioApiSampleFiles, istioSamplesDir, type SampleObject } from "./istioSamples";
import type { KubeObject } from "./cluster";

/** Istio-API sample files the oracle does not cover, and why (the e2e test asserts this is exactly the rest). */
export const NOT_COVERED: Readonly<Record<string, string>> = {
    "bookinfo/policy/productpage_envoy_ratelimit.yaml":
        "EnvoyFilter (Envoy's own config patched in): not a kind the routing key holds; mesh-traffic makes no EnvoyFilter, and the importer refuses it by name",
    "ratelimit/local-rate-limit-service.yaml":
        "EnvoyFilter (Envoy's own config patched in): not a kind the routing key holds; mesh-traffic makes no EnvoyFilter, and the importer refuses it by name",
};

/**
 * Covered samples that `mesh-release import` refuses, rightly: why (for the README) and the refusal's text (the e2e
 * test asserts the importer refuses exactly these, with this text: a new refusal is a regression, a fix shows too).
 */
export const IMPORT_REFUSES: Readonly<Record<string, { why: string; message: RegExp }>> = {
    "multicluster/expose-istiod-https.yaml": {
        why: "a template for `envsubst` (Istio's multicluster guide), not YAML to apply as written: its `credentialName: $CREDENTIAL_NAME` is no Secret name, which the stack config check refuses (the expose-istiod.yaml beside it is covered)",
        message: /spec\.servers\[0\]\.tls\.credentialName is "\$CREDENTIAL_NAME"; it must be the name of a Kubernetes Secret/,
    },
};

/** A gateway proxy the oracle asks istiod about: its namespace and labels (what Gateways select). */
export interface GatewayProxy {
    name: string;
    labels: Record<string, string>;
}

/** One covered sample: the files applied in order (the sample last), where its workloads are, its gateways. */
export interface SampleCase {
    file: string;
    /** Files Istio's tasks apply before it, in order. */
    before: string[];
    /** Sample files with the Services and Deployments it routes to (the sample's own non-networking objects too). */
    workloads: string[];
    /** Gateway proxies selected by its Gateways (istio-system), by their `istio` label. */
    gateways: GatewayProxy[];
}

const BOOKINFO_WORKLOADS = [
    "bookinfo/platform/kube/bookinfo.yaml",
    "bookinfo/platform/kube/bookinfo-details-v2.yaml",
    "bookinfo/platform/kube/bookinfo-ratings-v2.yaml",
    "bookinfo/platform/kube/bookinfo-ratings-v2-mysql.yaml",
    "bookinfo/platform/kube/bookinfo-ratings-v2-mysql-vm.yaml",
    "bookinfo/platform/kube/bookinfo-db.yaml",
    "bookinfo/platform/kube/bookinfo-mysql.yaml",
];

/** The sample files with the Services and Deployments a sample's objects route to. */
function workloadFiles(file: string): string[] {
    const dir = file.slice(0, file.indexOf("/"));
    const own = [file];
    switch (dir) {
        case "bookinfo":
            return BOOKINFO_WORKLOADS;
        case "helloworld":
            return ["helloworld/helloworld.yaml"];
        case "httpbin":
            return ["httpbin/httpbin.yaml"];
        case "tcp-echo":
            return ["tcp-echo/tcp-echo-services.yaml"];
        case "websockets":
            return ["websockets/app.yaml"];
        default:
            return own; // extauthz's file holds its workload; external/ and multicluster/ route to none of the namespace's
    }
}

/** Files Istio's tasks apply before `file`: the subsets its routes name; the sample it is applied over. */
export function appliedBefore(file: string): string[] {
    if (file.startsWith("bookinfo/networking/virtual-service-") || file.startsWith("bookinfo/networking/fault-injection-")) return ["bookinfo/networking/destination-rule-all.yaml"];
    if (file === "tcp-echo/tcp-echo-20-v2.yaml") return ["tcp-echo/tcp-echo-all-v1.yaml"];
    return [];
}

const isNetworking = (o: SampleObject): boolean => o.apiVersion.startsWith("networking.istio.io/");

/** The networking objects after applying `before` then `file` (a later object of one kind and name replaces the earlier). */
export function appliedObjects(c: Pick<SampleCase, "file" | "before">): SampleObject[] {
    const byKey = new Map<string, SampleObject>();
    for (const f of [...c.before, c.file]) {
        for (const o of allSampleObjects(f).filter(isNetworking)) byKey.set(`${o.kind}/${o.metadata.name}`, o);
    }
    return [...byKey.values()];
}

/** Every covered sample (all of {@link istioApiSampleFiles} but {@link NOT_COVERED}), sorted by file. */
export function sampleCases(): SampleCase[] {
    return istioApiSampleFiles()
        .filter((f) => NOT_COVERED[f] === undefined)
        .map((file) => {
            const before = appliedBefore(file);
            const selectors = appliedObjects({ file, before })
                .filter((o) => o.kind === "Gateway")
                .map((o) => (o.spec["selector"] ?? {}) as Record<string, string>);
            const gateways = [...new Map(selectors.filter((s) => s["istio"] !== undefined).map((s) => [s["istio"] ?? "", { name: `istio-${s["istio"] ?? ""}`, labels: s }])).values()];
            return { file, before, workloads: workloadFiles(file), gateways };
        });
}

/** The namespace the sample's objects name, if any (certmanager-gateway.yaml: istio-system). */
export function sampleNamespace(c: Pick<SampleCase, "file" | "before">): string | undefined {
    return appliedObjects(c).find((o) => o.metadata.namespace !== undefined)?.metadata.namespace;
}

/** `o` in namespace `ns`: its name, labels and spec; nothing the API server or another namespace set. */
export function inNamespace(o: SampleObject, ns: string): KubeObject {
    return { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: ns }, spec: o.spec };
}

/**
 * The workloads standing in for the sample's pods in `ns`: its Services (type ClusterIP: no node ports here) and a
 * WorkloadEntry per Deployment with the pod template's labels (app, version) on a loopback address.
 */
export function standInObjects(c: Pick<SampleCase, "workloads">, ns: string): KubeObject[] {
    const services = new Map<string, KubeObject>();
    const entries = new Map<string, KubeObject>();
    for (const f of c.workloads) {
        for (const o of allSampleObjects(f)) {
            if (o.apiVersion === "v1" && o.kind === "Service") {
                const { type: _type, ...spec } = o.spec as { type?: string } & Record<string, unknown>;
                const labels = (o.metadata as { labels?: Record<string, string> }).labels;
                services.set(o.metadata.name, { apiVersion: "v1", kind: "Service", metadata: { name: o.metadata.name, namespace: ns, ...(labels === undefined ? {} : { labels }) }, spec });
            } else if (o.apiVersion === "apps/v1" && o.kind === "Deployment") {
                const tmpl = (o.spec["template"] ?? {}) as { metadata?: { labels?: Record<string, string> } };
                const labels = tmpl.metadata?.labels ?? {};
                entries.set(o.metadata.name, {
                    apiVersion: "networking.istio.io/v1",
                    kind: "WorkloadEntry",
                    metadata: { name: o.metadata.name, namespace: ns },
                    spec: { address: "127.0.0.1", labels },
                });
            }
        }
    }
    return [...services.values(), ...entries.values()];
}

/** The stack config's `routing` for the sample, as `mesh-release import --stack` writes it; or the importer's refusal. */
export type ImportAnswer = { routing: Record<string, unknown> } | { refused: string };

/**
 * `mesh-release import --stack oracle --skip-unsupported` of the case's files in order (the sample with --replace,
 * over what its predecessors wrote) into a fresh stack of namespace `ns` (the sample's own namespace when it names
 * one: the importer keeps a stack's objects in its namespace), read back as Pulumi hands it to the program. `cache`
 * keeps the stack file after the files applied before, by namespace and files, across calls.
 */
export async function importedRouting(c: Pick<SampleCase, "file" | "before">, ns: string, cache: Map<string, string> = new Map()): Promise<ImportAnswer> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-oracle-import-"));
    const namespace = sampleNamespace(c) ?? ns;
    const file = path.join(dir, "Pulumi.oracle.yaml");
    fs.writeFileSync(file, `config:\n  mesh-traffic:namespace: ${namespace}\n  mesh-traffic:createNamespace: false\n`);
    const run = async (f: string, replace: boolean): Promise<string | undefined> => {
        let stderr = "";
        const code = await runImport({ files: [f], cwd: istioSamplesDir(), workDir: dir, stack: "oracle", skipUnsupported: true, replace }, { stdout: () => undefined, stderr: (t) => (stderr += t) });
        return code === 0 ? undefined : `mesh-release import ${f} exited ${code}:\n${stderr}`;
    };
    try {
        // the stack after the files applied before (the same for many samples: imported once per namespace)
        const key = JSON.stringify([namespace, c.before]);
        const after = cache.get(key);
        if (after !== undefined) {
            fs.writeFileSync(file, after);
        } else {
            for (const f of c.before) {
                const refused = await run(f, false);
                if (refused !== undefined) return { refused };
            }
            cache.set(key, fs.readFileSync(file, "utf8"));
        }
        const refused = await run(c.file, true);
        if (refused !== undefined) return { refused };
        const settings = parse(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
        return { routing: configFromValues({ routing: settings.config[ROUTING_CONFIG_KEY] })["routing"] as Record<string, unknown> };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** What the oracle proves of one Istio-API sample file, as the README's table says it. */
export function oracleVerdict(file: string, cases: readonly SampleCase[] = sampleCases()): string {
    const notCovered = NOT_COVERED[file];
    if (notCovered !== undefined) return `not covered: ${notCovered}`;
    const refused = IMPORT_REFUSES[file];
    if (refused !== undefined) return `refused by \`mesh-release import\`: ${refused.why}`;
    const c = cases.find((x) => x.file === file);
    const proxies = ["sidecar", ...[INGRESS_NAME, ...(c?.gateways ?? []).map((g) => g.name).filter((n) => n !== INGRESS_NAME)]].join(", ");
    return `equal xDS (${proxies})${c !== undefined && c.before.length > 0 ? `, over ${c.before.map((f) => f.slice(f.lastIndexOf("/") + 1)).join(", ")}` : ""}`;
}

/** The name of the ingress gateway proxy the oracle always asks. */
export const INGRESS_NAME = "istio-ingressgateway";

/** The README's tables of the Istio-API and the Gateway API samples (test/unit/importer/oracleTable.test.ts keeps the README equal). */
export function oracleTable(): string {
    const cases = sampleCases();
    const rows = istioApiSampleFiles().map((f) => `| \`samples/${f}\` | ${oracleVerdict(f, cases)} |`);
    return [
        "| Sample file | istiod's xDS: as written vs our stack from `mesh-release import` |",
        "|---|---|",
        ...rows,
        "",
        "| Gateway API sample file | istiod's xDS: as written vs our stack's `routingApi: gateway-api` objects of the same intent |",
        "|---|---|",
        ...gatewayApiSampleFiles().map((f) => `| \`samples/${f}\` | ${gatewayApiVerdict(f)} |`),
    ].join("\n");
}

/**
 * Phase 2: a Gateway API sample the oracle compares with our `routingApi: gateway-api` objects: the stack config's
 * `services` (and `ingress`, for a sample with a Gateway) of the same intent (the fixture), the sample files with its
 * Services and Deployments (the version Services Istio's Gateway API tasks apply first, bookinfo-versions.yaml,
 * included), and the sample files applied before it (helloworld-route.yaml: over helloworld-gateway.yaml's Gateway).
 */
export interface GatewayApiCase {
    file: string;
    workloads: string[];
    services: Record<string, Record<string, unknown>>;
    /** The stack config's `ingress` of the same intent, for a sample with a Gateway. Default: none. */
    ingress?: Record<string, unknown>;
    /** Sample files applied before `file`, in order. Default none. */
    before?: string[];
}

/** A bookinfo service of the fixtures: port 9080, its stable version, and the canary's with its weight if any. */
const bookinfoService = (name: string, stable: string, canary?: { version: string; weight: number }): Record<string, Record<string, unknown>> => ({
    [name]: {
        port: 9080,
        image: `docker.io/istio/examples-bookinfo-${name}-{version}:1.20.3`,
        stable: { version: stable },
        ...(canary === undefined ? {} : { canary: { version: canary.version, weight: canary.weight, routed: true } }),
    },
});

const BOOKINFO_GATEWAY_API_WORKLOADS = ["bookinfo/platform/kube/bookinfo.yaml", "bookinfo/platform/kube/bookinfo-versions.yaml"];
const AMBIENT_ARGO_WORKLOADS = ["details", "productpage", "ratings", "reviews", "bookinfo-versions"].map((f) => `ambient-argo/application/${f}.yaml`);
const HELLOWORLD_WORKLOADS = ["helloworld/helloworld.yaml", "helloworld/gateway-api/helloworld-versions.yaml"];

/** A plain-HTTP ingress for any host (`protocol: HTTP`, hosts `*`), as the samples' Gateways: one listener on port 80, no hostname. */
const plainHttpIngress = (routes: Record<string, string>[]): Record<string, unknown> => ({ enabled: true, protocol: "HTTP", hosts: ["*"], routes });

/** bookinfo-gateway.yaml's HTTPRoute: productpage's pages and assets, three of them exact paths. */
const BOOKINFO_INGRESS = plainHttpIngress([
    { exact: "/productpage", service: "productpage" },
    { prefix: "/static", service: "productpage" },
    { exact: "/login", service: "productpage" },
    { exact: "/logout", service: "productpage" },
    { prefix: "/api/v1/products", service: "productpage" },
]);

const helloworld = (canary?: { version: string; weight: number }): Record<string, Record<string, unknown>> => ({
    helloworld: {
        port: 5000,
        image: "docker.io/istio/examples-helloworld-{version}:1.0",
        stable: { version: "v1" },
        ...(canary === undefined ? {} : { canary: { version: canary.version, weight: canary.weight, routed: true } }),
    },
});

/** The Gateway API samples compared, each with the stack config fixture of the same intent. */
export const GATEWAY_API_CASES: readonly GatewayApiCase[] = [
    { file: "ambient-argo/application/ingress-gateway.yaml", workloads: AMBIENT_ARGO_WORKLOADS, services: bookinfoService("productpage", "v1"), ingress: BOOKINFO_INGRESS },
    { file: "ambient-argo/application/route-reviews-90-10.yaml", workloads: AMBIENT_ARGO_WORKLOADS, services: bookinfoService("reviews", "v1", { version: "v2", weight: 10 }) },
    { file: "bookinfo/gateway-api/bookinfo-gateway.yaml", workloads: BOOKINFO_GATEWAY_API_WORKLOADS, services: bookinfoService("productpage", "v1"), ingress: BOOKINFO_INGRESS },
    {
        file: "bookinfo/gateway-api/route-all-v1.yaml",
        workloads: BOOKINFO_GATEWAY_API_WORKLOADS,
        services: { ...bookinfoService("productpage", "v1"), ...bookinfoService("reviews", "v1"), ...bookinfoService("ratings", "v1"), ...bookinfoService("details", "v1") },
    },
    { file: "bookinfo/gateway-api/route-reviews-50-v3.yaml", workloads: BOOKINFO_GATEWAY_API_WORKLOADS, services: bookinfoService("reviews", "v1", { version: "v3", weight: 50 }) },
    { file: "bookinfo/gateway-api/route-reviews-90-10.yaml", workloads: BOOKINFO_GATEWAY_API_WORKLOADS, services: bookinfoService("reviews", "v1", { version: "v2", weight: 10 }) },
    { file: "bookinfo/gateway-api/route-reviews-v1.yaml", workloads: BOOKINFO_GATEWAY_API_WORKLOADS, services: bookinfoService("reviews", "v1") },
    { file: "bookinfo/gateway-api/route-reviews-v3.yaml", workloads: BOOKINFO_GATEWAY_API_WORKLOADS, services: bookinfoService("reviews", "v3") },
    { file: "helloworld/gateway-api/helloworld-gateway.yaml", workloads: HELLOWORLD_WORKLOADS, services: helloworld(), ingress: plainHttpIngress([{ exact: "/hello", service: "helloworld" }]) },
    {
        file: "helloworld/gateway-api/helloworld-route.yaml",
        before: ["helloworld/gateway-api/helloworld-gateway.yaml"],
        workloads: HELLOWORLD_WORKLOADS,
        services: helloworld({ version: "v2", weight: 10 }),
        ingress: plainHttpIngress([{ exact: "/hello", service: "helloworld" }]),
    },
    {
        file: "httpbin/gateway-api/httpbin-gateway.yaml",
        workloads: ["httpbin/httpbin.yaml"],
        services: { httpbin: { port: 8000, targetPort: 8080, image: "docker.io/mccutchen/go-httpbin:{version}", stable: { version: "v1" } } },
        ingress: plainHttpIngress([{ prefix: "/", service: "httpbin" }]),
    },
];

/** Gateway API sample files the oracle does not compare, and why (the e2e test asserts this is exactly the rest). */
export const GATEWAY_API_NOT_COVERED: Readonly<Record<string, string>> = {
    "ambient-argo/application/details-waypoint.yaml": "a waypoint (class `istio-waypoint`, ambient mode): our stack makes no waypoint, and the oracle asks sidecar and gateway proxies",
    "ambient-argo/application/reviews-waypoint.yaml": "a waypoint (class `istio-waypoint`, ambient mode): our stack makes no waypoint, and the oracle asks sidecar and gateway proxies",
    "tcp-echo/gateway-api/tcp-echo-20-v2.yaml": "a TCPRoute written at v1alpha2, which the pinned v1.6.0 CRDs no longer serve (TCPRoute is standard there, at v1), so it cannot be applied as written; and it routes through the Gateway's TCP listener (port 31400), which our ingress does not make (its listeners are HTTP and HTTPS; a gateway route to a tcp service is refused). Our tcp services' TCPRoutes are mesh routes on the Service (GAMMA), checked on istiod in test/e2e/istiod/gatewayApi.test.ts",
    "tcp-echo/gateway-api/tcp-echo-all-v1.yaml": "a TCP Gateway and a TCPRoute written at v1alpha2, which the pinned v1.6.0 CRDs no longer serve (TCPRoute is standard there, at v1), so it cannot be applied as written; and it routes through the Gateway's TCP listener (port 31400), which our ingress does not make (its listeners are HTTP and HTTPS; a gateway route to a tcp service is refused). Our tcp services' TCPRoutes are mesh routes on the Service (GAMMA), checked on istiod in test/e2e/istiod/gatewayApi.test.ts",
};

/** The Gateway API objects after `kubectl apply` of the sample file (over the files applied before it: a later object of one kind and name replaces the earlier). */
export function gatewayApiObjects(file: string, before: readonly string[] = []): SampleObject[] {
    const byKey = new Map<string, SampleObject>();
    for (const f of [...before, file]) {
        for (const o of allSampleObjects(f).filter((x) => x.apiVersion.startsWith("gateway.networking.k8s.io/"))) byKey.set(`${o.kind}/${o.metadata.name}`, o);
    }
    return [...byKey.values()];
}

/** The name of the sample's Gateway (the proxy that serves it is keyed by it), if it has one. */
export function sampleGatewayName(c: Pick<GatewayApiCase, "file" | "before">): string | undefined {
    return gatewayApiObjects(c.file, c.before).find((o) => o.kind === "Gateway")?.metadata.name;
}

/** The sample routes mesh traffic: an HTTPRoute of it has a Service as its parent (GAMMA). */
export function routesMesh(c: Pick<GatewayApiCase, "file" | "before">): boolean {
    return gatewayApiObjects(c.file, c.before).some((o) => o.kind === "HTTPRoute" && ((o.spec["parentRefs"] ?? []) as { kind?: string }[]).some((r) => r.kind === "Service"));
}

/**
 * The fixture's services the sample's gateway routes to by their own Service (backendRef `productpage`), where our
 * mode routes to the stable version's Service (`productpage-v1`, the same pods while there is no canary): ours ->
 * the sample's name, to put aside in the gateway's routes.
 */
export function versionServiceAliases(c: GatewayApiCase): [ours: string, sample: string][] {
    const backends = new Set(
        gatewayApiObjects(c.file, c.before)
            .filter((o) => o.kind === "HTTPRoute")
            .flatMap((o) => ((o.spec["rules"] ?? []) as { backendRefs?: { name: string }[] }[]).flatMap((r) => (r.backendRefs ?? []).map((b) => b.name))),
    );
    return Object.entries(c.services).flatMap(([name, s]): [string, string][] =>
        s["canary"] === undefined && backends.has(name) ? [[`${name}-${(s["stable"] as { version: string }).version}`, name]] : [],
    );
}

/**
 * Our version Services (`<svc>-<version>`) that no workload file of the case holds (the httpbin sample has no
 * versions file): the e2e test stands ours in on the sample's side too, so both namespaces have the same Services.
 */
export function versionServicesMissing(c: GatewayApiCase): string[] {
    const have = new Set(c.workloads.flatMap((f) => allSampleObjects(f).filter((o) => o.apiVersion === "v1" && o.kind === "Service").map((o) => o.metadata.name)));
    return Object.entries(c.services).flatMap(([name, s]) =>
        [s["stable"], s["canary"]].flatMap((v) => (v === undefined ? [] : [`${name}-${(v as { version: string }).version}`])).filter((n) => !have.has(n)),
    );
}

/** What the oracle proves of one Gateway API sample file, as the README's table says it. */
export function gatewayApiVerdict(file: string): string {
    const notCovered = GATEWAY_API_NOT_COVERED[file];
    if (notCovered !== undefined) return `not covered: ${notCovered}`;
    const c = GATEWAY_API_CASES.find((x) => x.file === file);
    if (c === undefined) return "not covered";
    const svc = Object.entries(c.services)
        .map(([n, s]) => {
            const stable = (s["stable"] as { version: string }).version;
            const canary = s["canary"] as { version: string; weight: number } | undefined;
            return `${n}: stable ${stable}${canary === undefined ? "" : `, canary ${canary.version} at ${canary.weight} %`}`;
        })
        .join("; ");
    const objects = gatewayApiObjects(file, c.before);
    const port = objects.some((o) => ((o.spec["parentRefs"] ?? []) as { port?: number }[]).some((r) => r.port !== undefined));
    const gateway = sampleGatewayName(c);
    const routes = ((c.ingress?.["routes"] ?? []) as Record<string, string>[]).map((r) => (r["exact"] !== undefined ? `exact ${r["exact"]}` : `prefix ${r["prefix"] ?? ""}`));
    const proxies = `sidecar, ${INGRESS_NAME}${gateway === undefined ? "" : `, the Gateway's own proxy (\`${gateway}\` vs ours \`ingress\`, names aside)`}`;
    const ingress = c.ingress === undefined ? "" : ` and \`ingress\` protocol HTTP, hosts \`*\`, ${routes.join(", ")}`;
    const over = c.before === undefined ? "" : `, over ${c.before.map((f) => f.slice(f.lastIndexOf("/") + 1)).join(", ")}`;
    const aliases = versionServiceAliases(c).map(([ours, sample]) => `the gateway's route to the Service \`${sample}\` is ours to its stable version's \`${ours}\` (the same pods)`);
    const mesh = gateway !== undefined && !routesMesh(c) ? [`the sidecar's routes of ${Object.keys(c.services).join(", ")} (the sample routes no mesh traffic; our mode routes it by the service's HTTPRoute)`] : [];
    const aside = ["the unused subset clusters of the DestinationRule our mode keeps", ...aliases, ...mesh, ...(port ? ["the parentRef's port in istiod's route metadata and tracing name"] : [])];
    const missing = versionServicesMissing(c).map((n) => `\`${n}\``);
    const standIn = missing.length === 0 ? "" : ` (our version Service ${missing.join(", ")} stood in beside the sample too)`;
    return `equal xDS (${proxies}) with our \`routingApi: gateway-api\` objects of \`services\` ${svc}${ingress}${over}${standIn}; but for ${aside.join("; ")}`;
}
