package osvdb

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// corpusRecords returns a few real records from the shared OSV corpus, when present.
func corpusRecords(f *testing.F) [][]byte {
	root := os.Getenv("PALISADE_CORPORA")
	if root == "" {
		root = filepath.Join("..", "..", "..", "..", "shared", "corpora")
	}
	var out [][]byte
	for _, eco := range []string{"Go", "PyPI", "crates.io"} {
		zr, err := zip.OpenReader(filepath.Join(root, "osv", "db", eco, "all.zip"))
		if err != nil {
			continue
		}
		for i, zf := range zr.File {
			if i >= 5 {
				break
			}
			rc, err := zf.Open()
			if err != nil {
				continue
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err == nil {
				out = append(out, b)
			}
		}
		zr.Close()
	}
	return out
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(recA))
	f.Add([]byte(`{"id":"X","affected":[{"ranges":[{"type":"SEMVER","events":[{}]}]}]}`))
	for _, b := range corpusRecords(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err == nil && r.ID == "" {
			t.Fatal("decoded a record without an id")
		}
	})
}

func FuzzUnmarshal(f *testing.F) {
	ix, err := Build(context.Background(), "all.zip", zipOf(f, map[string]string{"a.json": recA, "b.json": "{"}), "PyPI", Key{Size: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(Marshal(ix))
	f.Add([]byte(indexMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Unmarshal(data)
		if err != nil {
			return
		}
		// Anything accepted must re-encode to the same bytes (the format has one encoding).
		if again := Marshal(got); !bytes.Equal(again, data) {
			t.Fatalf("accepted index does not round-trip")
		}
		for _, list := range got.packages {
			for _, a := range list {
				if a.Advisory < 0 || a.Advisory >= len(got.Advisories) {
					t.Fatalf("advisory reference %d out of range", a.Advisory)
				}
			}
		}
	})
}

func FuzzBuild(f *testing.F) {
	f.Add(zipOf(f, map[string]string{"a.json": recA}))
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := Build(context.Background(), "all.zip", data, "PyPI", Key{})
		if err != nil {
			return
		}
		if _, err := Unmarshal(Marshal(ix)); err != nil {
			t.Fatalf("built index does not decode: %v", err)
		}
	})
}
