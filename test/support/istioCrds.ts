/**
 * Test support: the pinned CRD bundles. They are not vendored: `scripts/istio-crds.sh` (the toolchain's fetcher)
 * downloads the `istio.io/api` Go module at the pinned release (scripts/toolchain.pins), checks the pinned sha256
 * of `kubernetes/customresourcedefinitions.gen.yaml` and prints its cached path; `scripts/gateway-api-crds.sh` does
 * the same for the Gateway API CRDs (`sigs.k8s.io/gateway-api`, standard channel), so a fresh clone needs only Go.
 * Validation against either: ./istioSchema.ts.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

const fetched = new Map<string, string>();

/** The path a fetcher script prints, run once per process. */
function fetchedPath(script: string, what: string): string {
    const known = fetched.get(script);
    if (known !== undefined) {
        return known;
    }
    let out: string;
    try {
        out = execFileSync(path.join(REPO_ROOT, "scripts", script), [], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 180_000,
        }).trim();
    } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(
            `scripts/${script} could not fetch the pinned ${what} (see scripts/toolchain.pins): ` +
                `${(e.stderr ?? e.message).trim()}. It needs Go on PATH (https://go.dev/dl/) and the Go module proxy.`,
        );
    }
    fetched.set(script, out);
    return out;
}

/** Path of the pinned Istio CRD bundle (`scripts/istio-crds.sh`), fetched once per process. */
export function istioCrdPath(): string {
    return fetchedPath("istio-crds.sh", "Istio CRDs (istio.io/api)");
}

/** Path of the pinned Gateway API CRD bundle, standard channel (`scripts/gateway-api-crds.sh`), fetched once per process. */
export function gatewayApiCrdPath(): string {
    return fetchedPath("gateway-api-crds.sh", "Gateway API CRDs (sigs.k8s.io/gateway-api)");
}
