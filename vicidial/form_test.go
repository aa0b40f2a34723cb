package vicidial

import (
	"net/url"
	"testing"
)

// TestFormEncodeIsURLEncode: the form's own encoder writes exactly what
// url.Values.Encode writes.
func TestFormEncodeIsURLEncode(t *testing.T) {
	values := []string{"", "plain", "Jane Smith", "José Ñúñez", "a&b=c+d%e", "p@ss/wörd?#", "tab\there", "~-_.", "日本語", "\x00\xff"}
	f := &form{values: url.Values{}}
	for i, v := range values {
		f.values.Set(string(rune('a'+i))+"_key", v)
	}
	f.values["multi"] = []string{"one", "two words"}
	if got, want := string(f.encode()), f.values.Encode(); got != want {
		t.Errorf("encode()\n got %s\nwant %s", got, want)
	}
}

func FuzzFormEncode(f *testing.F) {
	f.Add("agent_full_name", "Jane Smith")
	f.Add("k", "a&b=c+d%e ~")
	f.Fuzz(func(t *testing.T, k, v string) {
		fm := &form{values: url.Values{k: {v}, "source": {"vicionboard"}}}
		if got, want := string(fm.encode()), fm.values.Encode(); got != want {
			t.Errorf("encode() = %q, want %q", got, want)
		}
	})
}
