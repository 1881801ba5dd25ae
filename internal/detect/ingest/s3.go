package ingest

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/palisade-sec/palisade/internal/detect/event"
)

// Handler processes the events of one batch (one S3 object, one inline
// queue message, one page of GuardDuty findings). source names the batch
// in errors. A batch is marked done only when the handler returns nil.
type Handler func(ctx context.Context, source string, evs []*event.Event) error

// Stats counts what a source read.
type Stats struct {
	Objects  int `json:"objects"`
	Messages int `json:"messages"`
	Findings int `json:"findings"`
	Events   int `json:"events"`
	// Skipped counts records that were not events (reported in errors).
	Skipped int `json:"skipped"`
}

// add folds other into s.
func (s *Stats) add(o Stats) {
	s.Objects += o.Objects
	s.Messages += o.Messages
	s.Findings += o.Findings
	s.Events += o.Events
	s.Skipped += o.Skipped
}

// regionLeaf matches a prefix that ends at (or below) a CloudTrail region
// folder: AWSLogs/[o-org/]<account>/CloudTrail/<region>/.
var regionLeaf = regexp.MustCompile(`(^|/)CloudTrail/[a-z0-9-]+/`)

// maxDiscoverDepth bounds the folder walk from the given prefix down to the
// region folders (AWSLogs/o-org/account/CloudTrail/region is five levels).
const maxDiscoverDepth = 6

// S3Source reads CloudTrail log objects from a bucket in the CloudTrail
// key layout, organization trail (AWSLogs/<org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/)
// or not (AWSLogs/<account>/CloudTrail/<region>/...). Within one
// account/region folder keys sort by date, and the state keeps the last key
// read per folder. Without Seen a rerun lists only the keys after it; with
// Seen it lists again from the day before (LookBack) and skips objects
// already read, so an object that lands late is read too.
type S3Source struct {
	Client *s3.Client
	Bucket string
	// Prefix narrows the walk (empty for the whole bucket).
	Prefix string
	State  *State
	// MaxRecordBytes caps one record (event.DefaultMaxRecordBytes if zero).
	MaxRecordBytes int
	// Now stamps ingest times (time.Now when nil).
	Now func() time.Time
	// Seen, when set, remembers every object read (key and ETag). Each run
	// then lists a look-back window before the last key of each folder
	// instead of only the keys after it, so an object delivered late (its
	// key sorting before one already read) is still read, and an object
	// already read is not fetched again.
	Seen ObjectLog
	// LookBack is how far before the day of the last key read each run
	// lists again when Seen is set (DefaultLookBack when zero): the
	// previous day's folder by default.
	LookBack time.Duration
}

// ObjectLog records which S3 objects (key and ETag) were read; the event
// index implements it.
type ObjectLog interface {
	ObjectSeen(ctx context.Context, bucket, key, etag string) (bool, error)
	MarkObject(ctx context.Context, bucket, key, etag string) error
}

// DefaultLookBack is the look-back window of S3Source.LookBack.
const DefaultLookBack = 24 * time.Hour

// lookBackStart returns the StartAfter key that re-lists a leaf from the
// day folder lookBack before the day of last (CloudTrail keys put
// YYYY/MM/DD/ right after the region folder); "" lists the whole leaf, and
// last itself is returned when its day cannot be read.
func lookBackStart(leaf, last string, lookBack time.Duration) string {
	rest, ok := strings.CutPrefix(last, leaf)
	if !ok || len(rest) < len("2006/01/02") {
		return last
	}
	day, err := time.Parse("2006/01/02", rest[:len("2006/01/02")])
	if err != nil {
		return last
	}
	from := day.Add(-lookBack).Truncate(24 * time.Hour)
	return leaf + from.Format("2006/01/02") // sorts before every key of that day
}

// ParseS3URL splits s3://bucket/prefix.
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix URL", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q has no bucket", u)
	}
	return bucket, prefix, nil
}

// Run reads every object newer than the state under each account/region
// folder, in key order, hands each object's events to handle, and saves
// the state after each object handled. Problems with one object are
// returned in the error list and the folder's later objects wait for the
// next run (so none is skipped); an error from ctx stops the run.
func (s *S3Source) Run(ctx context.Context, handle Handler) (Stats, []error) {
	var st Stats
	leaves, err := s.leaves(ctx, s.Prefix, 0)
	if err != nil {
		return st, []error{err}
	}
	if len(leaves) == 0 {
		leaves = []string{s.Prefix}
	}
	var errs []error
	for _, leaf := range leaves {
		lst, lerrs := s.readLeaf(ctx, leaf, handle)
		st.add(lst)
		errs = append(errs, lerrs...)
		if err := ctx.Err(); err != nil {
			return st, errs
		}
	}
	return st, errs
}

