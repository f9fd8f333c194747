/**
 * The README's release commands, as a test reads them: every `npx mesh-release ...` line of its ```bash
 * blocks (used by the unit test that parses them and the e2e test that runs them on the real engine).
 */
import * as fs from "node:fs";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Every `npx mesh-release` line of the README's ```bash blocks, comments removed. */
export function readmeReleaseCommands(readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8")): string[] {
    const blocks = [...readme.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
    return blocks
        .flatMap((b) => b.split("\n"))
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l.startsWith("npx mesh-release "));
}

/**
 * The argv of a README line (after `npx mesh-release`), with the optional `[...]` parts `keep` accepts (default:
 * every one given).
 */
export function argvOf(line: string, keep: (optional: string) => boolean = () => true): string[] {
    return line
        .replace(/\[([^\]]*)\]/g, (_all, part: string) => (keep(part.trim()) ? ` ${part} ` : " "))
        .split(/\s+/)
        .filter((w) => w !== "")
        .slice(2);
}

