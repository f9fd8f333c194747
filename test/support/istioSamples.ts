/**
 * Test support: the traffic-management examples of the pinned istio.io/istio module's `samples/` (the module version
 * is ISTIO_MODULE_VERSION of scripts/toolchain.pins; the module is in the Go module cache once the tool chain's
 * istioctl/pilot-discovery recipe or `go mod download istio.io/istio@<version>` fetched it). {@link istioSamplesDir}
 * fails with how to get it when it is absent.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

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

let dir: string | undefined;

/** The `samples/` directory of the pinned istio module. */
export function istioSamplesDir(): string {
    if (dir !== undefined) return dir;
    const pins = fs.readFileSync(path.join(REPO_ROOT, "scripts", "toolchain.pins"), "utf8");
    const version = /^ISTIO_MODULE_VERSION=(\S+)$/m.exec(pins)?.[1];
    let modcache = "";
    try {
        modcache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8" }).trim();
    } catch {
        throw new Error("the Istio samples are read from the Go module cache: Go must be on PATH (https://go.dev/dl/)");
    }
    let candidate = path.join(modcache, "istio.io", `istio@${version ?? "?"}`, "samples");
    if (!fs.existsSync(candidate) && version !== undefined) {
        // A fresh machine: fetch the module (network only, no build), as scripts/toolchain.sh fetches its modules.
        try {
            const out = execFileSync("go", ["mod", "download", "-json", `istio.io/istio@${version}`], { cwd: os.tmpdir(), encoding: "utf8", timeout: 600_000 });
            candidate = path.join((JSON.parse(out) as { Dir?: string }).Dir ?? "", "samples");
        } catch {
            // reported below
        }
    }
    if (!fs.existsSync(candidate)) {
        throw new Error(
            `the pinned istio module's samples are not in the Go module cache (${candidate}); fetch it with: ` +
                `go mod download istio.io/istio@${version ?? "<ISTIO_MODULE_VERSION of scripts/toolchain.pins>"}   (network only, no build)`,
        );
    }
    dir = candidate;
    return dir;
}

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
