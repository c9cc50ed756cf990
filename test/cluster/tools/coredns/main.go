// Command coredns is upstream CoreDNS (github.com/coredns/coredns) linked with
// only the plugins the test cluster's Corefile uses. The stock binary links
// every plugin, including several cloud SDKs, which costs minutes of compile
// time on a 2-core machine for code the cluster never runs.
package main

import (
	"github.com/coredns/coredns/coremain"

	// Plugins used by test/cluster/up.sh's Corefile.
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/whoami"
)

func main() {
	coremain.Run()
}
