// Creates a blob container on Azurite (or any Azure Blob endpoint) with Shared Key auth, which Pulumi's
// azblob:// backend needs to exist (gocloud's azureblob driver never creates one). Used by
// scripts/local-cluster.sh start-azurite. Exit 0 when the container exists afterwards.
//
//   node scripts/azurite-container.js <account endpoint, e.g. http://127.0.0.1:10000/meshstate> <container>
//   (AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY from the environment; the key is never printed)
"use strict";
const crypto = require("node:crypto");
const http = require("node:http");

const [endpoint, container] = process.argv.slice(2);
const account = process.env.AZURE_STORAGE_ACCOUNT ?? "";
const key = process.env.AZURE_STORAGE_KEY ?? "";
if (endpoint === undefined || container === undefined || account === "" || key === "") {
    process.stderr.write("usage: AZURE_STORAGE_ACCOUNT=... AZURE_STORAGE_KEY=... node scripts/azurite-container.js <endpoint> <container>\n");
    process.exit(2);
}
const url = new URL(`${endpoint.replace(/\/$/, "")}/${container}?restype=container`);
const headers = { "x-ms-date": new Date().toUTCString(), "x-ms-version": "2021-10-04" };
// Shared Key string to sign (Blob service, version 2015-02-21 and later): 12 standard headers, then the
// x-ms-* headers, then /<account><path> and the query parameters.
const canonicalHeaders = Object.keys(headers)
    .sort()
    .map((h) => `${h}:${headers[h]}\n`)
    .join("");
const toSign = `PUT${"\n".repeat(12)}${canonicalHeaders}/${account}${url.pathname}\nrestype:container`;
const signature = crypto.createHmac("sha256", Buffer.from(key, "base64")).update(toSign, "utf8").digest("base64");
const req = http.request(url, { method: "PUT", headers: { ...headers, "Content-Length": "0", Authorization: `SharedKey ${account}:${signature}` } }, (res) => {
    let body = "";
    res.on("data", (c) => (body += c));
    res.on("end", () => {
        if (res.statusCode === 201 || res.statusCode === 409) {
            process.stderr.write(`container ${container}: ${res.statusCode === 201 ? "created" : "exists"}\n`);
            return;
        }
        process.stderr.write(`container ${container}: HTTP ${res.statusCode}: ${body.slice(0, 300)}\n`);
        process.exit(1);
    });
});
req.on("error", (err) => {
    process.stderr.write(`container ${container}: ${err.message}\n`);
    process.exit(1);
});
req.end();
