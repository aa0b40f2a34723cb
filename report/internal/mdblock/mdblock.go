// Package mdblock finds and replaces a generated block of a Markdown file:
// the lines between <!-- NAME:begin --> and <!-- NAME:end -->.
package mdblock

import (
	"bytes"
	"fmt"
)

func markers(name string) (begin, end []byte) {
	return []byte("<!-- " + name + ":begin -->\n"), []byte("<!-- " + name + ":end -->")
}

// Extract returns the block named name of doc, without its markers.
func Extract(doc []byte, name string) ([]byte, error) {
	begin, end := markers(name)
	i := bytes.Index(doc, begin)
	if i < 0 {
		return nil, fmt.Errorf("no %q marker", bytes.TrimSpace(begin))
	}
	rest := doc[i+len(begin):]
	j := bytes.Index(rest, end)
	if j < 0 {
		return nil, fmt.Errorf("no %q marker after %q", end, bytes.TrimSpace(begin))
	}
	return rest[:j], nil
}

// Replace returns doc with the block named name replaced by content.
func Replace(doc []byte, name string, content []byte) ([]byte, error) {
	old, err := Extract(doc, name)
	if err != nil {
		return nil, err
	}
	begin, _ := markers(name)
	start := bytes.Index(doc, begin) + len(begin)
	var out bytes.Buffer
	out.Write(doc[:start])
	out.Write(content)
	out.Write(doc[start+len(old):])
	return out.Bytes(), nil
}
