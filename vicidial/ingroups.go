package vicidial

import (
	"bytes"
	"context"
	"regexp"
	"strings"
)

// inGroupLink matches the start of one link of ingroup_list's page,
// "choose_file('GROUP_ID',", and captures the in-group's ID.
var inGroupLink = regexp.MustCompile(`choose_file\(\s*'([^'<>"]*)'\s*,`)

// InGroups lists the server's active in-groups with ingroup_list, sent as
// a POST form like every call. The server answers an HTML page with one
// link per active in-group, such as
//
//	<a href="javascript:choose_file('SALESLINE','')">SALESLINE</a>
//
// InGroups returns the IDs in page order, each once. A page without any
// link is an empty, non-nil list: the server has no active in-group. An
// ERROR line is an *APIError as for every call (ReasonFunctionNotAllowed
// when the API user's allowed functions lack ingroup_list,
// ReasonLoginIncorrect, ...); a body that is neither a page nor an ERROR
// line is a *ResponseError of kind KindUnparseable. The page is never
// logged.
func (c *Client) InGroups(ctx context.Context) ([]string, error) {
	f := c.newForm("ingroup_list")
	body, err := c.roundTrip(ctx, "ingroup_list", "", f)
	if err != nil {
		return nil, err
	}
	body = bytes.TrimLeft(body, " \t\r\n\ufeff")
	if ids, ok := parseInGroupList(body); ok {
		return ids, nil
	}
	line, err := f.parse(body)
	if err != nil {
		return nil, err
	}
	// A line the API knows (VERSION, user_details' data, SUCCESS), but
	// not what ingroup_list answers.
	return nil, &ResponseError{Kind: KindUnparseable, Status: 200, Excerpt: c.describe(line, f)}
}

// parseInGroupList reads ingroup_list's HTML page: the IDs of its
// choose_file links, in page order and without repeats. ok is false when
// the body is not such a page: an ERROR line, or text without any markup.
func parseInGroupList(text []byte) (ids []string, ok bool) {
	if bytes.HasPrefix(text, []byte("ERROR:")) {
		return nil, false
	}
	matches := inGroupLink.FindAllSubmatch(text, -1)
	if len(matches) == 0 && !looksLikeHTML(text) {
		return nil, false
	}
	ids = make([]string, 0, len(matches))
	seen := make(map[string]bool, len(matches))
	for _, m := range matches {
		id := strings.TrimSpace(string(m[1]))
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids, true
}

// looksLikeHTML reports whether text has markup: an element's tag.
func looksLikeHTML(text []byte) bool {
	i := bytes.IndexByte(text, '<')
	return i >= 0 && bytes.IndexByte(text[i:], '>') > 0
}
