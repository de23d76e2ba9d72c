package compliance

// rollUp turns item verdicts into framework control verdicts: a control
// fails if any of its items fails, passes if none fails and one passes, is
// exempt if its deployed items are all exempt, and is not deployed if the
// stack enables none of its items. "N/A" (no control in that framework) is
// left out.
func rollUp(results []Result) []ControlResult {
	type key struct{ framework, control string }
	var order []key
	byKey := map[key]*ControlResult{}
	for _, f := range Frameworks {
		for _, r := range results {
			for _, c := range r.Item.Controls[f] {
				if c == "" || c == "N/A" {
					continue
				}
				k := key{f, c}
				cr, ok := byKey[k]
				if !ok {
					cr = &ControlResult{Framework: f, Control: c, Verdict: NotDeployed}
					byKey[k] = cr
					order = append(order, k)
				}
				cr.Items = append(cr.Items, r.Item.ID)
				cr.Verdict = worse(cr.Verdict, r.Verdict)
			}
		}
	}
	out := make([]ControlResult, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out
}

// rank orders verdicts for the roll-up: a fail outweighs everything, a pass
// outweighs an exemption, which outweighs not deployed.
var rank = map[Verdict]int{NotDeployed: 0, Exempt: 1, Pass: 2, Fail: 3}

func worse(a, b Verdict) Verdict {
	if rank[b] > rank[a] {
		return b
	}
	return a
}
