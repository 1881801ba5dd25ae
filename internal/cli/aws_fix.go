package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/audit"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/store"
)

type awsFixFlags struct {
	awsFlags
	rule       string
	stopTagged string
	apply      bool
	yes        bool
	logPath    string
}

func newAWSFixCmd(a *App, g *globalFlags) *cobra.Command {
	f := &awsFixFlags{}
	cmd := &cobra.Command{
		Use:   "fix [FINDING-ID ...]",
		Short: "Plan (and with --apply, carry out) fixes for audit findings",
		Long: `Fix plans remediations for stored findings of 'palisade aws audit' (by id or
--rule) and for instances tagged for shutdown (--stop-tagged KEY=VALUE): revoke
security group rules open to the internet, turn on S3 Block Public Access,
delete unused roles with their attachments, stop test instances.

It only prints the plan unless --apply is given; --apply asks for "yes" on
standard input (or --yes), appends who applied what to --log, and marks each
stored finding whose actions all applied as fixed in the findings store (by
the caller's ARN, with the reason "palisade aws fix: <action>").`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAWSFix(cmd.Context(), a, g, f, args)
		},
	}
	addAWSConnFlags(cmd, &f.awsFlags)
	fl := cmd.Flags()
	fl.StringVar(&f.rule, "rule", "", "fix every open stored finding of this rule")
	fl.StringVar(&f.regions, "regions", "", "with --stop-tagged: comma-separated regions (default: --region)")
	fl.StringVar(&f.stopTagged, "stop-tagged", "", "stop running instances tagged KEY=VALUE (e.g. env=test)")
	fl.BoolVar(&f.apply, "apply", false, "carry out the plan (after confirmation)")
	fl.BoolVar(&f.yes, "yes", false, "with --apply: do not ask for confirmation")
	fl.StringVar(&f.logPath, "log", "palisade-fix.jsonl", "with --apply: append one JSON line per action applied to this file")
	return cmd
}

// fixLogEntry is one line of the remediation log.
type fixLogEntry struct {
	Time   string       `json:"time"`
	Actor  string       `json:"actor"`
	Action audit.Action `json:"action"`
	Result string       `json:"result"`
	Error  string       `json:"error,omitempty"`
}

