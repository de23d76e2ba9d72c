package verify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// probeLine is one line of `probe check` (lab/tools/probe/cmd/probe
// checkLine): the target as given, the verdict, the raw result and its
// duration.
type probeLine struct {
	Target  string `json:"target"`
	Verdict string `json:"verdict"`
	Detail  string `json:"detail,omitempty"`
	Millis  int64  `json:"ms"`
}

// doneLine ends a complete `probe check` output: {"done": COUNT}.
type doneLine struct {
	Done *int `json:"done"`
}

// parseCheck reads a `probe check` log into its lines by target. A log
// without its final {"done": N}, or with a count that differs from the
// lines read, is incomplete (the pod was killed, the log cut) and an
// error; lines that are not JSON (a runtime's own messages) are skipped.
func parseCheck(log []byte) (map[string]probeLine, error) {
	out := map[string]probeLine{}
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 64<<10), maxLog)
	count, done := 0, -1
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var d doneLine
		if err := json.Unmarshal(line, &d); err == nil && d.Done != nil {
			done = *d.Done
			continue
		}
		var l probeLine
		if err := json.Unmarshal(line, &l); err != nil || l.Target == "" || l.Verdict == "" {
			continue
		}
		out[l.Target] = l
		count++
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("probe output: %w", err)
	}
	switch {
	case done < 0:
		return out, fmt.Errorf("probe output incomplete: no final {\"done\": N} line after %d results", count)
	case done != count:
		return out, fmt.Errorf("probe output incomplete: %d results, the probe reported %d", count, done)
	}
	return out, nil
}

// observed turns a probe verdict into an observation: a TCP connect that
// succeeded, or a DNS server that answered (an address, NXDOMAIN or
// SERVFAIL: the server was reached), is open; a refusal or a timeout is
// closed; anything else is an error.
func observed(l probeLine, dns bool) string {
	switch l.Verdict {
	case "OK":
		return Open
	case "NXDOMAIN", "SERVFAIL":
		if dns {
			return Open
		}
	case "REFUSED", "TIMEOUT":
		return Closed
	}
	return Errored
}

// detail is the raw observation for a check's Detail.
func (l probeLine) detail() string {
	s := fmt.Sprintf("%s %s in %d ms", l.Target, l.Verdict, l.Millis)
	if d := strings.TrimSpace(l.Detail); d != "" {
		s += ": " + d
	}
	return s
}
