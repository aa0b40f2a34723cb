package vicidial_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vicionboard/vicionboard/vicidial"
)

// TestUpdateUserConformance runs update_user against the simulator and, when
// VICIDIAL_TEST_URL and VICIDIAL_TEST_WRITE=1 are set, a real server. Each
// case works on a fresh account it creates (the real server needs a user
// group AGENTS); nothing in it relies on the simulator's fixture.
func TestUpdateUserConformance(t *testing.T) {
	ctx := context.Background()
	long := func(n int) string { return strings.Repeat("c", n) }
	tests := []struct {
		name  string
		req   vicidial.UpdateUserRequest // Login is filled in
		want  vicidial.Reason            // "" for a success
		field string
		check func(vicidial.UserDetails) bool // after a success
	}{
		{"full name and active", vicidial.UpdateUserRequest{FullName: "Renamed Agent", Active: "N"}, "", "",
			func(d vicidial.UserDetails) bool { return d.FullName == "Renamed Agent" && !d.Active }},
		{"active Yes is Y", vicidial.UpdateUserRequest{Active: "Yes"}, "", "", func(d vicidial.UserDetails) bool { return d.Active }},
		{"full name filtered", vicidial.UpdateUserRequest{FullName: "Sean O'Brien"}, "", "",
			func(d vicidial.UserDetails) bool { return d.FullName == "Sean OBrien" }},
		{"custom fields, email, --BLANK--", vicidial.UpdateUserRequest{CustomOne: "--BLANK--", CustomTwo: "two", Email: "x+y@example.com"}, "", "", nil},
		{"in-groups", vicidial.UpdateUserRequest{InGroups: []string{"SALESLINE", "SUPPORT"}}, "", "", nil},
		{"nothing to update", vicidial.UpdateUserRequest{}, vicidial.ReasonNoUpdates, "", nil},
		{"filtered to nothing", vicidial.UpdateUserRequest{Active: "y", HotkeysActive: "--BLANK--"}, vicidial.ReasonNoUpdates, "", nil},
		{"full name of 51", vicidial.UpdateUserRequest{FullName: long(51)}, vicidial.ReasonInvalidField, "agent_full_name", nil},
		{"level 10", vicidial.UpdateUserRequest{Level: "10"}, vicidial.ReasonInvalidField, "agent_user_level", nil},
		{"missing group", vicidial.UpdateUserRequest{Group: "NOSUCHGRP9Z"}, vicidial.ReasonInvalidGroup, "agent_user_group", nil},
		{"missing phone", vicidial.UpdateUserRequest{PhoneLogin: "nosuchphone9z"}, vicidial.ReasonInvalidPhoneLogin, "phone_login", nil},
		{"phone password of 21", vicidial.UpdateUserRequest{PhonePass: vicidial.Secret(long(21))}, vicidial.ReasonInvalidField, "phone_pass", nil},
		{"hotkeys 2", vicidial.UpdateUserRequest{HotkeysActive: "2"}, vicidial.ReasonInvalidField, "hotkeys_active", nil},
		{"voicemail of 1", vicidial.UpdateUserRequest{VoicemailID: "7"}, vicidial.ReasonInvalidField, "voicemail_id", nil},
		{"email of 4", vicidial.UpdateUserRequest{Email: "a@bc"}, vicidial.ReasonInvalidField, "email", nil},
		{"custom three of 101", vicidial.UpdateUserRequest{CustomThree: long(101)}, vicidial.ReasonInvalidField, "custom_three", nil},
		{"active --BLANK--", vicidial.UpdateUserRequest{Active: "--BLANK--"}, vicidial.ReasonInvalidField, "active", nil},
		{"wrapup 10000", vicidial.UpdateUserRequest{WrapupSecondsOverride: "10000"}, vicidial.ReasonInvalidField, "wrapup_seconds_override", nil},
		{"first invalid field in the server's order", vicidial.UpdateUserRequest{Active: "X", FullName: long(51)}, vicidial.ReasonInvalidField, "agent_full_name", nil},
	}
	for _, tg := range targets(t) {
		t.Run(tg.name, func(t *testing.T) {
			c := client(t, tg.url, tg.user, tg.pass)
			t.Run("no such account", func(t *testing.T) {
				err := c.UpdateUser(ctx, vicidial.UpdateUserRequest{Login: "nosuchuser9z", CustomOne: "x"})
				if vicidial.ReasonOf(err) != vicidial.ReasonUserNotFound {
					t.Errorf("error %v, want USER_NOT_FOUND", err)
				}
			})
			t.Run("login too short", func(t *testing.T) {
				err := c.UpdateUser(ctx, vicidial.UpdateUserRequest{Login: "z", CustomOne: "x"})
				if vicidial.ReasonOf(err) != vicidial.ReasonMissingFields {
					t.Errorf("error %v, want MISSING_FIELDS", err)
				}
			})
			if !tg.writable {
				return
			}
			run := unique("uc")
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					login := fmt.Sprintf("%s%02d", run, i) // 2 + 9 + 2 characters
					if _, err := c.AddUser(ctx, vicidial.AddUserRequest{Login: login, Pass: "Pw-12345", Level: 1, FullName: "Update Conf",
						Group: "AGENTS"}); err != nil {
						t.Fatalf("AddUser: %v", err)
					}
					// Leave no usable account behind on a real server.
					defer func() { _ = c.UpdateUser(ctx, vicidial.UpdateUserRequest{Login: login, Active: "N"}) }()
					req := tt.req
					req.Login = login
					err := c.UpdateUser(ctx, req)
					if vicidial.ReasonOf(err) != tt.want || tt.want == "" && err != nil {
						t.Fatalf("UpdateUser error %v, want reason %q", err, tt.want)
					}
					if got := vicidial.FieldOf(err); got != tt.field {
						t.Errorf("FieldOf = %q, want %q", got, tt.field)
					}
					d, derr := c.UserDetails(ctx, login)
					if derr != nil {
						t.Fatalf("UserDetails: %v", derr)
					}
					if tt.check != nil && !tt.check(d) {
						t.Errorf("after the update: %+v", d)
					}
					if tt.want != "" && (d.FullName != "Update Conf" || !d.Active || d.Level != 1) {
						t.Errorf("an error changed the account: %+v", d)
					}
				})
			}
		})
	}
}
