// Command pulumi-language-yaml is the Pulumi YAML language host of github.com/pulumi/pulumi-yaml (its
// pkg/server), served with one call added: Link.
//
// Why: `pulumi package add DIR` in a YAML project (the pinned CLI, v3.260.0) generates the package's schema, asks the
// project's language host to Link it, then writes `packages:` into Pulumi.yaml. The newest pulumi-yaml the module
// proxy this project reaches serves, v1.25.0, predates Link ("linking package: method Link not implemented", tried
// with the built CLI), so the package is never added. A YAML program needs no SDK (its `packages:` entry is all), so
// Link has nothing to do: it answers with no import instructions. Every other call is pulumi-yaml's own.
//
// Built by scripts/toolchain.sh (tool `langhost-yaml`, its own cache key); docs/toolchain.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pulumi/pulumi-yaml/pkg/server"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// host is pulumi-yaml's language host with Link.
type host struct {
	pulumirpc.LanguageRuntimeServer
}

// Link: a YAML program uses a package through Pulumi.yaml's `packages:`, which the CLI writes; nothing to link.
func (host) Link(context.Context, *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	return &pulumirpc.LinkResponse{}, nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mesh-traffic pulumi-language-yaml: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	// The CLI starts a language host as `pulumi-language-yaml [flags] <engine address>`; the flags pulumi-yaml
	// takes (-tracing, -root, -compiler) are accepted and unused here.
	var engine string
	for i := 1; i < len(os.Args); i++ {
		a := os.Args[i]
		if len(a) > 1 && a[0] == '-' {
			if a == "-tracing" || a == "--tracing" || a == "-root" || a == "--root" || a == "-compiler" || a == "--compiler" {
				i++ // the flag's value
			}
			continue
		}
		engine = a
		break
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	if engine != "" {
		// Stop when the engine goes away, as pulumi-yaml's own main does.
		go func() { _ = rpcutil.Healthcheck(ctx, engine, 5*time.Minute, cancel) }()
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host{server.NewLanguageHost(engine, "", false)})
			return nil
		},
	})
	if err != nil {
		fail("could not start the language host's RPC server: %v", err)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail("the language host's RPC server stopped: %v", err)
	}
}
