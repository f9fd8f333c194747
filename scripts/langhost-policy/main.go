// Command pulumi-language-nodejs is mesh-traffic's front for the tool chain's Node language host: it runs Node
// policy packs (`pulumi up --policy-pack DIR`) and Node component providers (a directory with PulumiPlugin.yaml,
// `runtime: nodejs`: mesh-traffic's provider/, through `pulumi package add`) for the pinned CLI, and hands every
// other call to the tool chain's own host unchanged.
//
// Why: the pinned CLI (v3.260.0) starts a policy pack whose PulumiPolicy.yaml says `runtime: nodejs` through the
// nodejs language host's RunPlugin (pkg/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer: the
// `pulumi-analyzer-policy` shim of older distributions is looked for only when no nodejs language host exists at
// all). The tool chain's host is built from sdk/v3 v3.68.0 (the newer module is not served by the proxy this
// project reaches), whose RunPlugin answers "not supported". This front serves RunPlugin for analyzers as the
// upstream host does today (sdk/nodejs/cmd/pulumi-language-nodejs RunPlugin: `node
// @pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` in the pack dir, behind sdk.PolicyProxy, which passes
// the stack's config and name to the pack as PULUMI_CONFIG, PULUMI_NODEJS_STACK, ...), and forwards every other
// LanguageRuntime call, byte for byte, to the next pulumi-language-nodejs on PATH (the tool chain's).
//
// A component provider is run as the upstream host runs a Node resource plugin: `node <the plugin's
// @pulumi/pulumi>/cmd/run-plugin <plugin dir> <args>`, in the plugin's directory (run-plugin compiles TypeScript with
// the tsconfig.json of its working directory). Installing a plugin's
// dependencies (`pulumi package add DIR` asks first) is nothing to do when they already resolve from its directory
// (provider/ inside an installed checkout resolves the checkout's node_modules); otherwise the real host installs
// them. Without that, the v3.68.0 host runs `npm install` in provider/ and fails ("node_modules directory is
// missing": provider/package.json lists no dependencies of its own).
//
// Built by scripts/toolchain.sh (tool `langhost-policy`, its own cache key); docs/toolchain.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

const hostName = "pulumi-language-nodejs"

// maxMessage is the message size limit Pulumi's own servers and clients use (sdk rpcutil, 400 MiB).
const maxMessage = 400 * 1024 * 1024

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mesh-traffic langhost-policy: "+format+"\n", args...)
	os.Exit(1)
}

// nextHost is the first pulumi-language-nodejs on PATH that is not this executable.
func nextHost() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if s, err := filepath.EvalSymlinks(self); err == nil {
		self = s
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		candidate := filepath.Join(dir, hostName)
		resolved, err := filepath.EvalSymlinks(candidate)
		if err != nil || resolved == self {
			continue
		}
		if st, err := os.Stat(resolved); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("no other %s on PATH after %s: put the tool chain's bin dir (bash scripts/toolchain.sh --print-bin) on PATH after this one", hostName, self)
}

// frame is a message forwarded without decoding.
type frame struct{ payload []byte }

// codec passes frames through as bytes and (un)marshals everything else as protobuf (RunPlugin's messages).
type codec struct{}

func (codec) Name() string { return "proto" }

