package report

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/compliance"
)

// mdGroupShown is how many objects a grouped Markdown line names before
// "and N more": enough to recognise the pattern, short enough for a PR
// comment. The HTML page, the full record, names every object.
const mdGroupShown = 5

// evidenceGroup is the facts of one item that read the same but for their
// object (the NodeLocal DNS exception of every namespace's allow-dns
// policy): shown once, with ×N and the objects.
type evidenceGroup struct {
	// Evidence is the group's first fact: every other one reads the same
	// but for its object.
	compliance.Evidence
	// Objects name each fact's object as the renderer does, in the facts'
	// order.
	Objects []string
}

// N is how many facts the group stands for.
func (g evidenceGroup) N() int { return len(g.Objects) }

// groupEvidence groups ev, keeping the order of each group's first fact:
// facts with the same key (what the reader sees but the object) form one
// group; object names each fact's object.
func groupEvidence[K comparable](ev []compliance.Evidence, key func(compliance.Evidence) K, object func(compliance.Evidence) string) []evidenceGroup {
	var out []evidenceGroup
	at := map[K]int{}
	for _, e := range ev {
		k := key(e)
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, evidenceGroup{Evidence: e})
		}
		out[i].Objects = append(out[i].Objects, object(e))
	}
	return out
}

// fact is what a reader sees of a fact but its object: its source, field,
// value, whether it holds or is exempted, and its note.
type fact struct {
	source       compliance.Source
	field, value string
	ok, exempt   bool
	note         string
}

func factOf(e compliance.Evidence) fact {
	return fact{e.Source, e.Field, e.Value, e.OK, e.Exempt, e.Note}
}

// firstFew lists the first shown objects and says how many more there are:
// "a, b, c and 8 more"; every object when there are no more than shown.
func firstFew(objects []string, shown int) string {
	if len(objects) <= shown {
		return strings.Join(objects, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(objects[:shown], ", "), len(objects)-shown)
}
