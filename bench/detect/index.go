package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/palisade-sec/palisade/internal/detect/index"
)

// indexBench fills an event index at path with n synthetic CloudTrail
// events and measures insert rate, file size and search latency.
//
// The synthetic set: 30 days, 20 accounts, 5,000 principals whose activity
// follows a Zipf law (a few automation roles make most calls, most
// principals few), one temporary access key per principal per day, event
// times increasing as they do when logs are read in delivery order, 3%
// of calls failing with AccessDenied.
func indexBench(path string, n, batch, queries int, searchOnly bool) error {
	ctx := context.Background()
	if _, err := os.Stat(path); err == nil && !searchOnly {
		return fmt.Errorf("%s exists: the benchmark fills a new index (or give -search-only)", path)
	}
	ix, err := index.OpenWith(ctx, path, index.Options{CacheMB: 1024, Bulk: true})
	if err != nil {
		return err
	}
	defer ix.Close()
	g := newSynth(42)
	if searchOnly {
		return searchBench(ctx, ix, g, queries)
	}
	start, startCPU := time.Now(), cpuTime()
	recs := make([]index.Record, 0, batch)
	lastReport := start
	for i := 0; i < n; i++ {
		recs = append(recs, g.record(i, n))
		if len(recs) == batch || i == n-1 {
			if _, err := ix.AddRecords(ctx, recs); err != nil {
				return err
			}
			recs = recs[:0]
			if time.Since(lastReport) > 30*time.Second {
				lastReport = time.Now()
				fmt.Fprintf(os.Stderr, "  %d events, %.0f events/s\n", i+1, float64(i+1)/time.Since(start).Seconds())
			}
		}
	}
	took, tookCPU := time.Since(start), cpuTime()-startCPU
	// Re-adding a batch stores nothing: eventID dedup.
	dupStart := time.Now()
	g2 := newSynth(42)
	var again []index.Record
	for i := 0; i < batch; i++ {
		again = append(again, g2.record(i, n))
	}
	added, err := ix.AddRecords(ctx, again)
	if err != nil {
		return err
	}
	dupTook := time.Since(dupStart)
	count, err := ix.Count(ctx)
	if err != nil {
		return err
	}
	size := fileSize(path) + fileSize(path+"-wal")
	fmt.Printf("index: %d events in %.1fs wall = %.0f events/s (%.0f events/CPU-s, batches of %d); re-adding %d stored events added %d in %s\n",
		count, took.Seconds(), float64(n)/took.Seconds(), float64(n)/tookCPU.Seconds(), batch, batch, added, dupTook.Round(time.Millisecond))
	fmt.Printf("index: file %.2f GB (%.0f bytes/event, raw JSON %.0f bytes/event)\n",
		float64(size)/1e9, float64(size)/float64(count), g.rawBytes/float64(n))

	return searchBench(ctx, ix, g, queries)
}

