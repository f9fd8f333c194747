/**
 * Test support: the traffic-management examples of the pinned istio.io/istio module's `samples/` (the module version
 * is ISTIO_MODULE_VERSION of scripts/toolchain.pins; the module is in the Go module cache once the tool chain's
 * istioctl/pilot-discovery recipe or `go mod download istio.io/istio@<version>` fetched it). {@link istioSamplesDir}
 * fails with how to get it when it is absent.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { istioModuleDir } from "./istioModule";

/** The sample files with networking.istio.io objects that Istio's traffic-management tasks use. */
export const TRAFFIC_SAMPLE_FILES: readonly string[] = [
    "bookinfo/networking/bookinfo-gateway.yaml",
    "bookinfo/networking/certmanager-gateway.yaml",
    "bookinfo/networking/destination-rule-all-mtls.yaml",
    "bookinfo/networking/destination-rule-all.yaml",
    "bookinfo/networking/destination-rule-reviews.yaml",
    "bookinfo/networking/egress-rule-google-apis.yaml",
    "bookinfo/networking/fault-injection-details-v1.yaml",
    "bookinfo/networking/virtual-service-all-v1.yaml",
    "bookinfo/networking/virtual-service-details-v2.yaml",
    "bookinfo/networking/virtual-service-ratings-db.yaml",
    "bookinfo/networking/virtual-service-ratings-mysql-vm.yaml",
    "bookinfo/networking/virtual-service-ratings-mysql.yaml",
    "bookinfo/networking/virtual-service-ratings-test-abort.yaml",
    "bookinfo/networking/virtual-service-ratings-test-delay.yaml",
    "bookinfo/networking/virtual-service-reviews-50-v3.yaml",
    "bookinfo/networking/virtual-service-reviews-80-20.yaml",
    "bookinfo/networking/virtual-service-reviews-90-10.yaml",
    "bookinfo/networking/virtual-service-reviews-jason-v2-v3.yaml",
    "bookinfo/networking/virtual-service-reviews-test-v2.yaml",
    "bookinfo/networking/virtual-service-reviews-v2-v3.yaml",
    "bookinfo/networking/virtual-service-reviews-v3.yaml",
    "helloworld/helloworld-gateway.yaml",
    "httpbin/httpbin-gateway.yaml",
    "tcp-echo/tcp-echo-all-v1.yaml",
    "tcp-echo/tcp-echo-20-v2.yaml",
    "websockets/route.yaml",
    "external/github.yaml",
    "external/aptget.yaml",
    "external/pypi.yaml",
];

let samplesDir: string | undefined;

/** The `samples/` directory of the pinned istio module (fetched into the Go module cache when absent); looked up once. */
export const istioSamplesDir = (): string => (samplesDir ??= path.join(istioModuleDir(), "samples"));

/** One Kubernetes object of a sample file. */
export interface SampleObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string };
    spec: Record<string, unknown>;
}

/** The networking.istio.io objects of a sample file (other kinds skipped). */
export function sampleObjects(file: string): SampleObject[] {
    const text = fs.readFileSync(path.join(istioSamplesDir(), file), "utf8");
    return parseAllDocuments(text)
        .map((d) => d.toJS() as SampleObject | null)
        .filter((o): o is SampleObject => o !== null && typeof o.apiVersion === "string" && o.apiVersion.startsWith("networking.istio.io/"));
}

/** Whether a YAML text has a top-level `apiVersion: <group>/...` (networking.istio.io, gateway.networking.k8s.io). */
const holdsGroup = (text: string, group: string): boolean => new RegExp(`^apiVersion:\\s*["']?${group.replace(/\./g, "\\.")}/`, "m").test(text);

/** Every `.yaml` file under samples/, relative to it, sorted. */
function sampleYamlFiles(): string[] {
    const dir = istioSamplesDir();
    return (fs.readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[])
        .filter((f) => f.endsWith(".yaml") && fs.statSync(path.join(dir, f)).isFile())
        .map((f) => f.split(path.sep).join("/"))
        .sort();
}

/**
 * Every file of samples/ that holds an Istio-API networking object (a document of apiVersion networking.istio.io/*:
 * VirtualService, DestinationRule, Gateway, ServiceEntry, Sidecar, EnvoyFilter, ...), found by reading them all, so
 * a sample added by a newer pinned module shows up (test/e2e/istiod/samples.test.ts covers each or says why not).
 */
export function istioApiSampleFiles(): string[] {
    const dir = istioSamplesDir();
    apiFiles ??= sampleYamlFiles().filter((f) => holdsGroup(fs.readFileSync(path.join(dir, f), "utf8"), "networking.istio.io"));
    return [...apiFiles];
}
let apiFiles: string[] | undefined;

/** Every file of samples/ that holds a Gateway API object (gateway.networking.k8s.io/*). */
export function gatewayApiSampleFiles(): string[] {
    const dir = istioSamplesDir();
    return sampleYamlFiles().filter((f) => holdsGroup(fs.readFileSync(path.join(dir, f), "utf8"), "gateway.networking.k8s.io"));
}

/** Every object of a sample file (any kind), in order. */
export function allSampleObjects(file: string): SampleObject[] {
    const text = fs.readFileSync(path.join(istioSamplesDir(), file), "utf8");
    return parseAllDocuments(text)
        .map((d) => d.toJS() as SampleObject | null)
        .filter((o): o is SampleObject => o !== null && typeof o === "object" && typeof o.apiVersion === "string" && typeof o.kind === "string");
}