func (codec) Marshal(v any) ([]byte, error) {
	if f, ok := v.(*frame); ok {
		return f.payload, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (codec) Unmarshal(data []byte, v any) error {
	if f, ok := v.(*frame); ok {
		f.payload = append([]byte(nil), data...)
		return nil
	}
	return proto.Unmarshal(data, v.(proto.Message))
}

// forward relays one call of any method to the real host: metadata, every message both ways, header and trailer.
func forward(conn *grpc.ClientConn) grpc.StreamHandler {
	return func(_ any, in grpc.ServerStream) error {
		method, ok := grpc.MethodFromServerStream(in)
		if !ok {
			return errors.New("no method on the stream")
		}
		ctx, cancel := context.WithCancel(in.Context())
		defer cancel()
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			ctx = metadata.NewOutgoingContext(ctx, md.Copy())
		}
		out, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method,
			grpc.ForceCodec(codec{}))
		if err != nil {
			return err
		}
		upDone := make(chan error, 1)
		go func() {
			for {
				f := &frame{}
				if err := in.RecvMsg(f); err != nil {
					if errors.Is(err, io.EOF) {
						upDone <- out.CloseSend()
					} else {
						upDone <- err
					}
					return
				}
				if err := out.SendMsg(f); err != nil {
					upDone <- err
					return
				}
			}
		}()
		headerSent := false
		for {
			f := &frame{}
			err := out.RecvMsg(f)
			if !headerSent {
				if md, herr := out.Header(); herr == nil {
					_ = in.SendHeader(md)
				}
				headerSent = true
			}
			if err != nil {
				in.SetTrailer(out.Trailer())
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := in.SendMsg(f); err != nil {
				return err
			}
		}
	}
}

// front serves RunPlugin and InstallDependencies; grpc hands every other method to forward (UnknownServiceHandler).
type front struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	// conn reaches the real host, for what the front does not do itself.
	conn *grpc.ClientConn
}

// resolveFrom is the file Node's require.resolve finds for module from dir, or an error.
func resolveFrom(ctx context.Context, dir, module string) (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("node not found on PATH: %w", err)
	}
	resolve := exec.CommandContext(ctx, node, "-e", "process.stdout.write(require.resolve(process.argv[1]))", module)
	resolve.Dir = dir
	out, err := resolve.Output()
	if err != nil {
		return "", err
	}
	return string(out), nil
}

// InstallDependencies: a plugin whose SDK already resolves from its directory needs nothing installed; every other
// request goes to the real host.
func (f front) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetDirectory()
	}
	if req.GetIsPlugin() && dir != "" {
		if sdkPath, err := resolveFrom(server.Context(), dir, "@pulumi/pulumi/provider/experimental"); err == nil {
			msg := fmt.Sprintf("mesh-traffic langhost-policy: the plugin's dependencies resolve from %s (%s); nothing to install\n",
				dir, sdkPath)
			return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
		}
	}
	stream, err := pulumirpc.NewLanguageRuntimeClient(f.conn).InstallDependencies(server.Context(), req)
	if err != nil {
		return err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := server.Send(msg); err != nil {
			return err
		}
	}
}

// pluginRun is what running a Node plugin starts from: its directory, node, the SDK module it runs through
// (resolved from the plugin's directory as Node resolves it: the plugin's own @pulumi/pulumi), and the streams back.
type pluginRun struct {
	dir, node, module string
	closer            io.Closer
	stdout, stderr    io.Writer
}

// openPluginRun checks the request and finds node and module for a plugin (what names it in errors).
func openPluginRun(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer, what, module string,
) (*pluginRun, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		return nil, fmt.Errorf("RunPlugin: no program directory for the %s", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node not found on PATH: %w", err)
	}
	resolved, err := resolveFrom(server.Context(), dir, module)
	if err != nil {
		return nil, fmt.Errorf("it looks like the %s's dependencies are not installed: "+
			"%s is not found from %s (npm ci there, or in a parent folder): %w", what, module, dir, err)
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return nil, err
	}
	return &pluginRun{dir: dir, node: node, module: resolved, closer: closer, stdout: stdout, stderr: stderr}, nil
}

