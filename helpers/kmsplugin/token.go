package kmsplugin

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// maxTokenSize bounds what is read from the token file: an OpenBao token is
// about a hundred bytes; a larger file is the wrong file.
const maxTokenSize = 4096

// tokenFile is the OpenBao token, read from a file and read again whenever
// the file's size, modification time or inode changes (a renewal agent or
// a rotated Secret replaces it), never from the environment.
type tokenFile struct {
	path string

	mu    sync.Mutex
	token string
	stamp fileStamp
}

// fileStamp is what says a file changed without reading it.
type fileStamp struct {
	size  int64
	mtime time.Time
	ino   uint64
}

func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), mtime: fi.ModTime(), ino: inode(fi)}
}

// get returns the token, reading the file again when it changed.
func (f *tokenFile) get() (string, error) {
	fi, err := os.Stat(f.path)
	if err != nil {
		return "", fmt.Errorf("token file: %w (write the OpenBao token the plugin's policy grants to %s)", err, f.path)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := stampOf(fi)
	if f.token != "" && st == f.stamp {
		return f.token, nil
	}
	if fi.Size() > maxTokenSize {
		return "", fmt.Errorf("token file %s: %d bytes, more than a token (%d): give the file holding only the OpenBao token", f.path, fi.Size(), maxTokenSize)
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", fmt.Errorf("token file %s is empty: write the OpenBao token the plugin's policy grants", f.path)
	case strings.ContainsAny(tok, " \t\r\n"):
		return "", fmt.Errorf("token file %s holds more than one word: write only the OpenBao token", f.path)
	}
	f.token, f.stamp = tok, st
	return tok, nil
}
