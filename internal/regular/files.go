// Package regular opens the files palisade reads from places a user names
// (folders to scan, logs, rules, configuration) so that a FIFO, a device or
// a socket among them is reported instead of blocking the scan: opening a
// FIFO for reading waits for a writer, forever, and a signal handler does
// not interrupt that wait.
package regular

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ErrNotRegular marks a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path for reading if it is a regular file (following
// symbolic links). It opens without blocking and checks the opened file,
// so nothing can swap the file between the check and the read.
func Open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %s: %w", path, kind(info.Mode()), ErrNotRegular)
	}
	return f, nil
}

// ReadFile reads a whole regular file, as os.ReadFile does.
func ReadFile(path string) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func kind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a folder"
	default:
		return "not a regular file"
	}
}
