// Command detect measures detection throughput in events per CPU-second:
// it replicates the CloudTrail corpus in memory with fresh eventIDs, then
// decodes, deduplicates and runs the detections on every copy. With -index
// it instead fills a new event index with synthetic events and measures
// insert rate, file size and search latency.
//
//	go run ./bench/detect [-n 200000] [-corpora ../shared/corpora]
//	go run ./bench/detect -index /tmp/events.db [-index-n 10000000] [-queries 1000]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/sigma"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func main() {
	n := flag.Int("n", 200000, "events to run per configuration")
	root := flag.String("corpora", "", "corpora root (default $PALISADE_CORPORA or ../shared/corpora)")
	profile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	indexPath := flag.String("index", "", "fill a new event index at this path and measure search latency")
	indexN := flag.Int("index-n", 10000000, "synthetic events to put in the -index file")
	batch := flag.Int("batch", 20000, "events per insert transaction for -index")
	queries := flag.Int("queries", 1000, "searches per query kind for -index")
	searchOnly := flag.Bool("search-only", false, "with -index: only run the searches on an index the benchmark filled before")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *indexPath != "" {
		if err := indexBench(*indexPath, *indexN, *batch, *queries, *searchOnly); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		return
	}
	if *root == "" {
		*root = os.Getenv("PALISADE_CORPORA")
	}
	if *root == "" {
		*root = filepath.Join("..", "shared", "corpora")
	}
	if err := run(*root, *n); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(root string, n int) error {
	logs := filepath.Join(root, "cloudtrail", "logs")
	var corpus []*event.Event
	r := event.NewReader(event.Options{})
	errs := r.Read(context.Background(), []string{filepath.Join(logs, "sans504-s3-ransomware"), filepath.Join(logs, "stratus-red-team")}, func(ev *event.Event) error {
		corpus = append(corpus, ev)
		return nil
	})
	if len(errs) > 0 {
		return fmt.Errorf("read corpus: %v", errs[0])
	}
	// Reading from files: gunzip, split, decode and dedup the SANS 504 set.
	startCPU := cpuTime()
	fr := event.NewReader(event.Options{})
	if errs := fr.Read(context.Background(), []string{filepath.Join(logs, "sans504-s3-ransomware")}, func(*event.Event) error { return nil }); len(errs) > 0 {
		return fmt.Errorf("read sans504: %v", errs[0])
	}
	cpu := cpuTime() - startCPU
	fmt.Printf("%-40s %8d records cpu %6.2fs  %9.0f records/CPU-s (%d files, %d unique events)\n",
		"read .json.gz files (sans504)", fr.Stats.Records, cpu.Seconds(), float64(fr.Stats.Records)/cpu.Seconds(), fr.Stats.Files, fr.Stats.Events)

	// Replicate with new eventIDs: each copy is a distinct raw record.
	raws := make([]string, 0, n)
	bytesTotal := 0
	for i := 0; len(raws) < n; i++ {
		ev := corpus[i%len(corpus)]
		id := `"` + ev.ID + `"`
		raw := strings.Replace(ev.Raw, id, `"`+ev.ID+"-r"+strconv.Itoa(i/len(corpus))+`"`, 1)
		raws = append(raws, raw)
		bytesTotal += len(raw)
	}
	fmt.Printf("corpus: %d unique events (sans504 + stratus), replicated to %d events, %.1f MB of JSON, GOMAXPROCS=%d\n",
		len(corpus), len(raws), float64(bytesTotal)/1e6, runtime.GOMAXPROCS(0))

	rulesDir := filepath.Join(root, "cloudtrail", "rules")
	sigmaHQ, errs := sigma.Load([]string{filepath.Join(rulesDir, "sigmahq-aws")})
	if len(errs) > 0 {
		return fmt.Errorf("load sigmahq: %v", errs[0])
	}
	suzaku, errs := sigma.Load([]string{filepath.Join(rulesDir, "suzaku-aws")})
	if len(errs) > 0 {
		return fmt.Errorf("load suzaku: %v", errs[0])
	}
	configs := []struct {
		name string
		cfg  detect.Config
	}{
		{"decode only", detect.Config{}},
		{"built-ins (36)", detect.Config{Builtins: detect.Builtins(detect.BuiltinConfig{})}},
		{fmt.Sprintf("SigmaHQ (%d rules)", len(sigmaHQ.Rules)), detect.Config{Rules: sigmaHQ}},
		{"SigmaHQ + built-ins", detect.Config{Rules: sigmaHQ, Builtins: detect.Builtins(detect.BuiltinConfig{})}},
		{fmt.Sprintf("Suzaku (%d rules, %d correlations)", len(suzaku.Rules), len(suzaku.Correlations)), detect.Config{Rules: suzaku}},
	}
	for _, c := range configs {
		runtime.GC()
		eng := detect.NewEngine(c.cfg)
		seen := make(map[string]struct{}, len(raws))
		alerts := 0
		startCPU, startWall := cpuTime(), time.Now()
		for _, raw := range raws {
			ev, err := event.Decode(raw)
			if err != nil {
				return err
			}
			if _, dup := seen[ev.ID]; dup {
				continue
			}
			seen[ev.ID] = struct{}{}
			eng.Observe(ev)
		}
		eng.Flush(func(detect.Alert) { alerts++ })
		cpu, wall := cpuTime()-startCPU, time.Since(startWall)
		fmt.Printf("%-40s %8d events  cpu %6.2fs  wall %6.2fs  %9.0f events/CPU-s  %6d alerts\n",
			c.name, len(raws), cpu.Seconds(), wall.Seconds(), float64(len(raws))/cpu.Seconds(), alerts)
	}
	return nil
}