// leaves lists the account/region folders under prefix.
func (s *S3Source) leaves(ctx context.Context, prefix string, depth int) ([]string, error) {
	if loc := regionLeaf.FindStringIndex(prefix); loc != nil {
		return []string{prefix}, nil
	}
	if depth >= maxDiscoverDepth {
		return nil, nil
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var out []string
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3://%s/%s: list: %w", s.Bucket, prefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			child := aws.ToString(cp.Prefix)
			name := strings.TrimSuffix(strings.TrimPrefix(child, prefix), "/")
			if strings.HasPrefix(name, "CloudTrail-") { // CloudTrail-Digest, CloudTrail-Insight
				continue
			}
			sub, err := s.leaves(ctx, child, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}

// logObject reports whether a key names a CloudTrail log file.
func logObject(key string) bool {
	k := strings.ToLower(key)
	return !strings.Contains(k, "/cloudtrail-digest/") && (strings.HasSuffix(k, ".json.gz") || strings.HasSuffix(k, ".json") ||
		strings.HasSuffix(k, ".jsonl") || strings.HasSuffix(k, ".jsonl.gz"))
}

func (s *S3Source) readLeaf(ctx context.Context, leaf string, handle Handler) (st Stats, errs []error) {
	stateKey := s.Bucket + "/" + leaf
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(leaf)}
	last := s.State.S3[stateKey]
	if last != "" {
		start := last
		if s.Seen != nil {
			lb := s.LookBack
			if lb <= 0 {
				lb = DefaultLookBack
			}
			start = lookBackStart(leaf, last, lb)
		}
		in.StartAfter = aws.String(start)
	}
	p := s3.NewListObjectsV2Paginator(s.Client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return st, append(errs, fmt.Errorf("s3://%s/%s: list: %w", s.Bucket, leaf, err))
		}
		for _, obj := range page.Contents {
			key, etag := aws.ToString(obj.Key), aws.ToString(obj.ETag)
			if logObject(key) {
				if s.Seen != nil {
					seen, err := s.Seen.ObjectSeen(ctx, s.Bucket, key, etag)
					if err != nil {
						return st, append(errs, err)
					}
					if seen {
						continue
					}
				}
				ost, recErrs, err := readObject(ctx, s.Client, ObjectRef{s.Bucket, key}, s.MaxRecordBytes, s.Now, handle)
				st.add(ost)
				errs = append(errs, recErrs...)
				if err != nil {
					return st, append(errs, err)
				}
				if s.Seen != nil {
					if err := s.Seen.MarkObject(ctx, s.Bucket, key, etag); err != nil {
						return st, append(errs, err)
					}
				}
			}
			if key <= s.State.S3[stateKey] {
				continue // a late object inside the look-back window
			}
			s.State.S3[stateKey] = key
			if err := s.State.Save(); err != nil {
				return st, append(errs, err)
			}
		}
	}
	return st, errs
}

// readObject fetches one object, decodes its events and hands them to
// handle. Bad records are counted as skipped and returned in recErrs (the
// object is still done: reading it again would not help); a fetch or
// handler error is returned as err (the object must be read again).
func readObject(ctx context.Context, client *s3.Client, ref ObjectRef, maxRecord int, now func() time.Time, handle Handler) (st Stats, recErrs []error, err error) {
	name := "s3://" + ref.Bucket + "/" + ref.Key
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ref.Bucket), Key: aws.String(ref.Key)})
	if err != nil {
		return st, nil, fmt.Errorf("%s: get: %w", name, err)
	}
	defer out.Body.Close()
	r := event.NewReader(event.Options{MaxRecordBytes: maxRecord, Now: now})
	var evs []*event.Event
	recErrs, stop := r.ReadStream(name, out.Body, func(ev *event.Event) error {
		evs = append(evs, ev)
		return nil
	})
	if stop != nil {
		return st, recErrs, stop
	}
	if err := ctx.Err(); err != nil {
		// A cancelled download looks like a short file: read it again.
		return st, nil, fmt.Errorf("%s: %w", name, err)
	}
	st.Objects = 1
	st.Events = len(evs)
	st.Skipped = r.Stats.Skipped
	if err := handle(ctx, name, evs); err != nil {
		return st, recErrs, fmt.Errorf("%s: %w", name, err)
	}
	return st, recErrs, nil
}
