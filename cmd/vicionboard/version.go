package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version is the release this binary was built as, when the build says so:
// go build -ldflags "-X main.version=v1.2.0" (make build and make install
// pass git describe's). Otherwise the module version that go install
// recorded is used, or "devel".
var version = ""

// buildInfo is what a binary knows of how it was built.
type buildInfo struct {
	Version   string // the release, or "devel"
	Revision  string // the VCS revision, "" when the build did not record it (-buildvcs=false)
	Time      string // the revision's commit time
	Modified  bool   // the work tree had uncommitted changes
	GoVersion string
}

// readBuildInfo reads the version set at link time and what the Go
// toolchain recorded in the binary.
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		b.GoVersion = info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Revision = s.Value
			case "vcs.time":
				b.Time = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "devel"
	}
	return b
}

// versionString is the one-line version: "v1.2.0 (3f2a9c1, 2026-11-25T10:00:00Z)".
func versionString() string {
	b := readBuildInfo()
	var extra []string
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if b.Modified {
			rev += "+modified"
		}
		extra = append(extra, rev)
	}
	if b.Time != "" {
		extra = append(extra, b.Time)
	}
	if len(extra) == 0 {
		return b.Version
	}
	return b.Version + " (" + strings.Join(extra, ", ") + ")"
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the source revision and the Go version of this binary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := readBuildInfo()
			fmt.Fprintf(a.stdout, "vicionboard %s\n", b.Version)
			switch {
			case b.Revision != "":
				mod := ""
				if b.Modified {
					mod = " (with uncommitted changes)"
				}
				fmt.Fprintf(a.stdout, "revision: %s%s\n", b.Revision, mod)
				if b.Time != "" {
					fmt.Fprintf(a.stdout, "commit time: %s\n", b.Time)
				}
			default:
				fmt.Fprintln(a.stdout, "revision: unknown (built without VCS information, e.g. with -buildvcs=false)")
			}
			if b.GoVersion != "" {
				fmt.Fprintf(a.stdout, "go: %s\n", b.GoVersion)
			}
			return nil
		},
	}
}
