/**
 * The Pulumi YAML language host and mesh-sdkgen (scripts/toolchain.sh tool `langhost-yaml`, its own cache key) for
 * test/e2e/package/yaml.test.ts: built in the background by scripts/e2e.sh on a cold machine
 * (MESH_LANGHOST_YAML_BUILD_RC_FILE appears when that build ends); {@link langhostYamlDir} waits for it.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { awaitBackgroundBuild } from "./backgroundBuild";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const TOOLCHAIN = path.join(REPO_ROOT, "scripts", "toolchain.sh");
const BUILD = "bash scripts/toolchain.sh build langhost-yaml";

/** How long to wait for the background build: MESH_LANGHOST_YAML_WAIT_S, default 1800 s. */
function waitMs(env: NodeJS.ProcessEnv): number {
    const s = Number(env["MESH_LANGHOST_YAML_WAIT_S"] ?? "");
    return Number.isFinite(s) && s > 0 ? s * 1000 : 1_800_000;
}

/** The built tool's dir (`bin/pulumi-language-yaml`, `bin/mesh-sdkgen`), after the background build if one runs. */
export async function langhostYamlDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
    await awaitBackgroundBuild({
        tool: "pulumi-language-yaml",
        rcFile: env["MESH_LANGHOST_YAML_BUILD_RC_FILE"],
        log: env["MESH_LANGHOST_YAML_BUILD_LOG"],
        waitMs: waitMs(env),
        buildCommand: BUILD,
    });
    try {
        return execFileSync("bash", [TOOLCHAIN, "--check", "langhost-yaml"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch {
        throw new Error(`pulumi-language-yaml is not built: run \`${BUILD}\` (docs/toolchain.md), then rerun the test`);
    }
}
