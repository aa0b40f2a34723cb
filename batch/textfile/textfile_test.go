package textfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vicionboard/vicionboard/batch/textfile"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want string // in the error; "" for none
	}{
		{"utf-8", write("ok.yaml", "key: Employee ID\nagent_full_name: \"{Prénom} {Nom}\"\n"), ""},
		{"utf-16 with a BOM", write("u16.yaml", "\xff\xfek\x00e\x00y\x00"), ""},
		{"exactly the limit", write("max.yaml", strings.Repeat("#", textfile.MaxSize)), ""},
		{"one byte over", write("over.yaml", strings.Repeat("#", textfile.MaxSize+1)), "over.yaml: larger than 1024 KiB"},
		{"windows-1252", write("cp.yaml", "a: 1\nb: caf\xe9\n"), "cp.yaml:2:7: not UTF-8 (byte 0xE9 here)"},
		{"a FIFO", fifo, "fifo: not a regular file (a FIFO)"},
		{"a device", "/dev/zero", "/dev/zero: not a regular file (a character device)"},
		{"a directory", dir, "not a regular file (a directory)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := textfile.Read(tt.path, "mapping")
			if tt.want == "" {
				if err != nil || len(data) == 0 {
					t.Errorf("Read: %d bytes, %v", len(data), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, textfile.ErrRefused) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := textfile.Read(filepath.Join(dir, "none"), "mapping"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