// RunPlugin runs a Node policy pack or a Node resource plugin (a component provider) as the upstream nodejs host
// does (sdk/nodejs/cmd/pulumi-language-nodejs).
func (f front) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	switch req.GetKind() {
	case string(apitype.AnalyzerPlugin):
	case string(apitype.ResourcePlugin):
		return runResourcePlugin(req, server)
	default:
		return fmt.Errorf("mesh-traffic langhost-policy runs policy packs and resource plugins only, not kind %q", req.GetKind())
	}
	p, err := openPluginRun(req, server, "policy pack", "@pulumi/pulumi/cmd/run-policy-pack")
	if err != nil {
		return err
	}
	defer p.closer.Close()
	ctx, dir, node, closer, stdout, stderr := server.Context(), p.dir, p.node, p.closer, p.stdout, p.stderr
	resolved := p.module
	args := []string{filepath.Dir(resolved)}
	args = append(args, req.GetArgs()...)
	args = append(args, dir)

	env := req.GetEnv()
	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	config, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}
	if config != nil {
		add := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		add("PULUMI_NODEJS_ORGANIZATION", config.GetOrganization())
		add("PULUMI_NODEJS_PROJECT", config.GetProject())
		add("PULUMI_NODEJS_STACK", config.GetStack())
		add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(config.GetDryRun()))
		if config.GetConfig() != nil {
			js, err := json.Marshal(config.GetConfig())
			if err != nil {
				return fmt.Errorf("could not marshal stack configuration: %w", err)
			}
			add("PULUMI_CONFIG", string(js))
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir // policy packs run in their own directory, as they always have
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run node for the policy pack: %w", err)
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("policy pack exited with code %d", exitErr.ExitCode())
		}
		return err
	}
	return closer.Close()
}

// runResourcePlugin runs a Node resource plugin (a component provider): `node <its @pulumi/pulumi>/cmd/run-plugin
// <plugin dir> <args>` in the plugin's directory, with the environment the engine gives it; the plugin prints its
// port on stdout, which goes back to the engine.
func runResourcePlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	p, err := openPluginRun(req, server, "plugin", "@pulumi/pulumi/cmd/run-plugin")
	if err != nil {
		return err
	}
	defer p.closer.Close()
	ctx, dir, node, closer, stdout, stderr, runPlugin := server.Context(), p.dir, p.node, p.closer, p.stdout, p.stderr, p.module
	args := append([]string{filepath.Dir(runPlugin), dir}, req.GetArgs()...)
	cmd := exec.CommandContext(ctx, node, args...)
	// In its own directory: run-plugin compiles TypeScript with the tsconfig.json of its working directory.
	cmd.Dir = dir
	cmd.Env = req.GetEnv()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("resource plugin %s exited with code %d", dir, exitErr.ExitCode())
		}
		return fmt.Errorf("could not run node for the resource plugin %s: %w", dir, err)
	}
	return closer.Close()
}

func main() {
	realHost, err := nextHost()
	if err != nil {
		fail("%v", err)
	}
	child := exec.Command(realHost, os.Args[1:]...)
	child.Stderr = os.Stderr
	child.Stdin = os.Stdin
	childOut, err := child.StdoutPipe()
	if err != nil {
		fail("%v", err)
	}
	if err := child.Start(); err != nil {
		fail("could not start %s: %v", realHost, err)
	}
	reader := bufio.NewReader(childOut)
	line, err := reader.ReadString('\n')
	if err != nil {
		_ = child.Process.Kill()
		fail("%s printed no port: %v", realHost, err)
	}
	port := strings.TrimSpace(line)

	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage),
			grpc.MaxCallSendMsgSize(maxMessage)))
	if err != nil {
		_ = child.Process.Kill()
		fail("dial %s: %v", realHost, err)
	}
	served := grpc.ServiceDesc{
		ServiceName: pulumirpc.LanguageRuntime_ServiceDesc.ServiceName,
		HandlerType: pulumirpc.LanguageRuntime_ServiceDesc.HandlerType,
		Metadata:    pulumirpc.LanguageRuntime_ServiceDesc.Metadata,
	}
	for _, s := range pulumirpc.LanguageRuntime_ServiceDesc.Streams {
		if s.StreamName == "RunPlugin" || s.StreamName == "InstallDependencies" {
			served.Streams = append(served.Streams, s)
		}
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(codec{}), grpc.UnknownServiceHandler(forward(conn)),
		grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))
	srv.RegisterService(&served, front{conn: conn})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = child.Process.Kill()
		fail("listen: %v", err)
	}
	go func() { _ = srv.Serve(lis) }()
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	// The real host's further stdout is ours.
	go func() { _, _ = io.Copy(os.Stdout, reader) }()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	select {
	case sig := <-signals:
		_ = child.Process.Signal(sig)
		<-exited
		srv.Stop()
		os.Exit(0)
	case err := <-exited:
		srv.Stop()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			os.Exit(exitErr.ExitCode())
		}
		os.Exit(0)
	}
}
