package compliance

import "io"

// HTML writes a self-contained, print-friendly report (no external scripts,
// styles or fonts).
func (a *Assessment) HTML(w io.Writer) error { return errTODO }
