package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/smtp"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/palisade-sec/palisade/internal/detect"
	"github.com/palisade-sec/palisade/internal/detect/event"
	"github.com/palisade-sec/palisade/internal/detect/index"
	"github.com/palisade-sec/palisade/internal/detect/ingest"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/regular"
)

func newEventsCmd(a *App, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Index, search and ingest CloudTrail events and GuardDuty findings",
		Long: `The event index is a SQLite file of its own (default palisade-events.db beside the store,
or $PALISADE_EVENTS) holding each event once by eventID, searchable by principal and time.`,
	}
	var indexPath string
	cmd.PersistentFlags().StringVar(&indexPath, "index", "", "event index file (default $PALISADE_EVENTS or palisade-events.db beside the store)")
	resolve := func() string { return eventsIndexPath(a, g, indexPath) }
	cmd.AddCommand(newEventsIndexCmd(a, resolve), newEventsSearchCmd(a, resolve), newEventsIngestCmd(a, g, resolve))
	return cmd
}

// eventsIndexPath resolves the index file: --index, $PALISADE_EVENTS, then
// palisade-events.db in the folder of a SQLite store (the working folder
// for PostgreSQL).
func eventsIndexPath(a *App, g *globalFlags, flag string) string {
	if flag != "" {
		return abs(a, []string{flag})[0]
	}
	if v := a.Getenv("PALISADE_EVENTS"); v != "" {
		return abs(a, []string{v})[0]
	}
	dir := a.Dir
	if dsn := g.dsn(a); !strings.Contains(dsn, "://") {
		dir = filepath.Dir(abs(a, []string{strings.TrimPrefix(dsn, "file:")})[0])
	}
	return filepath.Join(dir, "palisade-events.db")
}

// indexBatch is how many events go into one index transaction.
const indexBatch = 5000

