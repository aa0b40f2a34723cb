// Package samples holds the sample inputs of the README and of
// vicionboard demo, embedded in the binary so that an installed demo needs
// no checkout: new_hires.csv (a file of VICIdial's own columns, with rows
// of every kind), and hr_export.csv with its mapping hr_mapping.yaml (an
// HR system's export).
package samples

import "embed"

// Files holds new_hires.csv, hr_export.csv and hr_mapping.yaml.
//
//go:embed new_hires.csv hr_export.csv hr_mapping.yaml
var Files embed.FS

// The samples' names in Files.
const (
	NewHires  = "new_hires.csv"
	HRExport  = "hr_export.csv"
	HRMapping = "hr_mapping.yaml"
)
