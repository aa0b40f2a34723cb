package main

import "runtime/debug"

// toolVersion is the version recorded with every run in the ledger: the
// module's version, or "devel" for a build from a checkout.
func toolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
