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
import { rawStackConfig } from "../../release/env/check";
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
        return { routing: rawStackConfig({ routing: settings.config[ROUTING_CONFIG_KEY] })["routing"] as Record<string, unknown> };
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

/** The README's table of the Istio-API samples, and the Gateway API ones not compared yet (test/unit/importer/oracleTable.test.ts keeps the README equal). */
export function oracleTable(): string {
    const cases = sampleCases();
    const rows = istioApiSampleFiles().map((f) => `| \`samples/${f}\` | ${oracleVerdict(f, cases)} |`);
    const gatewayApi = gatewayApiSampleFiles().map((f) => `\`${f}\``);
    return [
        "| Sample file | istiod's xDS: as written vs our stack from `mesh-release import` |",
        "|---|---|",
        ...rows,
        "",
        `Not compared yet: the ${gatewayApi.length} Gateway API sample files (phase 2 of issue 19: the same intent as \`routingApi: gateway-api\` stack config, compared the same way): ${gatewayApi.join(", ")}.`,
    ].join("\n");
}