func runAWSFix(ctx context.Context, a *App, g *globalFlags, f *awsFixFlags, ids []string) error {
	if len(ids) == 0 && f.rule == "" && f.stopTagged == "" {
		return usageErrorf("name finding ids, --rule or --stop-tagged")
	}
	if f.yes && !f.apply {
		return usageErrorf("--yes needs --apply")
	}
	tagKey, tagVal, ok := strings.Cut(f.stopTagged, "=")
	if f.stopTagged != "" && (!ok || tagKey == "" || tagVal == "") {
		return usageErrorf("--stop-tagged %q: want KEY=VALUE", f.stopTagged)
	}
	_, cfg, err := awsOptions(ctx, a, &f.awsFlags)
	if err != nil {
		return err
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("aws fix: who am I: %w", err)
	}
	x := &audit.Fixer{Cfg: cfg, Account: sdk.ToString(who.Account)}
	if u := a.Getenv("AWS_ENDPOINT_URL_S3_CONTROL"); u != "" {
		if parsed, err := url.Parse(u); err == nil {
			x.S3Control = func(o *s3control.Options) { o.EndpointResolverV2 = fixedS3Control{*parsed} }
		}
	} else if cfg.BaseEndpoint != nil {
		if parsed, err := url.Parse(*cfg.BaseEndpoint); err == nil {
			x.S3Control = func(o *s3control.Options) { o.EndpointResolverV2 = fixedS3Control{*parsed} }
		}
	}

	var findings []store.Record
	var st store.Store
	if len(ids) > 0 || f.rule != "" {
		st, err = g.openStore(ctx, a)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, id := range ids {
			rec, err := st.Finding(ctx, id)
			if err != nil {
				return fmt.Errorf("finding %s: %w", id, err)
			}
			findings = append(findings, rec)
		}
		if f.rule != "" {
			recs, err := st.Findings(ctx, store.Filter{RuleID: f.rule, Statuses: []finding.Status{finding.StatusOpen}, Category: finding.Posture})
			if err != nil {
				return fmt.Errorf("findings of %s: %w", f.rule, err)
			}
			findings = append(findings, recs...)
		}
	}
	var plan []audit.Action
	// byFinding maps a stored finding's id to the indexes of its actions in
	// plan: once all of them are applied the finding is triaged as fixed.
	byFinding := map[int64][]int{}
	var order []int64
	for _, rec := range findings {
		acts, err := x.Plan(ctx, rec.Finding)
		if errors.Is(err, audit.ErrNoFix) {
			fmt.Fprintf(a.Stderr, "palisade: %s on %s: %v\n", rec.RuleID, rec.Resource, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		if _, seen := byFinding[rec.ID]; !seen {
			order = append(order, rec.ID)
		}
		for _, act := range acts {
			byFinding[rec.ID] = append(byFinding[rec.ID], len(plan))
			plan = append(plan, act)
		}
	}
	if f.stopTagged != "" {
		regions := splitList(f.regions)
		if len(regions) == 0 {
			regions = []string{cfg.Region}
		}
		for _, r := range regions {
			acts, err := x.PlanStopTagged(ctx, r, tagKey, tagVal)
			if err != nil {
				return fmt.Errorf("plan: %w", err)
			}
			plan = append(plan, acts...)
		}
	}

	if len(plan) == 0 {
		fmt.Fprintln(a.Stdout, "Nothing to fix.")
		return nil
	}
	fmt.Fprintf(a.Stdout, "Plan (%d action(s)) in account %s as %s:\n", len(plan), x.Account, sdk.ToString(who.Arn))
	for i, act := range plan {
		fmt.Fprintf(a.Stdout, "  %d. [%s] %s\n", i+1, act.Kind, act.Description)
	}
	if !f.apply {
		fmt.Fprintln(a.Stdout, "Dry run: nothing was changed. Run again with --apply to carry out this plan.")
		return nil
	}
	if !f.yes {
		fmt.Fprint(a.Stdout, "Type \"yes\" to apply: ")
		line, _ := bufio.NewReader(a.Stdin).ReadString('\n')
		if strings.TrimSpace(line) != "yes" {
			return &exitError{code: ExitError, msg: "not confirmed: nothing was changed"}
		}
	}
	logPath := f.logPath
	if !filepath.IsAbs(logPath) {
		logPath = filepath.Join(a.Dir, logPath)
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open fix log: %w", err)
	}
	defer logf.Close()
	enc := json.NewEncoder(logf)
	failed := 0
	applied := make([]bool, len(plan))
	for i, act := range plan {
		entry := fixLogEntry{Time: a.Now().UTC().Format("2006-01-02T15:04:05Z"), Actor: sdk.ToString(who.Arn), Action: act, Result: "applied"}
		if err := x.Apply(ctx, act); err != nil {
			entry.Result, entry.Error = "failed", err.Error()
			failed++
			fmt.Fprintf(a.Stdout, "  failed: %s: %v\n", act.Description, err)
		} else {
			applied[i] = true
			fmt.Fprintf(a.Stdout, "  done: %s\n", act.Description)
		}
		if err := enc.Encode(entry); err != nil {
			return fmt.Errorf("write fix log: %w", err)
		}
	}
	// The findings store keeps the same record: each finding whose actions
	// all applied is triaged as fixed, by the caller, naming the actions.
	for _, id := range order {
		var done []string
		for _, i := range byFinding[id] {
			if !applied[i] {
				done = nil
				break
			}
			done = append(done, plan[i].Description)
		}
		if len(done) == 0 {
			continue
		}
		t := store.Triage{ID: strconv.FormatInt(id, 10), Status: finding.StatusFixed, Reason: "palisade aws fix: " + strings.Join(done, "; "), Actor: sdk.ToString(who.Arn), At: a.Now()}
		if _, err := st.Triage(ctx, t); err != nil {
			return fmt.Errorf("record fix of finding %d in the store: %w", id, err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d action(s) failed (see %s)", failed, len(plan), logPath)
	}
	return nil
}

// fixedS3Control sends S3 Control requests to one URL (an emulator).
type fixedS3Control struct{ u url.URL }

// ResolveEndpoint returns the fixed URL.
func (f fixedS3Control) ResolveEndpoint(context.Context, s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	return smithyendpoints.Endpoint{URI: f.u}, nil
}
