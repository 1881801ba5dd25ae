package osvdb

import (
	"archive/zip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// DefaultBaseURL is the public OSV bucket; BaseURL/<Ecosystem>/all.zip is one ecosystem's export.
const DefaultBaseURL = "https://osv-vulnerabilities.storage.googleapis.com"

// ErrIntegrity is wrapped by Update when a download does not match the
// bucket's hash or is not a readable zip; the partial file is discarded.
var ErrIntegrity = errors.New("download failed its integrity check")

// validEcosystem allowlists ecosystem names: they become a URL path and a directory.
var validEcosystem = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 .:_-]{0,63}$`)

// Updater downloads OSV ecosystem exports. The zero value uses
// http.DefaultClient and DefaultBaseURL.
type Updater struct {
	Client  *http.Client
	BaseURL string
}

// Update downloads each ecosystem's all.zip from the OSV bucket into
// dest/<Ecosystem>/all.zip; see Updater.Update.
func Update(ctx context.Context, dest string, ecosystems []string, progress io.Writer) error {
	return Updater{}.Update(ctx, dest, ecosystems, progress)
}

// Update downloads each ecosystem's all.zip into dest/<Ecosystem>/all.zip.
// A download goes to all.zip.part and resumes from it with an HTTP Range
// request (guarded by If-Range on the ETag seen before, so a changed object
// restarts from zero); the result is checked against the bucket's MD5 and
// CRC32C (x-goog-hash) when given and always opened as a zip with every
// entry's CRC verified, then renamed over all.zip atomically. progress, when
// not nil, gets one line per ecosystem. Errors for each ecosystem are joined.
func (u Updater) Update(ctx context.Context, dest string, ecosystems []string, progress io.Writer) error {
	if progress == nil {
		progress = io.Discard
	}
	var errs []error
	for _, eco := range ecosystems {
		if !validEcosystem.MatchString(eco) || strings.Contains(eco, "..") {
			errs = append(errs, fmt.Errorf("ecosystem %q: not a valid ecosystem name", eco))
			continue
		}
		n, resumed, err := u.fetch(ctx, dest, eco)
		if err != nil {
			errs = append(errs, fmt.Errorf("update %s: %w", eco, err))
			fmt.Fprintf(progress, "%s: failed: %v\n", eco, err)
			continue
		}
		if resumed > 0 {
			fmt.Fprintf(progress, "%s: %d bytes (resumed after %d)\n", eco, n, resumed)
		} else {
			fmt.Fprintf(progress, "%s: %d bytes\n", eco, n)
		}
	}
	return errors.Join(errs...)
}

// fetch downloads one ecosystem; it returns the final size and the number of
// bytes that were already present in the .part file.
func (u Updater) fetch(ctx context.Context, dest, eco string) (size, resumed int64, err error) {
	client := u.Client
	if client == nil {
		client = http.DefaultClient
	}
	base := u.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	dir := filepath.Join(dest, eco)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, err
	}
	final := filepath.Join(dir, "all.zip")
	part := final + ".part"
	etagFile := part + ".etag"

	var have int64
	etag := ""
	if st, err := os.Stat(part); err == nil {
		if b, err := os.ReadFile(etagFile); err == nil && len(b) > 0 {
			have, etag = st.Size(), string(b)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/"+url.PathEscape(eco)+"/all.zip", nil)
	if err != nil {
		return 0, 0, err
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
		req.Header.Set("If-Range", etag)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()

	flags := os.O_CREATE | os.O_WRONLY
	switch resp.StatusCode {
	case http.StatusOK:
		flags |= os.O_TRUNC
		have = 0
	case http.StatusPartialContent:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			return 0, 0, fmt.Errorf("server resumed at %q, want byte %d", resp.Header.Get("Content-Range"), have)
		}
		flags |= os.O_APPEND
	case http.StatusRequestedRangeNotSatisfiable:
		// The .part file is no prefix of the object: start again next time.
		os.Remove(part)
		os.Remove(etagFile)
		return 0, 0, fmt.Errorf("server rejected resuming at byte %d; partial download discarded, run again", have)
	default:
		return 0, 0, fmt.Errorf("GET %s: %s", req.URL, resp.Status)
	}
	if tag := resp.Header.Get("ETag"); tag != "" {
		if err := os.WriteFile(etagFile, []byte(tag), 0o644); err != nil {
			return 0, 0, err
		}
	} else {
		os.Remove(etagFile) // without an ETag a resume cannot be validated
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return 0, 0, err
	}
	_, copyErr := io.Copy(f, io.LimitReader(resp.Body, MaxZipSize-have+1))
	closeErr := f.Close()
	if err := errors.Join(copyErr, closeErr); err != nil {
		return 0, 0, fmt.Errorf("download interrupted (will resume): %w", err)
	}
	if err := verifyDownload(part, resp.Header.Values("X-Goog-Hash")); err != nil {
		os.Remove(part)
		os.Remove(etagFile)
		return 0, 0, err
	}
	st, err := os.Stat(part)
	if err != nil {
		return 0, 0, err
	}
	if err := os.Rename(part, final); err != nil {
		return 0, 0, err
	}
	os.Remove(etagFile)
	return st.Size(), have, nil
}

// contentRangeStart reads the first byte position of "bytes a-b/n".
func contentRangeStart(h string) (int64, bool) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil
}

// verifyDownload checks a finished download against the x-goog-hash values
// (md5 and crc32c, base64) and checks that it is a zip whose entries all
// decompress with a matching CRC.
func verifyDownload(p string, googHash []string) error {
	want := map[string]string{}
	for _, h := range googHash {
		for _, kv := range strings.Split(h, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if ok {
				want[k] = v
			}
		}
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	md := md5.New()
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	if _, err := io.Copy(io.MultiWriter(md, crc), f); err != nil {
		return err
	}
	if w, ok := want["md5"]; ok && w != base64.StdEncoding.EncodeToString(md.Sum(nil)) {
		return fmt.Errorf("%w: MD5 differs from the bucket's", ErrIntegrity)
	}
	if w, ok := want["crc32c"]; ok && w != base64.StdEncoding.EncodeToString(crc.Sum(nil)) {
		return fmt.Errorf("%w: CRC32C differs from the bucket's", ErrIntegrity)
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(f, st.Size())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			return fmt.Errorf("%w: entry %s: %w", ErrIntegrity, e.Name, err)
		}
		_, err = io.Copy(io.Discard, io.LimitReader(rc, MaxRecordSize+1))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%w: entry %s: %w", ErrIntegrity, e.Name, err)
		}
	}
	return nil
}
