package cli

import (
	"context"

	"fmt"
	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/palisade-sec/palisade/internal/audit"
	awscollect "github.com/palisade-sec/palisade/internal/cloud/aws"
	"github.com/palisade-sec/palisade/internal/cloud/iac"
	"github.com/palisade-sec/palisade/internal/finding"
	"github.com/palisade-sec/palisade/internal/report"
	"github.com/palisade-sec/palisade/internal/store"
)

// awsVersion is recorded with each live audit.
const awsVersion = "0.1.0"

// serviceEndpointEnv maps collector service keys to the SDK's
// AWS_ENDPOINT_URL_<SERVICE> variables, so one service can point elsewhere.
var serviceEndpointEnv = map[string]string{
	"s3control":      "AWS_ENDPOINT_URL_S3_CONTROL",
	"accessanalyzer": "AWS_ENDPOINT_URL_ACCESSANALYZER",
	"iam":            "AWS_ENDPOINT_URL_IAM",
	"s3":             "AWS_ENDPOINT_URL_S3",
	"ec2":            "AWS_ENDPOINT_URL_EC2",
	"cloudtrail":     "AWS_ENDPOINT_URL_CLOUDTRAIL",
	"guardduty":      "AWS_ENDPOINT_URL_GUARDDUTY",
	"backup":         "AWS_ENDPOINT_URL_BACKUP",
	"organizations":  "AWS_ENDPOINT_URL_ORGANIZATIONS",
	"sso-admin":      "AWS_ENDPOINT_URL_SSO_ADMIN",
	"config":         "AWS_ENDPOINT_URL_CONFIG_SERVICE",
}

type awsFlags struct {
	region      string
	regions     string
	endpoint    string
	org         bool
	roleName    string
	externalID  string
	accounts    string
	format      string
	output      string
	failOn      string
	noStore     bool
	iacPath     string
	ownerTag    string
	amiOwners   string
	roleDays    int
	concurrency int
}

func newAWSCmd(a *App, g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "aws",
		Short: "Audit live AWS accounts and plan fixes",
	}
	cmd.AddCommand(newAWSAuditCmd(a, g), newAWSFixCmd(a, g))
	return cmd
}

// addAWSConnFlags adds the flags that say how to reach AWS.
func addAWSConnFlags(cmd *cobra.Command, f *awsFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.region, "region", "", "home region for API calls (default: the SDK's, or us-east-1)")
	fl.StringVar(&f.endpoint, "endpoint-url", "", "send every API call to this URL (an emulator); default $AWS_ENDPOINT_URL")
}

