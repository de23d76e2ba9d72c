package compliance

// rollUp turns item verdicts into framework control verdicts. A control
// is not deployed if the stack enables none of its items; otherwise it
// fails if one of its items fails; else it is partial if the stack does
// not deploy some of its items (what is deployed holds, the control is not
// shown whole: never a pass); else it passes if one of its items passes,
// and is exempt if all are exempt. "N/A" (no control in that framework) is
// left out.
func rollUp(results []Result) []ControlResult {
	type key struct{ framework, control string }
	var order []key
	byKey := map[key]*ControlResult{}
	deployed := map[key]Verdict{} // the worst verdict of the deployed items
	for _, f := range Frameworks {
		for _, r := range results {
			for _, c := range r.Item.Controls[f] {
				if c == "" || c == "N/A" {
					continue
				}
				k := key{f, c}
				cr, ok := byKey[k]
				if !ok {
					cr = &ControlResult{Framework: f, Control: c}
					byKey[k] = cr
					order = append(order, k)
				}
				cr.Items = append(cr.Items, r.Item.ID)
				if r.Verdict == NotDeployed {
					cr.Undeployed = append(cr.Undeployed, r.Item.ID)
					continue
				}
				deployed[k] = worse(deployed[k], r.Verdict)
			}
		}
	}
	out := make([]ControlResult, 0, len(order))
	for _, k := range order {
		cr := byKey[k]
		v, some := deployed[k]
		switch {
		case !some:
			cr.Verdict, cr.Undeployed = NotDeployed, nil
		case v != Fail && len(cr.Undeployed) > 0:
			cr.Verdict = Partial
		default:
			cr.Verdict = v
		}
		out = append(out, *cr)
	}
	return out
}

// rank orders the deployed items' verdicts for the roll-up: a fail
// outweighs a pass, which outweighs an exemption.
var rank = map[Verdict]int{Exempt: 1, Pass: 2, Fail: 3}

func worse(a, b Verdict) Verdict {
	if rank[b] > rank[a] {
		return b
	}
	return a
}
