package main

import (
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vicionboard/vicionboard/report"
)

func (a *app) reasonsCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "reasons [CODE...]",
		Short: "Explain the reason codes of result_reason, and what to do about each",
		Long: `Print the table of reason codes: what each code in the result file's result_reason means,
and what to do about it (what to change in the file, or what to ask IT to set up on the server).
Name codes to print only those.`,
		Example: `  vicionboard reasons
  vicionboard reasons GROUP_NOT_FOUND USER_EXISTS
  vicionboard reasons --format markdown`,
		RunE: func(cmd *cobra.Command, args []string) error {
			rs := report.Reasons()
			if len(args) > 0 {
				rs = rs[:0]
				for _, code := range args {
					r, ok := report.ReasonFor(strings.ToUpper(strings.Trim(code, "()")))
					if !ok {
						return usagef("reasons: no reason code %q (vicionboard reasons lists them all)", code)
					}
					rs = append(rs, r)
				}
			}
			switch format {
			case "table":
				return report.WriteReasonsTable(a.stdout, rs, a.stdoutWidth())
			case "markdown":
				return report.WriteReasonsMarkdown(a.stdout, rs)
			default:
				return usagef("--format %q: use table or markdown", format)
			}
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table (for a terminal) or markdown")
	return cmd
}

// stdoutWidth is the terminal's width, or 100 when stdout is not one.
func (a *app) stdoutWidth() int {
	if f, ok := a.stdout.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return min(w, 120)
		}
	}
	return 100
}
