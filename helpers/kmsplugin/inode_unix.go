//go:build unix

package kmsplugin

import (
	"os"
	"syscall"
)

// inode is the file's inode number, so a file replaced by a rename with the
// same size and modification time is still seen as changed.
func inode(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino) //nolint:unconvert // Ino is narrower on some unix systems
	}
	return 0
}
