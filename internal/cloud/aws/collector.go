// Package aws is palisade's live AWS collector. It reads one account or a
// whole Organization through the AWS SDK (assuming a read-only role in each
// member account), in every enabled region, and fills the same cloud.State
// the IaC adapters fill, so the posture rules run unchanged on live data
// (a resource's Source is its ARN). What the model has no place for (the
// credential report, role last use, GuardDuty per region, the
// organization's SCPs) is kept as Evidence for the account-level rules.
//
// Collection is bounded at three levels (accounts, regions per account,
// services per region) and every failure is recorded against its account,
// region and service and skipped, never stopping the rest.
package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// Options say what to collect and how hard to push.
type Options struct {
	// Org lists the accounts of the caller's Organization and assumes
	// RoleName in each; without it only the caller's account is read.
	Org bool
	// RoleName is the read-only role assumed in member accounts.
	RoleName string
	// ExternalID is passed when assuming RoleName, when set.
	ExternalID string
	// Accounts limits an Org run to these account ids, when set.
	Accounts []string
	// Regions to read; empty means every region enabled in the account.
	Regions []string
	// AccountConcurrency, RegionConcurrency and ServiceConcurrency bound the
	// accounts read at once, the regions of one account read at once, and
	// the services of one region read at once (defaults 8, 4, 4).
	AccountConcurrency, RegionConcurrency, ServiceConcurrency int
	// ItemConcurrency bounds the per-item calls of one service made at
	// once (an IAM user's keys and policies, a role's last use; default 8).
	ItemConcurrency int
	// ServiceEndpoints overrides the endpoint of single services, keyed
	// "s3control", "accessanalyzer", "iam", ... (as AWS_ENDPOINT_URL_<SERVICE>).
	ServiceEndpoints map[string]string
	// Progress, when set, is told when each account starts and ends.
	Progress func(Progress)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Progress is one step of a collection, for a progress display.
type Progress struct {
	Account string
	Done    bool
	// Finished and Total count accounts.
	Finished, Total int
	Errors          int
}

// Result is everything one collection found.
type Result struct {
	// CallerAccount is the account of the credentials used.
	CallerAccount string
	// Org is the Organization, when Options.Org was set.
	Org *Organization
	// Accounts are in account id order.
	Accounts []*Account
	// Errors are the parts that could not be read and were skipped.
	Errors []CollectError
}

// Account is one account's collected state and evidence.
type Account struct {
	ID   string
	Name string
	// Regions are the regions read.
	Regions  []string
	State    *cloud.State
	Evidence Evidence
}

// CollectError is one account, region or service that could not be read.
type CollectError struct {
	Account string
	Region  string // "" for global services and account-level steps
	Service string
	Err     error
}

// Error renders account/region/service: cause.
func (e CollectError) Error() string {
	where := e.Account
	if e.Region != "" {
		where += "/" + e.Region
	}
	return fmt.Sprintf("%s/%s: %v", where, e.Service, e.Err)
}

// Collector reads live AWS state.
type Collector struct {
	base sdk.Config
	opts Options
}

// New returns a collector using base (from LoadConfig) for the caller's
// account and as the source credentials for assuming roles.
func New(base sdk.Config, opts Options) *Collector {
	if opts.AccountConcurrency <= 0 {
		opts.AccountConcurrency = 8
	}
	if opts.RegionConcurrency <= 0 {
		opts.RegionConcurrency = 4
	}
	if opts.ServiceConcurrency <= 0 {
		opts.ServiceConcurrency = 4
	}
	if opts.ItemConcurrency <= 0 {
		opts.ItemConcurrency = 8
	}
	if opts.RoleName == "" {
		opts.RoleName = "PalisadeAudit"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Collector{base: base, opts: opts}
}

// errorSink collects CollectErrors from many goroutines.
type errorSink struct {
	mu   sync.Mutex
	errs []CollectError
}

func (s *errorSink) add(account, region, service string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, CollectError{Account: account, Region: region, Service: service, Err: err})
}

func (s *errorSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.errs)
}

