/**
 * Test support: the `samples/` of the pinned Istio module (istio.io/istio at scripts/toolchain.pins'
 * `ISTIO_MODULE_VERSION`, the version the tool chain's istioctl and istiod are built from). Read from the Go
 * module cache (`go env GOMODCACHE`); nothing is built. When the module is not there, the error says how to get it.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** A `KEY=VALUE` line of scripts/toolchain.pins. */
function pin(key: string): string {
    const pins = fs.readFileSync(path.join(REPO_ROOT, "scripts", "toolchain.pins"), "utf8");
    const m = new RegExp(`^${key}=(\\S+)`, "m").exec(pins);
    if (m?.[1] === undefined) {
        throw new Error(`scripts/toolchain.pins has no ${key}`);
    }
    return m[1];
}

let samplesDir: string | undefined;

/** The pinned Istio module's samples/ directory. Throws naming how to get the module when it is absent. */
export function istioSamplesDir(): string {
    if (samplesDir !== undefined) {
        return samplesDir;
    }
    const version = pin("ISTIO_MODULE_VERSION");
    const get = `go mod download istio.io/istio@${version} (or scripts/toolchain.sh, which builds istioctl from it)`;
    let modCache: string;
    try {
        modCache = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 }).trim();
    } catch (err) {
        throw new Error(`go env GOMODCACHE failed (${(err as Error).message.split("\n")[0] ?? ""}): the Istio samples are read from the Go module cache; install Go (https://go.dev/dl/), then ${get}`);
    }
    const dir = path.join(modCache, `istio.io/istio@${version}`, "samples");
    if (!fs.existsSync(dir)) {
        throw new Error(`the pinned Istio module's samples are not in the Go module cache (${dir} does not exist): ${get}`);
    }
    samplesDir = dir;
    return dir;
}
