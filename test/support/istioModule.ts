/**
 * Test support: the pinned istio.io/istio Go module (scripts/toolchain.pins ISTIO_MODULE_VERSION) in the local Go
 * module cache, for the tests that read its files (the samples' YAML). It is not vendored: the tool chain's build
 * downloads it (scripts/toolchain.sh), or `go mod download istio.io/istio@<version>` alone.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** ISTIO_MODULE_VERSION of scripts/toolchain.pins. */
export function istioModuleVersion(): string {
    const pins = fs.readFileSync(path.join(REPO_ROOT, "scripts", "toolchain.pins"), "utf8");
    const m = /^ISTIO_MODULE_VERSION=(\S+)$/m.exec(pins);
    if (m?.[1] === undefined) {
        throw new Error("scripts/toolchain.pins has no ISTIO_MODULE_VERSION=<version> line");
    }
    return m[1];
}

/** The pinned istio.io/istio module's directory in `go env GOMODCACHE`; throws saying how to get it when absent. */
export function istioModuleDir(): string {
    const version = istioModuleVersion();
    const howTo = `Get it with Go (https://go.dev/dl/) and the Go module proxy: \`go mod download istio.io/istio@${version}\` (or \`bash scripts/toolchain.sh\`, which downloads it to build istioctl).`;
    let cache: string;
    try {
        cache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 }).trim();
    } catch (err) {
        throw new Error(`\`go env GOMODCACHE\` failed (${(err as Error).message.trim()}), so the pinned istio.io/istio module cannot be found. ${howTo}`);
    }
    const dir = path.join(cache, `istio.io/istio@${version}`);
    if (!fs.existsSync(path.join(dir, "samples"))) {
        throw new Error(`the pinned istio.io/istio module is not in the Go module cache (${dir} has no samples/). ${howTo}`);
    }
    return dir;
}
