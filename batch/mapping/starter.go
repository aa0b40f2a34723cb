package mapping

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// FieldDoc documents one field in a starter mapping.
type FieldDoc struct {
	Name string // the field, e.g. agent_user
	Rule string // what the field takes, written as its comment
}

// StarterHeader is the HR export WriteStarter's mapping is written for.
var StarterHeader = []string{"Employee ID", "First Name", "Last Name", "Preferred Name", "Work Email",
	"Department", "Job Title", "Manager", "Hire Date", "Location", "Phone Extension"}

// starterValues are the starter's values of the fields it sets, for an HR
// export with the StarterHeader columns.
var starterValues = map[string]string{
	"agent_full_name":  `"{Preferred Name|First Name} {Last Name}"`,
	"agent_user":       `{generate: "{f}{last}"}`,
	"agent_pass":       `{generate: password}`,
	"agent_user_level": `{from: Job Title, map: {"Team Lead": ""}, default: 1}`, // a copy takes its template's level
	"agent_user_group": `{from: Department, map: {Sales: SALES, "Customer Care": SUPPORT}, default: AGENTS}`,
	"template":         `{from: Job Title, map: {"Team Lead": tmplsup}, default: ""}`,
	"email":            `Work Email`,
	"phone_login":      `Phone Extension`,
	"custom_one":       `{value: "Hired {Hire Date}"}`,
	"custom_two":       `Manager`,
	"custom_three":     `Location`,
}

// starterExamples are the values the starter shows, commented out, for
// fields it leaves unset (an export's columns it cannot know).
var starterExamples = map[string]string{
	"server":          `{from: Location, map: {Leeds: leeds, York: york}}`,
	"phone_extension": `{from: Location, map: {Remote: new}, default: ""}`,
}

// starterIntro opens the starter mapping.
const starterIntro = `# vicionboard mapping: how the columns of an HR export become VICIdial fields
# (vicionboard run --map THIS-FILE EXPORT.csv). Written for an export with the columns
%s
# change the column names to yours. One line per field; a field the mapping does not set is taken
# from the export's column of the same name, if it has one. A value is:
#   Work Email                          the column "Work Email" (names match ignoring case)
#   "{Preferred Name|First Name} {Last Name}"
#                                       a template: {A|B} is the first of A, B that is not empty
#   1, or {value: AGENTS}               a constant ({value: "Hired {Hire Date}"}: a template)
#   {from: Department, map: {Sales: SALES}, default: AGENTS}
#                                       a value map: HR's value (ignoring case) -> VICIdial's; an
#                                       unmapped value gives the default, or without one makes the
#                                       row INVALID
#   {generate: "{f}{last}"}             agent_user only: a login from the name parts {first}, {last},
#                                       {f} and {l} (first letters); only letters, digits, - and _
#                                       around them. {from: Login, generate: ...} uses the column
#                                       Login when it is not empty
#   {generate: password}                agent_pass only: a generated password

# The column that identifies a person across exports (as --key).
key: Employee ID
# The name parts a generated login is made of (default: the first and last word of agent_full_name).
first_name: "{Preferred Name|First Name}"
last_name: Last Name
`

// WriteStarter writes a starter mapping for an HR export with the
// StarterHeader columns: every field of docs, in order, with its rule as a
// comment, set where the export has a column for it and commented out
// otherwise. Parse accepts it given the docs' names as fields.
func WriteStarter(w io.Writer, docs []FieldDoc) error {
	bw := bufio.NewWriter(w)
	var cols strings.Builder
	for _, line := range wrap(strings.Join(StarterHeader, ", ")+";", 94) {
		cols.WriteString("#   " + line + "\n")
	}
	fmt.Fprintf(bw, starterIntro, strings.TrimSuffix(cols.String(), "\n"))
	for _, d := range docs {
		name := normaliseField(d.Name)
		if name == "" || name == KeyField || name == FirstNameField || name == LastNameField {
			continue
		}
		bw.WriteString("\n")
		for _, line := range wrap(d.Rule, 96) {
			fmt.Fprintf(bw, "# %s\n", line)
		}
		if v, ok := starterValues[name]; ok {
			fmt.Fprintf(bw, "%s: %s\n", name, v)
		} else if v, ok := starterExamples[name]; ok {
			fmt.Fprintf(bw, "#%s: %s\n", name, v)
		} else {
			fmt.Fprintf(bw, "#%s: HR Column Name\n", name)
		}
	}
	return bw.Flush()
}

// wrap cuts text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
