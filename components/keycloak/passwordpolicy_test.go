package keycloak

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParsePasswordPolicy_RoundTripsTheDefault(t *testing.T) {
	d := DefaultPasswordPolicy()
	p, err := ParsePasswordPolicy(d.String())
	if err != nil {
		t.Fatal(err)
	}
	if p != d {
		t.Errorf("round trip: got %+v, want %+v", p, d)
	}
}

func TestParsePasswordPolicy_RejectsMalformedPolicies(t *testing.T) {
	for _, s := range []string{
		"length(12) and upperCase(1",
		"length(twelve)",
		"length(12) and length(14)",
		"length(12) or digits(1)",
		"length(12) and fooBar(1)",
		"length(-3)x",
		"",
	} {
		if _, err := ParsePasswordPolicy(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	p, err := ParsePasswordPolicy("length(8) and hashIterations(1000)")
	if err != nil {
		t.Fatal(err)
	}
	a := testArgs()
	a.PasswordPolicy = &p
	a.withDefaults()
	if err := a.Validate("k"); err == nil || !strings.Contains(err.Error(), "k.passwordPolicy.hashIterations: 1000") {
		t.Errorf("weak parsed policy not rejected: %v", err)
	}
}

func TestPasswordPolicy_DecodeRejectsUnknownMiscasedAndMistypedKeys(t *testing.T) {
	for in, want := range map[string]string{
		`{"minLenght": 16}`:   `unknown key "minLenght"`,
		`{"MinLength": 16}`:   `unknown key "MinLength"`,
		`{"minLength": "16"}`: "minLength: expected a whole number",
		`"length(14)"`:        "expected an object with some of the keys minLength, maxLength",
	} {
		var p PasswordPolicy
		if err := json.Unmarshal([]byte(in), &p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", in, err, want)
		}
	}
}

func TestPasswordPolicy_DecodedOverTheDefaultEqualsTheDefault(t *testing.T) {
	var p PasswordPolicy
	if err := json.Unmarshal([]byte(`{}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.String() != DefaultPasswordPolicy().String() {
		t.Errorf("{} decodes to %s", p)
	}
}
