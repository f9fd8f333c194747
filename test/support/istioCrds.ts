/**
 * Test support: the pinned Istio CRD bundle. It is not vendored: `scripts/istio-crds.sh` (the toolchain's
 * fetcher) downloads the `istio.io/api` Go module at the pinned release (scripts/toolchain.pins), checks the
 * pinned sha256 of `kubernetes/customresourcedefinitions.gen.yaml` and prints its cached path, so a fresh
 * clone needs only Go. Validation against it: ./istioSchema.ts.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

let crdPath: string | undefined;

/** Path of the pinned Istio CRD bundle (`scripts/istio-crds.sh`), fetched once per process. */
export function istioCrdPath(): string {
    if (crdPath !== undefined) {
        return crdPath;
    }
    try {
        crdPath = execFileSync(path.join(REPO_ROOT, "scripts", "istio-crds.sh"), [], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            timeout: 180_000,
        }).trim();
    } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(
            `scripts/istio-crds.sh could not fetch the pinned Istio CRDs (istio.io/api, see scripts/toolchain.pins): ` +
                `${(e.stderr ?? e.message).trim()}. It needs Go on PATH (https://go.dev/dl/) and the Go module proxy.`,
        );
    }
    return crdPath;
}
