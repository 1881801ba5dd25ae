// Package detect runs detections over AWS security events: the built-in
// detections written in Go and Sigma rules (package sigma), with
// correlation, alert deduplication, suppressions and alert sinks.
//
// A typical use:
//
//	rules, errs := detect.LoadRules(dirs)
//	eng := detect.NewEngine(detect.Config{Rules: rules, Builtins: detect.Builtins(detect.BuiltinConfig{})})
//	stats, errs := eng.Run(ctx, paths, func(a detect.Alert) { alerts = append(alerts, a) })
//	detect.WriteJSON(os.Stdout, alerts)
package detect

import (
	"time"

	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/sigma"
	"github.com/palisade-sec/palisade/internal/finding"
)

// Detection is a built-in detection: Go code with its metadata and its own
// example events.
type Detection struct {
	ID        string
	Title     string
	Severity  finding.Severity
	Attack    []string
	Checklist string
	// Remediation tells the person triaging the alert what to check and
	// how to contain it; it becomes the stored finding's remediation.
	Remediation string
	// Match reports whether one event is of interest.
	Match func(ev *event.Event) bool
	// Burst, when set, raises an alert only when enough matching events
	// share a key within a window; otherwise every match is an alert.
	Burst *Burst
	// Positive and Negative are example inputs, each one or more JSON
	// events separated by newlines: a positive one must raise an alert,
	// a negative one must not.
	Positive []string
	Negative []string
}

// Burst turns single matches into an alert on a count within a window.
type Burst struct {
	// Key groups matches (for example by principal).
	Key func(ev *event.Event) string
	// Distinct, when set, counts distinct values instead of events.
	Distinct  func(ev *event.Event) string
	Threshold int
	Window    time.Duration
}

// correlation returns the Sigma correlation equivalent of the burst, so one
// evaluator serves both.
func (b *Burst) correlation() *sigma.Correlation {
	c := &sigma.Correlation{Type: "event_count", Op: "gte", Count: b.Threshold, Timespan: b.Window}
	if b.Distinct != nil {
		c.Type = "value_count"
		c.Field = "distinct"
	}
	return c
}

// BuiltinConfig tunes the built-in detections.
type BuiltinConfig struct {
	// PipelineRoles are the ARNs (or ARN globs with *) of the roles allowed
	// to change infrastructure; when set, changes by anyone else alert.
	PipelineRoles []string
	// AccessDeniedThreshold and AccessDeniedWindow set the AccessDenied
	// burst (defaults 5 in 10 minutes).
	AccessDeniedThreshold int
	AccessDeniedWindow    time.Duration
	// UnusualInstanceTypes are EC2 instance type prefixes that alert when
	// launched (defaults to GPU and accelerated families).
	UnusualInstanceTypes []string
}
