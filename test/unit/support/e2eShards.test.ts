/**
 * scripts/e2e-tools.sh `e2e_shard_files`, which splits the e2e files over `MESH_E2E_SHARDS` shards: every file in
 * exactly one shard, the shards' measured seconds balanced, and the files waiting for a background build last.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../../..");

function shard(i: number, n: number, files: readonly string[]): string[] {
    const r = spawnSync("bash", ["-c", `. scripts/e2e-tools.sh && e2e_shard_files ${i} ${n} "$@"`, "e2e_shard_files", ...files], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout.split("\n").filter((l) => l !== "");
}

function e2eFiles(dir = path.join(ROOT, "test", "e2e")): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((d) => (d.isDirectory() ? e2eFiles(path.join(dir, d.name)) : d.name.endsWith(".test.ts") ? [path.relative(ROOT, path.join(dir, d.name))] : []))
        .sort();
}

/** The seconds scripts/e2e-tools.sh gives each file (120 for one not listed). */
function seconds(): Map<string, number> {
    const text = fs.readFileSync(path.join(ROOT, "scripts", "e2e-tools.sh"), "utf8");
    return new Map([...text.matchAll(/^ {2}"(test\/e2e\/\S+\.test\.ts) (\d+)"$/gm)].map((m) => [m[1] ?? "", Number(m[2])]));
}

describe("e2e shards (scripts/e2e-tools.sh e2e_shard_files)", () => {
    const files = e2eFiles();

    it("every e2e file has its measured seconds, and every listed file exists", () => {
        expect([...seconds().keys()].sort()).to.deep.equal(files);
    });

    for (const n of [1, 2, 3]) {
        it(`${n} shard(s): every file in exactly one, the largest shard within the longest file of the smallest`, () => {
            const shards = Array.from({ length: n }, (_, i) => shard(i + 1, n, files));
            expect(shards.flat().sort()).to.deep.equal(files);
            const s = seconds();
            const loads = shards.map((f) => f.reduce((a, x) => a + (s.get(x) ?? 120), 0));
            const longest = Math.max(...files.map((f) => s.get(f) ?? 120));
            expect(Math.max(...loads) - Math.min(...loads), JSON.stringify(loads)).to.be.at.most(longest);
        });
    }

    it("in each shard the files waiting for a background build (istiod, the YAML host) come last", () => {
        for (const i of [1, 2]) {
            const order = shard(i, 2, files);
            const late = order.map((f) => /^test\/e2e\/(istiod\/|release\/(handEdit|readme|release)\.|stack\/(dev|layouts)\.|package\/yaml\.)/.test(f));
            expect(late, order.join("\n")).to.deep.equal([...late].sort((a, b) => Number(a) - Number(b)));
        }
    });
});
