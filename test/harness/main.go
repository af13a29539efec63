// Command palisade-harness runs a real etcd (embedded, go.etcd.io/etcd/server/v3/embed) and the
// upstream kube-apiserver command in one process, for Palisade's integration tests.
//
// Usage:
//
//	palisade-harness [harness flags] -- [kube-apiserver flags]
//	palisade-harness version
//
// Harness flags:
//
//	--etcd-dir DIR          data directory of the embedded etcd (required)
//	--etcd-client-port N    loopback port etcd serves clients on (required)
//	--etcd-peer-port N      loopback port etcd listens for peers on (required)
//	--exit-on-stdin-eof     exit when standard input is closed (the parent went away)
//
// --etcd-servers is added to the kube-apiserver flags automatically.
package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"time"
	_ "time/tzdata" // CronJob time zones, as upstream's main does

	"go.etcd.io/etcd/server/v3/embed"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "palisade-harness: "+format+"\n", args...)
	os.Exit(2)
}

func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			return dep.Version
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Printf("kubernetes=%s etcd=%s\n", moduleVersion("k8s.io/kubernetes"), moduleVersion("go.etcd.io/etcd/server/v3"))
		return
	}

	var etcdDir string
	var clientPort, peerPort int
	exitOnEOF := false
	args := os.Args[1:]
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		next := func() string {
			if i+1 >= len(args) {
				fail("%s needs a value", a)
			}
			i++
			return args[i]
		}
		port := func() int {
			v := next()
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > 65535 {
				fail("%s: not a port: %q", a, v)
			}
			return n
		}
		switch a {
		case "--etcd-dir":
			etcdDir = next()
		case "--etcd-client-port":
			clientPort = port()
		case "--etcd-peer-port":
			peerPort = port()
		case "--exit-on-stdin-eof":
			exitOnEOF = true
		default:
			fail("unknown harness flag %q (kube-apiserver flags go after --)", a)
		}
	}
	apiserverArgs := args[i:]
	if etcdDir == "" || clientPort == 0 || peerPort == 0 {
		fail("--etcd-dir, --etcd-client-port and --etcd-peer-port are required")
	}

	if exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			fmt.Fprintln(os.Stderr, "palisade-harness: standard input closed, exiting")
			os.Exit(3)
		}()
	}

	clientURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", clientPort)}
	peerURL := url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", peerPort)}
	cfg := embed.NewConfig()
	cfg.Name = "harness"
	cfg.Dir = etcdDir
	cfg.ListenClientUrls = []url.URL{clientURL}
	cfg.AdvertiseClientUrls = []url.URL{clientURL}
	cfg.ListenPeerUrls = []url.URL{peerURL}
	cfg.AdvertisePeerUrls = []url.URL{peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = "error"
	// A throw-away test store: durability across power loss is not needed.
	cfg.UnsafeNoFsync = true
	etcd, err := embed.StartEtcd(cfg)
	if err != nil {
		fail("starting etcd: %v", err)
	}
	select {
	case <-etcd.Server.ReadyNotify():
	case err := <-etcd.Err():
		fail("etcd failed: %v", err)
	case <-time.After(60 * time.Second):
		fail("etcd was not ready within 60s")
	}
	go func() {
		if err := <-etcd.Err(); err != nil {
			fmt.Fprintf(os.Stderr, "palisade-harness: etcd failed: %v\n", err)
			os.Exit(4)
		}
	}()

	command := app.NewAPIServerCommand()
	command.SetArgs(append([]string{"--etcd-servers=" + clientURL.String()}, apiserverArgs...))
	code := cli.Run(command)
	etcd.Close()
	os.Exit(code)
}
