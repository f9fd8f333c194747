#!/usr/bin/env node
/**
 * The `mesh-release` command (package.json `bin`). In a source checkout (bin/mesh-release.ts is here) it
 * runs the TypeScript source through ts-node, so `npx mesh-release` works right after `npm ci` with no
 * build step and never runs a stale build; an installed package without the sources runs the compiled
 * dist/bin/mesh-release.js (`npm run build`).
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const source = path.join(root, "bin", "mesh-release.ts");
if (fs.existsSync(source)) {
    require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    require(source);
} else {
    require(path.join(root, "dist", "bin", "mesh-release.js"));
}
