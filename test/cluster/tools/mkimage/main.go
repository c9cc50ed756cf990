// Command mkimage writes a single-platform (linux/amd64) image as a
// docker-archive tarball ("docker save" format) that `ctr images import`
// accepts. Each -layer is an uncompressed tar of a filesystem tree made with
// GNU tar; mkimage only gzips the layers, computes digests and writes the
// image config and manifest. No daemon and no registry are involved.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func main() {
	var layers, env multi
	var tag, out, entrypoint, cmd, user, workdir string
	flag.Var(&layers, "layer", "uncompressed layer tar (repeatable, bottom first)")
	flag.Var(&env, "env", "KEY=VALUE for the image config (repeatable)")
	flag.StringVar(&tag, "tag", "", "image reference, e.g. docker.io/kubectl-zk/zookeeper:3.8.0-debian")
	flag.StringVar(&out, "o", "", "output docker-archive tarball")
	flag.StringVar(&entrypoint, "entrypoint", "", "JSON array")
	flag.StringVar(&cmd, "cmd", "", "JSON array")
	flag.StringVar(&user, "user", "", "user[:group]")
	flag.StringVar(&workdir, "workdir", "", "working directory")
	flag.Parse()
	if tag == "" || out == "" || len(layers) == 0 {
		fmt.Fprintln(os.Stderr, "usage: mkimage -tag REF -o OUT.tar -layer L.tar [-layer ...] [-env K=V] [-entrypoint JSON] [-cmd JSON] [-user U] [-workdir D]")
		os.Exit(2)
	}
	if err := run(layers, env, tag, out, entrypoint, cmd, user, workdir); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(layers, env []string, tag, out, entrypoint, cmd, user, workdir string) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	img := empty.Image
	for _, p := range layers {
		l, err := tarball.LayerFromFile(p)
		if err != nil {
			return fmt.Errorf("layer %s: %w", p, err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return err
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	cf.Config.User, cf.Config.WorkingDir = user, workdir
	if entrypoint != "" {
		if err := json.Unmarshal([]byte(entrypoint), &cf.Config.Entrypoint); err != nil {
			return fmt.Errorf("-entrypoint: %w", err)
		}
	}
	if cmd != "" {
		if err := json.Unmarshal([]byte(cmd), &cf.Config.Cmd); err != nil {
			return fmt.Errorf("-cmd: %w", err)
		}
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
