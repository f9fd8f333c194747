// The policy pack's entry (package.json "main"), plain JavaScript on purpose.
//
// `run-policy-pack` (@pulumi/pulumi) registers ts-node with type checking for every .ts file the pack loads: with the
// declarations of @pulumi/policy and @pulumi/pulumi that is many seconds of CPU at every `pulumi up` (BENCHMARKS.md,
// policy pack). The pack's TypeScript is type-checked by `npm run typecheck` (tsconfig.json includes policy/), so
// here it is only transpiled: the .ts loader is replaced by a transpile-only ts-node service, with this folder's
// tsconfig.json, before the pack is loaded. MESH_POLICY_TYPECHECK=1 keeps run-policy-pack's type checking.
"use strict";
if (process.env.MESH_POLICY_TYPECHECK !== "1") {
    const fs = require("node:fs");
    const path = require("node:path");
    const service = require("ts-node").create({ transpileOnly: true, project: path.join(__dirname, "tsconfig.json") });
    require.extensions[".ts"] = (module, filename) => {
        module._compile(service.compile(fs.readFileSync(filename, "utf8"), filename), filename);
    };
}
require("./pack");
