/** The importer tests' one runner: `runImport` on files written into a fresh temp dir. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runImport, type ImportRequest } from "../../../importer/command";

export interface ImportRun {
    code: number;
    stdout: string;
    stderr: string;
    dir: string;
}

/** Writes `files` into a fresh temp dir and runs the import on them there (file names as given, relative). */
export async function importFiles(files: Record<string, string>, req: Partial<ImportRequest> = {}, stdin?: string, setUp?: (dir: string) => void): Promise<ImportRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-import-"));
    for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, name), text);
    }
    setUp?.(dir);
    let stdout = "";
    let stderr = "";
    const code = await runImport(
        { files: Object.keys(files).filter((f) => !f.startsWith("Pulumi.")), cwd: dir, workDir: dir, skipUnsupported: false, replace: false, ...req },
        { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), ...(stdin !== undefined ? { readStdin: () => Promise.resolve(stdin) } : {}) },
    );
    return { code, stdout, stderr, dir };
}