func newEventsIndexCmd(a *App, indexPath func() string) *cobra.Command {
	return &cobra.Command{
		Use:   "index PATH...",
		Short: "Add CloudTrail logs and GuardDuty findings (files or folders) to the event index",
		Long: `Index reads the same inputs as palisade detect and stores each event once by eventID:
indexing the same logs again adds nothing.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, paths []string) error {
			ctx := cmd.Context()
			path := indexPath()
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return fmt.Errorf("event index: %w", err)
			}
			ix, err := index.Open(ctx, path)
			if err != nil {
				return err
			}
			defer ix.Close()
			r := event.NewReader(event.Options{Now: a.Now})
			var batch []*event.Event
			added := 0
			flush := func() error {
				n, err := ix.Add(ctx, batch)
				added += n
				batch = batch[:0]
				return err
			}
			errs := r.Read(ctx, abs(a, paths), func(ev *event.Event) error {
				batch = append(batch, ev)
				if len(batch) == indexBatch {
					return flush()
				}
				return nil
			})
			for _, e := range errs {
				fmt.Fprintf(a.Stderr, "palisade: skipped: %v\n", e)
			}
			if err := flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.Stdout, "indexed %d new events (%d read, %d already indexed) from %d files into %s\n",
				added, r.Stats.Events, r.Stats.Events-added, r.Stats.Files, path)
			return err
		},
	}
}

// parseTimeFlag reads RFC 3339, a date (UTC midnight), or a duration
// meaning that long before now ("24h").
func parseTimeFlag(a *App, name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return a.Now().Add(-d), nil
	}
	return time.Time{}, usageErrorf("--%s %q: want RFC 3339 (2024-05-01T10:00:00Z), a date (2024-05-01) or a duration ago (24h)", name, v)
}

func newEventsSearchCmd(a *App, indexPath func() string) *cobra.Command {
	var q index.Query
	var from, to, format string
	cmd := &cobra.Command{
		Use:   "search --principal ARN|ACCESS_KEY_ID [--from T] [--to T]",
		Short: "Search the event index by principal (or access key id) and time window",
		Long: `Search lists the events of one principal, oldest first. --principal takes a principal ARN,
an ARN prefix ending in * (arn:aws:sts::111122223333:assumed-role/deploy/*), or an access key id
(AKIA.../ASIA...). --from is inclusive, --to exclusive; both take RFC 3339, a date, or a
duration ago (24h).

Exit status: 0 when events were found, 1 when none matched, 2 on a usage or runtime error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.Principal == "" {
				return usageErrorf("--principal is required")
			}
			if format != "table" && format != "json" {
				return usageErrorf("unknown --format %q (want table or json)", format)
			}
			if q.Limit < 0 || q.Limit > 100000 {
				return usageErrorf("--limit %d: want 1 to 100000", q.Limit)
			}
			var err error
			if q.From, err = parseTimeFlag(a, "from", from); err != nil {
				return err
			}
			if q.To, err = parseTimeFlag(a, "to", to); err != nil {
				return err
			}
			if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
				return usageErrorf("--from must be before --to")
			}
			path := indexPath()
			if _, err := os.Stat(path); err != nil {
				return fmt.Errorf("event index %s: %w (run palisade events index or ingest first)", path, err)
			}
			ix, err := index.Open(cmd.Context(), path)
			if err != nil {
				return err
			}
			defer ix.Close()
			q.WithRaw = format == "json"
			rows, err := ix.Search(cmd.Context(), q)
			if err != nil {
				return err
			}
			if format == "json" {
				err = writeEventsJSON(a.Stdout, rows)
			} else {
				err = writeEventsTable(a.Stdout, rows)
			}
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return &exitError{code: ExitFindings}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&q.Principal, "principal", "", "principal ARN, ARN prefix ending in *, or access key id")
	fl.StringVar(&from, "from", "", "start of the window (inclusive)")
	fl.StringVar(&to, "to", "", "end of the window (exclusive)")
	fl.StringVar(&q.Account, "account", "", "only events of this AWS account")
	fl.StringVar(&q.Region, "region", "", "only events in this region")
	fl.StringVar(&q.EventName, "event-name", "", "only events with this eventName")
	fl.StringVar(&q.ErrorCode, "error-code", "", "only events with this errorCode (AccessDenied, ...)")
	fl.StringVar(&format, "format", "table", "output format: table or json")
	fl.IntVar(&q.Limit, "limit", 1000, "at most this many events")
	return cmd
}

// eventOut is one search result in JSON: the indexed fields and the event.
type eventOut struct {
	index.Row
	Event json.RawMessage `json:"event"`
}

func writeEventsJSON(w io.Writer, rows []index.Row) error {
	out := make([]eventOut, 0, len(rows))
	for _, r := range rows {
		raw := json.RawMessage(r.Raw)
		if !json.Valid(raw) {
			raw = json.RawMessage("null")
		}
		out = append(out, eventOut{Row: r, Event: raw})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Events []eventOut `json:"events"`
	}{out})
}

func writeEventsTable(w io.Writer, rows []index.Row) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No events.")
		return err
	}
	for _, r := range rows {
		result := "ok"
		if r.ErrorCode != "" {
			result = r.ErrorCode
		}
		if _, err := fmt.Fprintf(w, "%s  %-12s %-14s %-40s %-16s %-15s %s\n", r.Time.Format(time.RFC3339), r.Account, r.Region,
			oneLine(strings.TrimSuffix(r.Source, ".amazonaws.com")+":"+r.Name), result, r.SourceIP, r.EventID); err != nil {
			return err
		}
	}
	return nil
}

// ingestFlags are the options of palisade events ingest.
type ingestFlags struct {
	s3URLs, guardDutyRegions         []string
	sqsURL, state                    string
	maxMessages                      int
	wait                             time.Duration
	region, endpoint                 string
	noIndex, noStore                 bool
	rulesDirs, pipelineRoles         []string
	noBuiltin                        bool
	minSeverity, suppressions        string
	format, output                   string
	webhook, webhookSecretEnv, slack string
	smtpAddr, smtpFrom, smtpUser     string
	smtpPasswordEnv                  string
	smtpTo                           []string
}

func newEventsIngestCmd(a *App, g *globalFlags, indexPath func() string) *cobra.Command {
	var f ingestFlags
	cmd := &cobra.Command{
		Use:   "ingest --s3 s3://BUCKET/PREFIX | --sqs QUEUE_URL | --guardduty-regions R1,R2",
		Short: "Read events from AWS (S3, SQS, GuardDuty), raise alerts once per event and index the events",
		Long: `Ingest reads CloudTrail log objects from S3 (organization-trail or account layout; only objects
newer than the last run, remembered in --state), S3/SNS/EventBridge notifications from an SQS
queue (a message is deleted only after its objects were processed), and GuardDuty findings
through the API in each --guardduty-regions region. Events already in the index are skipped,
so alerts are raised once per event however often an input is delivered. Alerts are recorded
as findings of category detection in the store (--db; target aws-detections; --no-store to
skip), then go to stdout and to every sink given (--webhook, --slack-webhook, --smtp-addr).

AWS credentials and region come from the usual SDK chain (environment, profile, SSO, instance
role); --aws-endpoint-url points at an emulator.

Exit status: 0 when no alert was raised, 1 when one was, 2 on a usage or runtime error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIngest(cmd.Context(), a, g, indexPath, f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.s3URLs, "s3", nil, "read CloudTrail logs under s3://BUCKET/PREFIX (repeatable)")
	fl.StringVar(&f.state, "state", "", "file remembering the last S3 key and GuardDuty update read (default palisade-ingest-state.json beside the index)")
	fl.StringVar(&f.sqsURL, "sqs", "", "consume S3 object notifications and EventBridge events from this SQS queue URL")
	fl.IntVar(&f.maxMessages, "max-messages", 0, "stop after this many SQS messages (0: no limit)")
	fl.DurationVar(&f.wait, "wait", 0, "stop when no SQS message arrived for this long (0: keep waiting)")
	fl.StringSliceVar(&f.guardDutyRegions, "guardduty-regions", nil, "poll GuardDuty findings in these regions (comma-separated)")
	fl.StringVar(&f.region, "region", "", "AWS region for S3 and SQS (default from the SDK: $AWS_REGION, profile)")
	fl.StringVar(&f.endpoint, "aws-endpoint-url", "", "AWS endpoint (an emulator); default the SDK's, or $AWS_ENDPOINT_URL")
	fl.BoolVar(&f.noIndex, "no-index", false, "do not index events (dedup only within this run)")
	addDetectionFlags(fl, &f)
	fl.StringVar(&f.format, "format", "json", "stdout: json (at the end), jsonl (each alert as raised) or table (with time-to-identify)")
	fl.StringVarP(&f.output, "output", "o", "", "write alerts to FILE instead of stdout")
	addSinkFlags(fl, &f)
	return cmd
}

// addDetectionFlags registers the flags that choose and tune detections,
// shared by palisade detect and palisade events ingest.
func addDetectionFlags(fl *pflag.FlagSet, f *ingestFlags) {
	fl.StringArrayVar(&f.rulesDirs, "rules", nil, "a folder of Sigma rules (repeatable)")
	fl.BoolVar(&f.noBuiltin, "no-builtin", false, "turn off the built-in detections")
	fl.StringVar(&f.minSeverity, "min-severity", "info", "drop alerts below this severity")
	fl.StringVar(&f.suppressions, "suppressions", "", "YAML file of suppressions (rule_id, reason, expires)")
	fl.StringArrayVar(&f.pipelineRoles, "pipeline-role", nil, "ARN (or glob) of a role allowed to change infrastructure; changes by others alert (repeatable)")
	fl.BoolVar(&f.noStore, "no-store", false, "do not record alerts as findings in the store")
}

// addSinkFlags registers the alert destinations, shared by palisade detect
// and palisade events ingest.
func addSinkFlags(fl *pflag.FlagSet, f *ingestFlags) {
	fl.StringVar(&f.webhook, "webhook", "", "POST alerts, HMAC-signed, to this URL")
	fl.StringVar(&f.webhookSecretEnv, "webhook-secret-env", "", "environment variable holding the webhook signing secret")
	fl.StringVar(&f.slack, "slack-webhook", "", "post alerts to this Slack incoming-webhook URL")
	fl.StringVar(&f.smtpAddr, "smtp-addr", "", "mail alerts through this SMTP relay (host:port)")
	fl.StringVar(&f.smtpFrom, "smtp-from", "", "sender address of alert mail")
	fl.StringArrayVar(&f.smtpTo, "smtp-to", nil, "recipient of alert mail (repeatable)")
	fl.StringVar(&f.smtpUser, "smtp-user", "", "SMTP user (PLAIN auth; needs --smtp-password-env)")
	fl.StringVar(&f.smtpPasswordEnv, "smtp-password-env", "", "environment variable holding the SMTP password")
}

// detectConfig builds the engine configuration shared with palisade detect.
func (f ingestFlags) detectConfig(a *App) (detect.Config, error) {
	minSev, err := finding.ParseSeverity(f.minSeverity)
	if err != nil {
		return detect.Config{}, usageErrorf("--min-severity: %v", err)
	}
	cfg := detect.Config{MinSeverity: minSev, Now: a.Now}
	if len(f.rulesDirs) > 0 {
		rules, errs := detect.LoadRules(abs(a, f.rulesDirs))
		for _, e := range errs {
			fmt.Fprintf(a.Stderr, "palisade: rule skipped: %v\n", e)
		}
		cfg.Rules = rules
	}
	if !f.noBuiltin {
		cfg.Builtins = detect.Builtins(detect.BuiltinConfig{PipelineRoles: f.pipelineRoles})
	}
	if f.suppressions != "" {
		data, err := regular.ReadFile(abs(a, []string{f.suppressions})[0])
		if err != nil {
			return cfg, fmt.Errorf("suppressions: %w", err)
		}
		if cfg.Suppressions, err = detect.ParseSuppressions(f.suppressions, data); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// sinks builds the alert sinks the flags ask for.
func (f ingestFlags) sinks(a *App) ([]detect.Sink, error) {
	var out []detect.Sink
	if f.webhook != "" {
		if f.webhookSecretEnv == "" {
			return nil, usageErrorf("--webhook needs --webhook-secret-env VAR naming the signing secret")
		}
		secret := a.Getenv(f.webhookSecretEnv)
		if secret == "" {
			return nil, usageErrorf("--webhook-secret-env: $%s is empty", f.webhookSecretEnv)
		}
		if !strings.HasPrefix(f.webhook, "https://") && !strings.HasPrefix(f.webhook, "http://") {
			return nil, usageErrorf("--webhook %q is not an http(s) URL", f.webhook)
		}
		out = append(out, detect.Webhook{URL: f.webhook, Secret: []byte(secret), Now: a.Now})
	} else if f.webhookSecretEnv != "" {
		return nil, usageErrorf("--webhook-secret-env without --webhook")
	}
	if f.slack != "" {
		if !strings.HasPrefix(f.slack, "https://") && !strings.HasPrefix(f.slack, "http://") {
			return nil, usageErrorf("--slack-webhook %q is not an http(s) URL", f.slack)
		}
		out = append(out, detect.Slack{WebhookURL: f.slack})
	}
	if f.smtpAddr != "" {
		if f.smtpFrom == "" || len(f.smtpTo) == 0 {
			return nil, usageErrorf("--smtp-addr needs --smtp-from and --smtp-to")
		}
		s := detect.SMTP{Addr: f.smtpAddr, From: f.smtpFrom, To: f.smtpTo}
		if f.smtpUser != "" {
			if f.smtpPasswordEnv == "" || a.Getenv(f.smtpPasswordEnv) == "" {
				return nil, usageErrorf("--smtp-user needs --smtp-password-env VAR holding the password")
			}
			host, _, _ := strings.Cut(f.smtpAddr, ":")
			s.Auth = smtp.PlainAuth("", f.smtpUser, a.Getenv(f.smtpPasswordEnv), host)
		}
		out = append(out, s)
	} else if f.smtpFrom != "" || len(f.smtpTo) > 0 || f.smtpUser != "" {
		return nil, usageErrorf("--smtp-from, --smtp-to and --smtp-user need --smtp-addr")
	}
	return out, nil
}

// awsConfig loads the SDK configuration, taking region, static
// credentials and endpoint from the App's environment when set there.
func awsConfig(ctx context.Context, a *App, region, endpoint string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	for _, v := range []string{region, a.Getenv("AWS_REGION"), a.Getenv("AWS_DEFAULT_REGION")} {
		if v != "" {
			opts = append(opts, config.WithRegion(v))
			break
		}
	}
	if id := a.Getenv("AWS_ACCESS_KEY_ID"); id != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(
			id, a.Getenv("AWS_SECRET_ACCESS_KEY"), a.Getenv("AWS_SESSION_TOKEN"))))
	}
	if endpoint == "" {
		endpoint = a.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

func runIngest(ctx context.Context, a *App, g *globalFlags, indexPath func() string, f ingestFlags) error {
	if len(f.s3URLs) == 0 && f.sqsURL == "" && len(f.guardDutyRegions) == 0 {
		return usageErrorf("give at least one of --s3, --sqs, --guardduty-regions")
	}
	if f.format != "json" && f.format != "jsonl" && f.format != "table" {
		return usageErrorf("unknown --format %q (want json, jsonl or table)", f.format)
	}
	if f.maxMessages < 0 || f.wait < 0 {
		return usageErrorf("--max-messages and --wait must not be negative")
	}
	if f.sqsURL == "" && (f.maxMessages > 0 || f.wait > 0) {
		return usageErrorf("--max-messages and --wait need --sqs")
	}
	type s3Target struct{ bucket, prefix string }
	var targets []s3Target
	for _, u := range f.s3URLs {
		b, p, err := ingest.ParseS3URL(u)
		if err != nil {
			return usageErrorf("--s3: %v", err)
		}
		targets = append(targets, s3Target{b, p})
	}
	cfg, err := f.detectConfig(a)
	if err != nil {
		return err
	}
	sinks, err := f.sinks(a)
	if err != nil {
		return err
	}
	var rec *alertRecorder
	if !f.noStore {
		s, err := g.openStore(ctx, a)
		if err != nil {
			return err
		}
		defer s.Close()
		rec = &alertRecorder{store: s, now: a.Now}
	}
	w := a.Stdout
	if f.output != "" {
		file, err := os.Create(abs(a, []string{f.output})[0])
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	var alerts []detect.Alert
	p := &ingest.Pipeline{Config: cfg, Sinks: sinks, Now: a.Now, OnAlert: func(al detect.Alert) { alerts = append(alerts, al) }}
	if f.format == "jsonl" {
		p.Sinks = append([]detect.Sink{detect.JSONLines{W: w}}, p.Sinks...)
	}
	if rec != nil {
		// First, so that an alert is stored before it is announced; a
		// failure leaves it pending in the index to be recorded again.
		p.Sinks = append([]detect.Sink{rec}, p.Sinks...)
	}
	ixPath := indexPath()
	if !f.noIndex {
		if err := os.MkdirAll(filepath.Dir(ixPath), 0o700); err != nil {
			return fmt.Errorf("event index: %w", err)
		}
		ix, err := index.Open(ctx, ixPath)
		if err != nil {
			return err
		}
		defer ix.Close()
		p.Index = ix
		// Alerts a previous run committed but did not deliver go out first.
		if err := p.Recover(ctx); err != nil {
			fmt.Fprintf(a.Stderr, "palisade: pending alerts: %v\n", err)
		}
	}
	statePath := f.state
	if statePath == "" {
		statePath = filepath.Join(filepath.Dir(ixPath), "palisade-ingest-state.json")
	}
	state, err := ingest.LoadState(abs(a, []string{statePath})[0])
	if err != nil {
		return err
	}
	awsCfg, err := awsConfig(ctx, a, f.region, f.endpoint)
	if err != nil {
		return err
	}
	emulator := f.endpoint != "" || a.Getenv("AWS_ENDPOINT_URL") != ""
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = emulator
		// Objects written without a checksum are normal for CloudTrail; say nothing.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	handle := ingest.Handler(p.Handle)
	if rec != nil {
		// A long-running consumer that raises nothing still shows, at most
		// hourly, that detections run.
		handle = func(ctx context.Context, source string, evs []*event.Event) error {
			if err := p.Handle(ctx, source, evs); err != nil {
				return err
			}
			return rec.heartbeat(ctx)
		}
	}
	var total ingest.Stats
	report := func(what string, st ingest.Stats, errs []error) {
		for _, e := range errs {
			fmt.Fprintf(a.Stderr, "palisade: %s: %v\n", what, e)
		}
		total.Objects += st.Objects
		total.Messages += st.Messages
		total.Findings += st.Findings
		total.Events += st.Events
		total.Skipped += st.Skipped
	}
	for _, t := range targets {
		src := &ingest.S3Source{Client: s3c, Bucket: t.bucket, Prefix: t.prefix, State: state, Now: a.Now}
		if p.Index != nil {
			src.Seen = p.Index // look back a day for late objects; read each once
		}
		st, errs := src.Run(ctx, handle)
		report("s3://"+t.bucket+"/"+t.prefix, st, errs)
	}
	if len(f.guardDutyRegions) > 0 {
		g := &ingest.GuardDutyPoller{Config: awsCfg, Regions: f.guardDutyRegions, State: state, Now: a.Now}
		st, errs := g.Run(ctx, handle)
		report("guardduty", st, errs)
	}
	if f.sqsURL != "" {
		q := &ingest.SQSSource{SQS: sqs.NewFromConfig(awsCfg), S3: s3c, QueueURL: f.sqsURL,
			MaxMessages: f.maxMessages, Idle: f.wait, Now: a.Now}
		st, errs := q.Run(ctx, handle)
		report("sqs", st, errs)
	}
	if rec != nil && rec.runs == 0 {
		// A run that raised nothing is still evidence that detections run.
		if err := rec.Send(ctx, nil); err != nil {
			return err
		}
	}
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].FirstSeen.Before(alerts[j].FirstSeen) })
	switch f.format {
	case "json":
		err = detect.WriteJSON(w, alerts)
	case "table":
		err = writeIngestTable(w, alerts, total, p.Stats)
	}
	if err != nil {
		return err
	}
	if a.IsTerminal(a.Stderr) || f.format != "table" {
		fmt.Fprintf(a.Stderr, "palisade: %d objects, %d messages, %d findings, %d events (%d new, %d already seen), %d alerts\n",
			total.Objects, total.Messages, total.Findings, total.Events, p.Stats.Events, p.Stats.Duplicates, p.Stats.Alerts)
	}
	if rec != nil && a.IsTerminal(a.Stderr) {
		fmt.Fprintln(a.Stderr, "palisade: "+rec.summary())
	}
	if len(alerts) > 0 {
		return &exitError{code: ExitFindings}
	}
	return nil
}

// writeIngestTable writes the alert table and a summary with
// time-to-identify percentiles (alert time minus first event time).
func writeIngestTable(w io.Writer, alerts []detect.Alert, st ingest.Stats, ps ingest.PipelineStats) error {
	if err := writeAlertTable(w, alerts); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "\n%d objects, %d messages, %d findings, %d events (%d new, %d already seen), %d alerts\n",
		st.Objects, st.Messages, st.Findings, st.Events, ps.Events, ps.Duplicates, ps.Alerts); err != nil {
		return err
	}
	if len(alerts) == 0 {
		return nil
	}
	tti := make([]time.Duration, len(alerts))
	for i, al := range alerts {
		tti[i] = al.TimeToIdentify()
	}
	sort.Slice(tti, func(i, j int) bool { return tti[i] < tti[j] })
	pct := func(p int) time.Duration { return tti[(len(tti)-1)*p/100] }
	_, err := fmt.Fprintf(w, "time to identify (alert time - event time): p50 %s  p90 %s  max %s\n",
		roundDuration(pct(50)), roundDuration(pct(90)), roundDuration(tti[len(tti)-1]))
	return err
}

// roundDuration shortens a duration for people: seconds under a day, hours above.
func roundDuration(d time.Duration) string {
	if d >= 24*time.Hour {
		return fmt.Sprintf("%.1fd", d.Hours()/24)
	}
	return d.Round(time.Second).String()
}
