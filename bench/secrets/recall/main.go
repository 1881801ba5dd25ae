// Command recall measures palisade's secret detectors on the labelled corpus
// (../shared/corpora/secrets/cases.jsonl): recall on the `secret` cases and
// the share of `none` cases flagged, per origin tool, through the real engine
// with its default settings.
//
//	go run ./bench/secrets/recall [-corpus FILE] [-misses ORIGIN|none]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/palisade-sec/palisade/internal/secrets"
)

type corpusCase struct {
	Text   string `json:"text"`
	Expect string `json:"expect"`
	Kind   string `json:"kind"`
	Origin string `json:"origin_tool"`
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "recall:", err)
		os.Exit(2)
	}
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("recall", flag.ContinueOnError)
	corpus := fs.String("corpus", filepath.Join("..", "shared", "corpora", "secrets", "cases.jsonl"), "labelled cases (JSON lines)")
	misses := fs.String("misses", "", "list missed cases of this origin, or `none` to list flagged none cases")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*corpus)
	if err != nil {
		return err
	}
	defer f.Close()
	e := secrets.New(secrets.Options{HashKey: []byte("bench"), DecodeDepth: 2})
	type tally struct{ secret, found, none, flagged int }
	tallies := map[string]*tally{}
	var listed []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	var cases []corpusCase
	secretTexts := map[string]bool{}
	for line := 1; sc.Scan(); line++ {
		var c corpusCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return fmt.Errorf("%s:%d: %w", *corpus, line, err)
		}
		cases = append(cases, c)
		if c.Expect == "secret" {
			secretTexts[c.Text] = true
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	dupNone := 0
	for i, c := range cases {
		line := i + 1
		// A none label holds for its own rule; a text labelled a secret
		// elsewhere (a sibling rule's real key) is not noise.
		if c.Expect != "secret" && secretTexts[c.Text] {
			dupNone++
			continue
		}
		t := tallies[c.Origin]
		if t == nil {
			t = &tally{}
			tallies[c.Origin] = t
		}
		var rules []string
		e.ScanText([]byte(c.Text), func(h secrets.Hit) {
			if !h.Ignored {
				rules = append(rules, h.Detector.ID)
			}
		})
		if c.Expect == "secret" {
			t.secret++
			if len(rules) > 0 {
				t.found++
			} else if *misses == c.Origin {
				listed = append(listed, fmt.Sprintf("miss %s %s line %d", c.Origin, c.Kind, line))
			}
			continue
		}
		t.none++
		if len(rules) > 0 {
			t.flagged++
			if *misses == "none" {
				listed = append(listed, fmt.Sprintf("flag %s %s line %d by %v", c.Origin, c.Kind, line, rules))
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "origin\tsecret cases\tdetected\trecall\tnone cases\tflagged\tflag rate\t")
	origins := make([]string, 0, len(tallies))
	for o := range tallies {
		origins = append(origins, o)
	}
	sort.Strings(origins)
	for _, o := range origins {
		t := tallies[o]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%d\t%d\t%.1f%%\t\n", o, t.secret, t.found, pct(t.found, t.secret), t.none, t.flagged, pct(t.flagged, t.none))
	}
	tw.Flush()
	fmt.Fprintf(w, "detectors: %d; %d none cases left out because the same text is labelled a secret elsewhere\n", len(e.Detectors()), dupNone)
	sort.Strings(listed)
	for _, l := range listed {
		fmt.Fprintln(w, l)
	}
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