// Collect reads the caller's account, or every account of the Organization.
// It returns an error only when nothing at all can be read (no credentials,
// the caller's identity unknown, the Organization not listable with --org).
func (c *Collector) Collect(ctx context.Context) (*Result, error) {
	id, err := sts.NewFromConfig(c.base).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("who am I (sts:GetCallerIdentity): %w", err)
	}
	res := &Result{CallerAccount: sdk.ToString(id.Account)}
	sink := &errorSink{}
	type target struct{ id, name string }
	targets := []target{{id: res.CallerAccount}}
	if c.opts.Org {
		org, err := c.collectOrg(ctx, sink)
		if err != nil {
			return nil, err
		}
		res.Org = org
		targets = targets[:0]
		for _, a := range org.Accounts {
			if a.Status != "ACTIVE" {
				continue
			}
			if len(c.opts.Accounts) > 0 && !slices.Contains(c.opts.Accounts, a.ID) {
				continue
			}
			targets = append(targets, target{id: a.ID, name: a.Name})
		}
	}

	var mu sync.Mutex
	finished := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.AccountConcurrency)
	for _, t := range targets {
		g.Go(func() error {
			if c.opts.Progress != nil {
				mu.Lock()
				c.opts.Progress(Progress{Account: t.id, Finished: finished, Total: len(targets), Errors: sink.count()})
				mu.Unlock()
			}
			cfg := c.base
			if t.id != res.CallerAccount {
				cfg = AssumeRole(c.base, t.id, c.opts.RoleName, c.opts.ExternalID)
			}
			acct := c.collectAccount(gctx, cfg, t.id, sink)
			acct.Name = t.name
			mu.Lock()
			res.Accounts = append(res.Accounts, acct)
			finished++
			if c.opts.Progress != nil {
				c.opts.Progress(Progress{Account: t.id, Done: true, Finished: finished, Total: len(targets), Errors: sink.count()})
			}
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait() // account goroutines never fail; their errors are in sink
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.Slice(res.Accounts, func(i, j int) bool { return res.Accounts[i].ID < res.Accounts[j].ID })
	res.Errors = sink.errs
	sort.SliceStable(res.Errors, func(i, j int) bool {
		a, b := res.Errors[i], res.Errors[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Region != b.Region {
			return a.Region < b.Region
		}
		return a.Service < b.Service
	})
	return res, nil
}

// accountCollector is the state of one account's collection.
type accountCollector struct {
	c       *Collector
	cfg     sdk.Config
	account string
	sink    *errorSink
	now     time.Time

	mu    sync.Mutex
	state *cloud.State
	ev    *Evidence
}

// merge adds a service's partial state under the lock.
func (a *accountCollector) merge(s *cloud.State, ev func(*Evidence)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s != nil {
		a.state.Merge(s)
	}
	if ev != nil {
		ev(a.ev)
	}
}

// fail records a failed step.
func (a *accountCollector) fail(region, service string, err error) {
	if err == nil || errors.Is(err, context.Canceled) {
		return
	}
	a.sink.add(a.account, region, service, err)
}

// each runs fn for 0..n-1, at most ItemConcurrency at once, and returns
// the first error (the others are cancelled).
func (a *accountCollector) each(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(a.c.opts.ItemConcurrency)
	for i := 0; i < n; i++ {
		g.Go(func() error { return fn(gctx, i) })
	}
	return g.Wait()
}

// regionalService reads one service in one region.
type regionalService struct {
	name string
	run  func(ctx context.Context, a *accountCollector, cfg sdk.Config) error
}

// globalService reads one account-wide service.
type globalService struct {
	name string
	run  func(ctx context.Context, a *accountCollector) error
}

// globalServices and regionalServices are every collector, in one place.
func globalServices() []globalService {
	return []globalService{
		{"iam", collectIAM},
		{"iam-credential-report", collectCredentialReport},
		{"iam-last-accessed", collectLastAccessed},
		{"s3", collectS3},
		{"s3control", collectAccountBPA},
		{"cloudfront", collectCloudFront},
	}
}

func regionalServices() []regionalService {
	return []regionalService{
		{"ec2", collectEC2},
		{"cloudtrail", collectCloudTrail},
		{"guardduty", collectGuardDuty},
		{"accessanalyzer", collectAccessAnalyzer},
		{"backup", collectBackup},
		{"ebs", collectEBS},
		{"rds", collectRDS},
		{"dynamodb", collectDynamoDB},
		{"kms", collectKMS},
		{"secretsmanager", collectSecrets},
		{"opensearch", collectOpenSearch},
		{"lambda", collectLambda},
		{"eks", collectEKS},
		{"ecr", collectECR},
		{"elbv2", collectELB},
		{"sqs", collectSQS},
		{"sns", collectSNS},
		{"logs", collectLogGroups},
		{"apigateway", collectAPIGateway},
		{"securityhub", collectSecurityHub},
		{"elb", collectClassicELB},
		{"efs", collectEFS},
		{"elasticache", collectElastiCache},
		{"redshift", collectRedshift},
		{"config", collectConfig},
		{"sso-admin", collectIdentityCenter},
	}
}

func (c *Collector) collectAccount(ctx context.Context, cfg sdk.Config, account string, sink *errorSink) *Account {
	acct := &Account{ID: account, State: &cloud.State{}}
	a := &accountCollector{c: c, cfg: cfg, account: account, sink: sink, now: c.opts.Now(), state: acct.State, ev: &acct.Evidence}
	a.ev.ServiceRegions = map[string][]string{}
	a.state.Accounts = append(a.state.Accounts, &cloud.Account{
		Meta: cloud.Meta{Type: "aws_account", Address: "arn:aws:iam::" + account + ":root", Src: cloud.Source{ARN: "arn:aws:iam::" + account + ":root"}},
		ID:   cloud.Known(account, cloud.Source{ARN: "arn:aws:iam::" + account + ":root"}),
	})

	regions := c.opts.Regions
	if len(regions) == 0 {
		r, err := enabledRegions(ctx, a.ec2(cfg))
		if err != nil {
			a.fail("", "regions", err)
			regions = []string{cfg.Region}
		} else {
			regions = r
		}
	}
	acct.Regions = regions

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.ServiceConcurrency)
	for _, s := range globalServices() {
		g.Go(func() error {
			a.fail("", s.name, s.run(gctx, a))
			return nil
		})
	}
	_ = g.Wait()
	for i, r := range a.ev.Roles {
		if s, ok := a.ev.lastAccessed[r.ARN]; ok {
			a.ev.Roles[i].Services = s
		}
	}

	rg, rctx := errgroup.WithContext(ctx)
	rg.SetLimit(c.opts.RegionConcurrency)
	for _, region := range regions {
		rg.Go(func() error {
			rcfg := cfg.Copy()
			rcfg.Region = region
			sg, sctx := errgroup.WithContext(rctx)
			sg.SetLimit(c.opts.ServiceConcurrency)
			for _, s := range regionalServices() {
				sg.Go(func() error {
					if err := s.run(sctx, a, rcfg); err != nil {
						a.fail(region, s.name, err)
						return nil
					}
					a.merge(nil, func(ev *Evidence) { ev.ServiceRegions[s.name] = append(ev.ServiceRegions[s.name], region) })
					return nil
				})
			}
			return sg.Wait()
		})
	}
	_ = rg.Wait()
	for _, rs := range a.ev.ServiceRegions {
		sort.Strings(rs)
	}
	return acct
}

// enabledRegions lists the regions enabled in the account.
func enabledRegions(ctx context.Context, cl *ec2.Client) ([]string, error) {
	out, err := cl.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe regions: %w", err)
	}
	var regions []string
	for _, r := range out.Regions {
		if s := sdk.ToString(r.OptInStatus); s == "not-opted-in" {
			continue
		}
		regions = append(regions, sdk.ToString(r.RegionName))
	}
	sort.Strings(regions)
	return regions, nil
}

// arnSrc is the Source of a live resource.
func arnSrc(arn string) cloud.Source { return cloud.Source{ARN: arn} }

// meta builds the Meta of a live resource.
func meta(typ, arn string, tags cloud.Tags) cloud.Meta {
	if tags == nil {
		tags = cloud.Tags{}
	}
	return cloud.Meta{Type: typ, Address: arn, Src: arnSrc(arn), Tags: tags, TagsKnown: true}
}

// known is a known attribute at arn.
func known[T comparable](v T, arn string) cloud.Attr[T] { return cloud.Known(v, arnSrc(arn)) }
