package chart_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/verr"
)

var pin = chart.Pin{Name: "demo", Repository: "https://charts.example", Version: "1.2.3"}

func TestWithDefaults_FillsOnlyWhatIsUnset(t *testing.T) {
	if got := (chart.Source{}).WithDefaults(pin); got != (chart.Source{Repository: pin.Repository, Version: pin.Version}) {
		t.Errorf("empty source: %+v", got)
	}
	own := chart.Source{Repository: "oci://mirror.example/charts", Version: "1.2.4"}
	if got := own.WithDefaults(pin); got != own {
		t.Errorf("set source replaced: %+v", got)
	}
}

func TestValidate_RefusesFloatingVersionsAndPlainHTTP(t *testing.T) {
	cases := []struct {
		name string
		src  chart.Source
		pin  chart.Pin
		want []string // substrings of the error; none when valid
	}{
		{"https pinned", chart.Source{Repository: "https://charts.example", Version: "1.2.3"}, pin, nil},
		{"oci pinned pre-release", chart.Source{Repository: "oci://r.example/c", Version: "v1.2.3-rc.1"}, pin, nil},
		{"plain http", chart.Source{Repository: "http://charts.example", Version: "1.2.3"}, pin,
			[]string{`x.chart.repository: "http://charts.example": the chart must come over https:// or from an oci:// registry`}},
		{"range", chart.Source{Repository: "https://charts.example", Version: "^1.2.0"}, pin, []string{`x.chart.version: "^1.2.0": the chart version must be pinned`, "e.g. 1.2.3"}},
		{"latest", chart.Source{Repository: "https://charts.example", Version: "latest"}, pin, []string{"x.chart.version"}},
		{"https for an OCI-only chart", chart.Source{Repository: "https://charts.example", Version: "1.2.3"}, chart.Pin{Name: "gw", Repository: "oci://d.example", Version: "1.2.3", OCIOnly: true},
			[]string{"gw is published as an OCI chart only"}},
		{"local folder not allowed", chart.Source{Repository: "/srv/charts", Version: "1.2.3"}, pin, []string{"x.chart.repository"}},
		{"local folder allowed", chart.Source{Repository: "/srv/charts", Version: "1.2.3"}, chart.Pin{Name: "gw", OCIOnly: true, LocalOK: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var l verr.List
			tc.src.Validate(&l, "x.chart", tc.pin)
			err := l.Err()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestArgs_OCIAndLocalArePathsHTTPSIsARepository(t *testing.T) {
	oci := chart.Source{Repository: "oci://r.example/charts/", Version: "1.2.3"}.Args(pin, "rel", "ns", nil)
	if oci.RepositoryOpts != nil {
		t.Error("an oci:// source got repository options")
	}
	local := chart.Source{Repository: "/srv/charts", Version: "1.2.3"}.Args(pin, "rel", "ns", nil)
	if local.RepositoryOpts != nil {
		t.Error("a local folder got repository options")
	}
	https := chart.Source{Repository: "https://charts.example", Version: "1.2.3"}.Args(pin, "rel", "ns", nil)
	if https.RepositoryOpts == nil {
		t.Error("an https:// source has no repository options")
	}
}
