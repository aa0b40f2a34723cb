package vicidial_test

import (
	"context"
	"os"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial"
)

// TestCopyUserConformance: copy_user copies every setting of its template,
// its rights included. An account copied from a level-8 API user (the
// simulator's apiuser8; on a real server VICIDIAL_TEST_API_TEMPLATE, a
// level-8 user with "modify users" and API access) can update users. The
// template's hotkeys_active (0) is checked on the simulator only: no API
// call reads it back.
func TestCopyUserConformance(t *testing.T) {
	ctx := context.Background()
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			template := "apiuser8"
			if tg.sim == nil {
				template = os.Getenv("VICIDIAL_TEST_API_TEMPLATE")
				if !tg.writable || template == "" {
					t.Skip("needs VICIDIAL_TEST_WRITE=1 and VICIDIAL_TEST_API_TEMPLATE")
				}
			}
			admin := client(t, tg.url, tg.user, tg.pass)
			target, copied := unique("ct"), unique("cc")
			if _, err := admin.AddUser(ctx, vicidial.AddUserRequest{Login: target, Pass: "Pw-12345", Level: 1, FullName: "Copy Target", Group: "AGENTS"}); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = admin.UpdateUser(ctx, vicidial.UpdateUserRequest{Login: target, Active: "N"}) }()
			if _, err := admin.CopyUser(ctx, vicidial.CopyUserRequest{Login: copied, Pass: "Copy-Pw-12345", FullName: "API Copy", SourceUser: template}); err != nil {
				t.Fatal(err)
			}
			// Leave no usable API account behind.
			defer func() { _ = admin.UpdateUser(ctx, vicidial.UpdateUserRequest{Login: copied, Active: "N"}) }()
			t.Run("the copy may update users, as its template may", func(t *testing.T) {
				if err := client(t, tg.url, copied, "Copy-Pw-12345").UpdateUser(ctx, vicidial.UpdateUserRequest{Login: target, CustomOne: "by the copy"}); err != nil {
					t.Errorf("UpdateUser as the copy: %v", err)
				}
			})
			t.Run("hotkeys_active is the template's", func(t *testing.T) {
				if tg.sim == nil {
					t.Skip("no API call reads hotkeys_active")
				}
				got, _ := tg.sim.Sim.Account(copied)
				tmpl, _ := tg.sim.Sim.Account(template)
				if got.HotkeysActive != "0" || got.HotkeysActive != tmpl.HotkeysActive {
					t.Errorf("hotkeys_active %q, want the template's %q (0)", got.HotkeysActive, tmpl.HotkeysActive)
				}
			})
		})
	}
}
