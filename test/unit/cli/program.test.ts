/**
 * release/driver/program.ts: which program each release update runs. `auto` runs this package's program inline
 * only when the project's Pulumi.yaml `main` is this package's index.ts (or dist/index.js); anything else runs
 * the project's own program. What this does not prove: that the inline program behaves like the local one on
 * the real engine (the release e2e runs through `auto`, which picks inline for its project).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isOwnProgram, programFor } from "../../../release/driver/program";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

describe("release/driver/program", () => {
    let dir: string;
    const project = (main: string | undefined): string => {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: mesh-traffic\nruntime: nodejs\n${main === undefined ? "" : `main: ${main}\n`}`);
        return dir;
    };

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-program-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const table: [string, string | undefined, boolean][] = [
        ["this package's index.ts, absolute", path.join(REPO_ROOT, "index.ts"), true],
        ["this package's compiled dist/index.js", path.join(REPO_ROOT, "dist", "index.js"), true],
        ["another program", path.join(REPO_ROOT, "bench", "scale.ts"), false],
        ["a relative index.ts of another project", "index.ts", false],
        ["no main", undefined, false],
    ];
    for (const [name, main, own] of table) {
        it(`${name}: own program ${String(own)}, auto -> ${own ? "inline" : "local"}`, () => {
            project(main);
            expect(isOwnProgram(dir)).to.equal(own);
            expect(programFor("auto", dir).kind).to.equal(own ? "inline" : "local");
        });
    }

    it("the repository itself (Pulumi.yaml main: index.ts) is this package's program", () => {
        expect(isOwnProgram(REPO_ROOT)).to.equal(true);
    });

    it("no Pulumi.yaml: not ours; local and inline are taken as asked", () => {
        expect(isOwnProgram(dir)).to.equal(false);
        expect(programFor("local", REPO_ROOT).kind).to.equal("local");
        expect(programFor("inline", dir).kind).to.equal("inline");
    });
});
