package compliance

import (
	"fmt"

	"github.com/rampart-dev/rampart/components/audit"
)

// Type tokens of the audit store's resources.
const (
	bucketType     = "aws:s3/bucketV2:BucketV2"
	objectLockType = "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2"
)

// minRetentionDays is the shortest preset (audit.PresetDays): no framework
// Rampart maps accepts less.
func minRetentionDays() int {
	m := 0
	for _, d := range audit.PresetDays {
		if m == 0 || d < m {
			m = d
		}
	}
	return m
}

// checkAuditTrail: the audit component's bucket has Object Lock on, in
// COMPLIANCE mode (nobody, root included, can shorten or delete), with a
// default retention at least its preset's period; the stack outputs the
// report reads agree. The API server's audit policy is the cluster's
// (rampart apiserver audit-policy), not in this state.
func checkAuditTrail(s *state) (bool, []Evidence) {
	var buckets, locks []*object
	for _, o := range s.under(audit.TypeToken) {
		switch o.Type {
		case bucketType:
			buckets = append(buckets, o)
		case objectLockType:
			locks = append(locks, o)
		}
	}
	comp, deployed := s.component(audit.TypeToken, "auditBucket")
	if !deployed && len(buckets)+len(locks) == 0 {
		return false, nil
	}
	var ev []Evidence
	if len(buckets) == 0 {
		if comp == nil { // only the lock configuration is left
			comp = locks[0]
		}
		ev = append(ev, missing(comp, "the audit bucket ("+bucketType+")"))
	}
	for _, b := range buckets {
		v, _ := b.get("objectLockEnabled")
		e := Evidence{URN: b.URN, Field: "objectLockEnabled", Value: show(v), OK: v == true}
		if !e.OK {
			e.Note = "Object Lock can only be turned on when the bucket is created"
		}
		ev = append(ev, e)
	}
	if len(locks) == 0 && len(buckets) > 0 {
		ev = append(ev, Evidence{URN: buckets[0].URN, Field: "object lock configuration", Value: "absent", Note: "no default retention: objects can be deleted"})
	}
	preset, _ := s.output("auditRetentionPreset")
	want := minRetentionDays()
	if d, ok := audit.PresetDays[audit.Preset(fmt.Sprint(preset))]; ok {
		want = d
	}
	for _, l := range locks {
		mode, _ := l.get("rule.defaultRetention.mode")
		e := Evidence{URN: l.URN, Field: "rule.defaultRetention.mode", Value: show(mode), OK: mode == string(audit.LockCompliance)}
		if !e.OK {
			e.Note = "want " + string(audit.LockCompliance) + ": GOVERNANCE can be bypassed"
		}
		ev = append(ev, e)
		days, _ := l.get("rule.defaultRetention.days")
		n, _ := num(days)
		d := Evidence{URN: l.URN, Field: "rule.defaultRetention.days", Value: show(days), OK: n >= float64(want)}
		if !d.OK {
			d.Note = fmt.Sprintf("want at least %d days (preset %s)", want, show(preset))
		}
		ev = append(ev, d)
	}
	if mode, ok := s.output("auditLockMode"); ok {
		e := Evidence{URN: s.stackURN, Field: "outputs.auditLockMode", Value: show(mode), OK: mode == string(audit.LockCompliance)}
		if !e.OK {
			e.Note = "the stack reports a lock mode other than " + string(audit.LockCompliance)
		}
		ev = append(ev, e)
	}
	return true, ev
}