func newAWSAuditCmd(a *App, g *globalFlags) *cobra.Command {
	f := &awsFlags{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Collect live AWS state and report posture findings",
		Long: `Audit reads the caller's account (or, with --org, every account of the
Organization through an assumed read-only role) in every enabled region, runs
the posture rules and the account- and organization-level rules on it, and
records the findings. Credentials come from the standard AWS chain and are
never stored. A part that cannot be read is reported and skipped.

Exit status: 0 when no open finding is at or above --fail-on (or no --fail-on),
1 when one is, 2 on a usage or runtime error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAWSAudit(cmd.Context(), a, g, f)
		},
	}
	addAWSConnFlags(cmd, f)
	fl := cmd.Flags()
	fl.StringVar(&f.regions, "regions", "", "comma-separated regions to audit (default: every enabled region)")
	fl.BoolVar(&f.org, "org", false, "audit every account of the Organization (run with management or delegated credentials)")
	fl.StringVar(&f.roleName, "role-name", "PalisadeAudit", "with --org: the read-only role to assume in each account (SecurityAudit + ViewOnlyAccess)")
	fl.StringVar(&f.externalID, "external-id", "", "with --org: the external id the role's trust policy requires")
	fl.StringVar(&f.accounts, "accounts", "", "with --org: audit only these comma-separated account ids")
	fl.StringVar(&f.format, "format", "table", "report format: "+strings.Join(report.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE instead of standard output")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when an open finding at or above this severity exists (info, low, medium, high, critical)")
	fl.BoolVar(&f.noStore, "no-store", false, "do not record the audit in the store")
	fl.StringVar(&f.iacPath, "iac", "", "compare live state with the Terraform/CloudFormation under PATH (drift)")
	fl.StringVar(&f.ownerTag, "owner-tag", "owner", "tag key every resource must carry")
	fl.StringVar(&f.amiOwners, "ami-owners", "amazon,self", "comma-separated approved AMI owners (account ids or aliases)")
	fl.IntVar(&f.roleDays, "role-unused-days", 90, "report roles (and services of a role) unused for this many days")
	fl.IntVar(&f.concurrency, "concurrency", 8, "accounts audited at once")
	return cmd
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// awsOptions builds collector options from the flags and environment, and
// loads the SDK configuration from the standard credential chain.
func awsOptions(ctx context.Context, a *App, f *awsFlags) (awscollect.Options, sdkConfig, error) {
	endpoint := f.endpoint
	if endpoint == "" {
		endpoint = a.Getenv("AWS_ENDPOINT_URL")
	}
	eps := map[string]string{}
	for svc, env := range serviceEndpointEnv {
		if v := a.Getenv(env); v != "" {
			eps[svc] = v
		}
	}
	opts := awscollect.Options{
		Org: f.org, RoleName: f.roleName, ExternalID: f.externalID,
		Accounts: splitList(f.accounts), Regions: splitList(f.regions),
		AccountConcurrency: f.concurrency, ServiceEndpoints: eps, Now: a.Now,
	}
	cfg, err := awscollect.LoadConfig(ctx, f.region, endpoint, 0)
	return opts, cfg, err
}

func runAWSAudit(ctx context.Context, a *App, g *globalFlags, f *awsFlags) error {
	if !contains(report.Formats, f.format) {
		return usageErrorf("unknown --format %q (want one of %s)", f.format, strings.Join(report.Formats, ", "))
	}
	if !f.org && (f.accounts != "" || f.externalID != "") {
		return usageErrorf("--accounts and --external-id need --org")
	}
	if f.concurrency < 1 || f.roleDays < 1 {
		return usageErrorf("--concurrency and --role-unused-days must be at least 1")
	}
	var failSeverity *finding.Severity
	if f.failOn != "" {
		s, err := finding.ParseSeverity(f.failOn)
		if err != nil {
			return usageErrorf("--fail-on: %v", err)
		}
		failSeverity = &s
	}
	opts, sdkCfg, err := awsOptions(ctx, a, f)
	if err != nil {
		return err
	}
	var progress io.Writer
	if a.IsTerminal(a.Stderr) {
		progress = a.Stderr
		opts.Progress = func(p awscollect.Progress) {
			if p.Done {
				fmt.Fprintf(progress, "palisade: aws: %d/%d accounts audited (%s done), %d part(s) skipped\n", p.Finished, p.Total, p.Account, p.Errors)
			}
		}
	}
	col := awscollect.New(sdkCfg, opts)

	started := a.Now().UTC()
	res, err := col.Collect(ctx)
	if err != nil {
		return fmt.Errorf("aws audit: %w", err)
	}
	cfg := audit.DefaultConfig(a.Now())
	cfg.Posture.OwnerTag = f.ownerTag
	cfg.Posture.ApprovedAMIOwners = splitList(f.amiOwners)
	cfg.RoleUnused = time.Duration(f.roleDays) * 24 * time.Hour
	findings, problems := audit.Run(res, cfg)
	scanners := []string{"aws"}
	if f.iacPath != "" {
		path := f.iacPath
		if !filepath.IsAbs(path) {
			path = filepath.Join(a.Dir, path)
		}
		want, _, err := iac.Load(ctx, path, iac.Options{}, func(p string, err error) { problems = append(problems, p+": "+err.Error()) })
		if err != nil {
			return fmt.Errorf("aws audit --iac: %w", err)
		}
		findings = append(findings, audit.Drift(res, want)...)
		scanners = append(scanners, "drift")
	}
	finished := a.Now().UTC()

	status := store.ScanCompleted
	if len(res.Errors) > 0 || f.regions != "" || f.accounts != "" {
		status = store.ScanPartial
	}
	target := "aws:" + res.CallerAccount
	if res.Org != nil {
		target = "aws-org:" + res.Org.ID
	}
	rep := &report.Report{
		Version: report.Version,
		Scan: report.Scan{
			Target: target, Tool: report.Tool{Name: "palisade", Version: Version},
			Scanners: scanners, StartedAt: started, FinishedAt: finished, Status: status, Errors: problems,
		},
		Findings: findings,
	}
	if !f.noStore {
		s, err := g.openStore(ctx, a)
		if err != nil {
			return err
		}
		defer s.Close()
		versions := map[string]string{}
		for _, n := range scanners {
			versions[n] = awsVersion
		}
		rec, err := s.RecordScan(ctx, store.Scan{Target: target, Scanners: versions, StartedAt: started, FinishedAt: finished, Status: status}, findings)
		if err != nil {
			return fmt.Errorf("record audit: %w", err)
		}
		rep.Scan.ID = rec.ScanID
		if err := applyStatuses(ctx, s, target, rep); err != nil {
			return err
		}
	}
	if progress != nil {
		fmt.Fprintf(progress, "palisade: audited %d account(s), %d finding(s), %d part(s) skipped\n", len(res.Accounts), len(findings), len(res.Errors))
	}
	return reportAndGate(a, f.format, f.output, rep, failSeverity)
}

// sdkConfig is the AWS SDK configuration.
type sdkConfig = sdk.Config
