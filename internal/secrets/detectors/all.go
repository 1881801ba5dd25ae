package detectors

import (
	"fmt"
	"sync"

	"github.com/palisade-sec/palisade/internal/finding"
)

// All returns every built-in detector in a fixed order. The list is explicit
// so a reader sees every detector the engine will run. Each detector
// compiles its pattern the first time it is used: a scan wakes a few dozen
// of the 750, and compiling them all cost 28 MB of allocation and 40 ms at
// every start, which a pre-commit hook pays on each commit. Tests compile
// every pattern (TestEveryPatternCompiles).
func All() []*Detector {
	allOnce.Do(func() {
		groups := [][]Detector{
			cloudDetectors(),    // AWS, GCP, Azure and other clouds
			vcsDetectors(),      // GitHub, GitLab, Bitbucket and CI systems
			keyDetectors(),      // private keys, JWTs, URLs with credentials
			saasDetectors(),     // SaaS APIs a company on AWS typically holds
			longTailDetectors(), // providers identified by a nearby keyword
			genericDetectors(),  // keyword plus entropy, last
		}
		seen := map[string]bool{}
		for _, g := range groups {
			for i := range g {
				d := g[i]
				if seen[d.ID] {
					allErr = fmt.Errorf("duplicate detector id %q", d.ID)
					return
				}
				seen[d.ID] = true
				d.lazy = &lazyCompile{}
				allList = append(allList, &d)
			}
		}
	})
	if allErr != nil {
		// A broken built-in detector is a programming error caught by tests.
		panic(allErr)
	}
	return allList
}

var (
	allOnce sync.Once
	allList []*Detector
	allErr  error
)

// Severity shorthands keep detector tables readable.
const (
	critical = finding.Critical
	high     = finding.High
	medium   = finding.Medium
	low      = finding.Low
	info     = finding.Info
)
