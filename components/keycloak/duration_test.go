package keycloak

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDuration_RoundTripsItsText(t *testing.T) {
	for _, c := range []struct {
		text string
		want time.Duration
	}{{"5m", 5 * time.Minute}, {"1h30m", 90 * time.Minute}, {"90s", 90 * time.Second}, {"500ms", 500 * time.Millisecond}, {"0s", 0}, {"-1m", -time.Minute}} {
		var d Duration
		if err := json.Unmarshal([]byte(`"`+c.text+`"`), &d); err != nil {
			t.Fatalf("%s: %v", c.text, err)
		}
		if !d.IsSet() || d.Value() != c.want || d.String() != c.text {
			t.Errorf("%s: got set=%v value=%v text=%q", c.text, d.IsSet(), d.Value(), d.String())
		}
		b, err := json.Marshal(d)
		if err != nil || string(b) != `"`+c.text+`"` {
			t.Errorf("%s: marshals to %s (%v)", c.text, b, err)
		}
	}
	if d := DurationOf(90 * time.Second); d.String() != "1m30s" || d.Seconds() != 90 {
		t.Errorf("DurationOf: %q %d", d.String(), d.Seconds())
	}
}

func TestDuration_UnsetIsNullAndOmitted(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte("null"), &d); err != nil || d.IsSet() {
		t.Errorf("null: set=%v err=%v", d.IsSet(), err)
	}
	if b, _ := json.Marshal(d); string(b) != "null" {
		t.Errorf("unset marshals to %s", b)
	}
	b, _ := json.Marshal(Sessions{AccessToken: DurationOf(time.Minute)})
	if string(b) != `{"accessToken":"1m0s"}` {
		t.Errorf("unset lifespans are not omitted: %s", b)
	}
}

func TestDuration_ErrorsNameTheExpectedForm(t *testing.T) {
	want := `a duration such as "5m" or "1h30m"`
	if got := (Duration{}).Expected(); got != want {
		t.Errorf("Expected() = %q", got)
	}
	for _, in := range []string{`"5x"`, `"5"`, `""`, `300`, `true`, `{}`} {
		var d Duration
		err := json.Unmarshal([]byte(in), &d)
		if err == nil || !strings.Contains(err.Error(), "expected "+want) {
			t.Errorf("%s: err = %v", in, err)
		}
		if d.IsSet() {
			t.Errorf("%s: a failed parse set the value", in)
		}
	}
	if _, err := ParseDuration("5x"); err == nil || !strings.Contains(err.Error(), `"5x"`) {
		t.Errorf("ParseDuration error does not quote the text: %v", err)
	}
}

func TestDuration_ValidationShowsTheTextAsWritten(t *testing.T) {
	a := decodeArgs(t, `{`+minimal+`, "sessions": {"accessToken": "1h"}}`)
	err := a.Validate("")
	if err == nil || !strings.Contains(err.Error(), `sessions.accessToken: "1h": must lie between 1m0s and 15m0s`) {
		t.Errorf("err = %v", err)
	}
}
