package osvdb

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
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

// FuzzUnmarshal explores the index layout: it fixes up the checksum of each
// input so that mutations reach the decoder rather than stopping at the CRC.
func FuzzUnmarshal(f *testing.F) {
	ix, err := Build(context.Background(), "all.zip", zipOf(f, map[string]string{"a.json": recA, "b.json": "{"}), "PyPI", Key{Size: 1})
	if err != nil {
		f.Fatal(err)
	}
	good := Marshal(ix)
	f.Add(good[:len(good)-4])
	f.Add([]byte(indexMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32(append([]byte(nil), body...), crc32.ChecksumIEEE(body))
		got, err := Unmarshal(data)
		if err != nil {
			return
		}
		// Decoding every block must not panic; a valid index has one encoding.
		again := Marshal(got)
		if got.Err() == nil && !bytes.Equal(again, data) {
			t.Fatalf("accepted index does not round-trip")
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
