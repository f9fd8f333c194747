// Command mesh-sdkgen writes a Pulumi package's SDK for Python, Go or C# from its schema, with the code generators
// of github.com/pulumi/pulumi/pkg/v3/codegen at the version pulumi-yaml requires.
//
// Why: `pulumi package gen-sdk --language python|go|dotnet` asks that language's host (pulumi-language-python, -go,
// -dotnet) to generate the SDK, and the module proxy this project reaches serves none of them. The generators those
// hosts call are in the pkg module, which the YAML host's build already has: this command calls them directly.
//
//	mesh-sdkgen <schema.json> <python|go|dotnet> <out dir>
//
// Built by scripts/toolchain.sh beside pulumi-language-yaml (tool `langhost-yaml`); docs/toolchain.md.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "mesh-sdkgen"

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, tool+": "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: %s <schema.json> <python|go|dotnet> <out dir>", tool)
	}
	schemaFile, language, out := os.Args[1], os.Args[2], os.Args[3]
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		fail("reading the schema: %v", err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		fail("%s is not a package schema: %v", schemaFile, err)
	}
	if language == "dotnet" && spec.LogoURL == "" {
		// The C# generator downloads the package's logo, by default from raw.githubusercontent.com, which this
		// machine cannot reach: a package without a logo gets a 1x1 PNG from a loopback server instead.
		png, _ := base64.StdEncoding.DecodeString(
			"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
		logo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(png) }))
		defer logo.Close()
		spec.LogoURL = logo.URL + "/logo.png"
	}
	pkg, err := schema.ImportSpec(spec, nil, schema.ValidationOptions{})
	if err != nil {
		fail("binding the schema: %v", err)
	}
	var files map[string][]byte
	switch language {
	case "python":
		files, err = python.GeneratePackage(tool, pkg, nil, nil)
	case "go":
		files, err = gogen.GeneratePackage(tool, pkg, nil)
	case "dotnet":
		files, err = dotnet.GeneratePackage(tool, pkg, nil, nil)
	default:
		fail("unknown language %q: python, go or dotnet", language)
	}
	if err != nil {
		fail("generating the %s SDK: %v", language, err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fail("%v", err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fail("%v", err)
		}
		fmt.Println(name)
	}
}
