package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// State remembers how far each source has read: the last S3 key per
// bucket and account/region prefix, and the newest GuardDuty finding
// update per region and detector. It lives in a small JSON file.
type State struct {
	path string
	// S3 maps "bucket/prefix" to the last key read under it.
	S3 map[string]string `json:"s3"`
	// GuardDuty maps "region/detectorId" to the newest updatedAt read.
	GuardDuty map[string]time.Time `json:"guardduty"`
}

// LoadState reads the state file at path; a missing file is an empty state.
func LoadState(path string) (*State, error) {
	s := &State{path: path, S3: map[string]string{}, GuardDuty: map[string]time.Time{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ingest state: %w", err)
	}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("ingest state %s: %w", path, err)
	}
	if s.S3 == nil {
		s.S3 = map[string]string{}
	}
	if s.GuardDuty == nil {
		s.GuardDuty = map[string]time.Time{}
	}
	return s, nil
}

// Save writes the state atomically (a temporary file renamed over the
// old one). A State without a path (in memory only) saves nothing.
func (s *State) Save() error {
	if s.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("ingest state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".palisade-state-*")
	if err != nil {
		return fmt.Errorf("ingest state: %w", err)
	}
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("ingest state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("ingest state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("ingest state: %w", err)
	}
	return nil
}