// searchBench runs random searches of each kind on an index filled by
// indexBench with the same synthetic generator.
func searchBench(ctx context.Context, ix *index.Index, g *synth, queries int) error {
	q := g.firstDay
	plan, err := ix.Plan(ctx, index.Query{Principal: g.principals[0], From: q, To: q.Add(24 * time.Hour)})
	if err != nil {
		return err
	}
	fmt.Printf("plan (principal, 1 day): %q\n", plan)

	rng := rand.New(rand.NewPCG(7, 7))
	kinds := []struct {
		name string
		make func() index.Query
	}{
		{"principal (Zipf-weighted), random 1-day window, limit 1000", func() index.Query {
			from := g.firstDay.Add(time.Duration(rng.Int64N(int64(29 * 24 * time.Hour))))
			return index.Query{Principal: g.principals[g.zipf.Uint64()], From: from, To: from.Add(24 * time.Hour), Limit: 1000}
		}},
		{"same as the first, with each event's JSON (--format json)", func() index.Query {
			from := g.firstDay.Add(time.Duration(rng.Int64N(int64(29 * 24 * time.Hour))))
			return index.Query{Principal: g.principals[g.zipf.Uint64()], From: from, To: from.Add(24 * time.Hour), Limit: 1000, WithRaw: true}
		}},
		{"principal (uniform), random 7-day window, limit 1000", func() index.Query {
			from := g.firstDay.Add(time.Duration(rng.Int64N(int64(23 * 24 * time.Hour))))
			return index.Query{Principal: g.principals[rng.IntN(len(g.principals))], From: from, To: from.Add(7 * 24 * time.Hour), Limit: 1000}
		}},
		{"principal (Zipf) + event name + AccessDenied, 30 days", func() index.Query {
			return index.Query{Principal: g.principals[g.zipf.Uint64()], From: g.firstDay, To: g.firstDay.Add(30 * 24 * time.Hour),
				EventName: eventNames[rng.IntN(len(eventNames))].name, ErrorCode: "AccessDenied", Limit: 1000}
		}},
		{"access key id, its whole day", func() index.Query {
			p, d := rng.IntN(len(g.principals)), rng.IntN(30)
			from := g.firstDay.Add(time.Duration(d) * 24 * time.Hour)
			return index.Query{Principal: keyFor(p, d), From: from, To: from.Add(24 * time.Hour), Limit: 1000}
		}},
	}
	for _, k := range kinds {
		lat := make([]time.Duration, 0, queries)
		rows := 0
		for i := 0; i < queries; i++ {
			qq := k.make()
			t0 := time.Now()
			res, err := ix.Search(ctx, qq)
			if err != nil {
				return err
			}
			lat = append(lat, time.Since(t0))
			rows += len(res)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		fmt.Printf("search %-58s %5d queries  p50 %7.2fms  p99 %7.2fms  max %7.2fms  mean rows %.0f\n", k.name, queries,
			ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1]), float64(rows)/float64(queries))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

type weightedName struct {
	source, name string
}

var eventNames = []weightedName{
	{"s3.amazonaws.com", "GetObject"}, {"s3.amazonaws.com", "PutObject"}, {"sts.amazonaws.com", "AssumeRole"},
	{"kms.amazonaws.com", "Decrypt"}, {"ec2.amazonaws.com", "DescribeInstances"}, {"iam.amazonaws.com", "ListRoles"},
	{"lambda.amazonaws.com", "Invoke"}, {"dynamodb.amazonaws.com", "GetItem"}, {"logs.amazonaws.com", "PutLogEvents"},
	{"secretsmanager.amazonaws.com", "GetSecretValue"}, {"ssm.amazonaws.com", "GetParameter"}, {"iam.amazonaws.com", "CreateAccessKey"},
}

var regions = []string{"us-east-1", "us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}

// synth generates the synthetic event stream deterministically.
type synth struct {
	rng        *rand.Rand
	zipf       *rand.Zipf
	principals []string
	accounts   []string
	firstDay   time.Time
	rawBytes   float64
}

func newSynth(seed uint64) *synth {
	rng := rand.New(rand.NewPCG(seed, seed))
	s := &synth{rng: rng, firstDay: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
	for a := 0; a < 20; a++ {
		s.accounts = append(s.accounts, fmt.Sprintf("%012d", 100000000000+a*7919))
	}
	for p := 0; p < 5000; p++ {
		acct := s.accounts[p%len(s.accounts)]
		switch p % 4 {
		case 0:
			s.principals = append(s.principals, fmt.Sprintf("arn:aws:iam::%s:user/user-%04d", acct, p))
		default:
			s.principals = append(s.principals, fmt.Sprintf("arn:aws:sts::%s:assumed-role/role-%04d/session-%04d", acct, p, p))
		}
	}
	s.zipf = rand.NewZipf(rng, 1.2, 1, uint64(len(s.principals)-1))
	return s
}

// keyFor is the temporary access key of principal p on day d.
func keyFor(p, d int) string { return fmt.Sprintf("ASIA%06dD%02dXXXXXX", p, d) }

func (s *synth) record(i, n int) index.Record {
	span := 30 * 24 * time.Hour
	at := s.firstDay.Add(time.Duration(math.Floor(float64(span) * float64(i) / float64(n))))
	p := int(s.zipf.Uint64())
	principal := s.principals[p]
	day := int(at.Sub(s.firstDay) / (24 * time.Hour))
	key := keyFor(p, day)
	acct := s.accounts[p%len(s.accounts)]
	en := eventNames[s.rng.IntN(len(eventNames))]
	region := regions[s.rng.IntN(len(regions))]
	errCode := ""
	if s.rng.IntN(100) < 3 {
		errCode = "AccessDenied"
	}
	id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", s.rng.Uint32(), s.rng.Uint32()&0xffff, s.rng.Uint32()&0xffff,
		s.rng.Uint32()&0xffff, s.rng.Uint64()&0xffffffffffff)
	ip := fmt.Sprintf("10.%d.%d.%d", p%250, (p/250)%250, s.rng.IntN(250))
	raw := fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA%06d:session","arn":%q,"accountId":%q,"accessKeyId":%q},"eventTime":%q,"eventSource":%q,"eventName":%q,"awsRegion":%q,"sourceIPAddress":%q,"userAgent":"aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22","errorCode":%q,"requestParameters":{"bucketName":"data-%d"},"responseElements":null,"requestID":"%016X","eventID":%q,"readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":%q,"eventCategory":"Management"}`,
		p, principal, acct, key, at.Format(time.RFC3339), en.source, en.name, region, ip, errCode, p%50, s.rng.Uint64(), id, acct)
	s.rawBytes += float64(len(raw))
	return index.Record{EventID: id, Principal: principal, AccessKeyID: key, Time: at, Account: acct, Region: region,
		Source: en.source, Name: en.name, ErrorCode: errCode, SourceIP: ip, Raw: raw}
}
