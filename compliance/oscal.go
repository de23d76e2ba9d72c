package compliance

import "io"

// OSCAL writes the assessment as an OSCAL assessment-results document.
func (a *Assessment) OSCAL(w io.Writer) error { return errTODO }
