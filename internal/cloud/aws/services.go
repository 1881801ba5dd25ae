package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// endpoint returns the override for service, or nil.
func (a *accountCollector) endpoint(service string) *string {
	if u := a.c.opts.ServiceEndpoints[service]; u != "" {
		return sdk.String(u)
	}
	return nil
}

// collectCloudTrail reads the trails whose home is this region, with their
// logging status and tags.
func collectCloudTrail(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
		if u := a.endpoint("cloudtrail"); u != nil {
			o.BaseEndpoint = u
		}
	})
	out, err := cl.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: sdk.Bool(false)})
	if err != nil {
		return fmt.Errorf("describe trails: %w", err)
	}
	st := &cloud.State{}
	var evs []Trail
	for _, t := range out.TrailList {
		if home := sdk.ToString(t.HomeRegion); home != "" && home != cfg.Region {
			continue
		}
		arn := sdk.ToString(t.TrailARN)
		status, err := cl.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: t.TrailARN})
		if err != nil {
			return fmt.Errorf("trail %s status: %w", arn, err)
		}
		tags := cloud.Tags{}
		lt, err := cl.ListTags(ctx, &cloudtrail.ListTagsInput{ResourceIdList: []string{arn}})
		if err != nil {
			return fmt.Errorf("trail %s tags: %w", arn, err)
		}
		for _, rt := range lt.ResourceTagList {
			for _, tg := range rt.TagsList {
				tags[sdk.ToString(tg.Key)] = sdk.ToString(tg.Value)
			}
		}
		ev := Trail{
			ARN: arn, Name: sdk.ToString(t.Name), HomeRegion: cfg.Region,
			MultiRegion: sdk.ToBool(t.IsMultiRegionTrail), Organization: sdk.ToBool(t.IsOrganizationTrail),
			Logging: sdk.ToBool(status.IsLogging), LogValidation: sdk.ToBool(t.LogFileValidationEnabled),
			KMSKeyID: sdk.ToString(t.KmsKeyId), BucketName: sdk.ToString(t.S3BucketName),
			CloudWatchLogs: sdk.ToString(t.CloudWatchLogsLogGroupArn) != "",
		}
		sel, err := cl.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: t.TrailARN})
		if err != nil {
			return fmt.Errorf("trail %s event selectors: %w", arn, err)
		}
		ev.SelectorsRead = true
		ev.S3DataRead, ev.S3DataWrite = S3DataEvents(sel.EventSelectors, sel.AdvancedEventSelectors)
		evs = append(evs, ev)
		st.CloudTrails = append(st.CloudTrails, &cloud.CloudTrail{
			Meta:               meta("aws_cloudtrail", arn, tags),
			MultiRegion:        known(ev.MultiRegion, arn),
			LogValidation:      known(ev.LogValidation, arn),
			KMSKeyID:           known(ev.KMSKeyID, arn),
			CloudWatchLogs:     known(ev.CloudWatchLogs, arn),
			BucketName:         known(ev.BucketName, arn),
			Logging:            known(ev.Logging, arn),
			IncludeGlobalEvent: known(sdk.ToBool(t.IncludeGlobalServiceEvents), arn),
		})
	}
	a.merge(st, func(ev *Evidence) { ev.Trails = append(ev.Trails, evs...) })
	return nil
}

// S3DataEvents reports whether a trail's event selectors (basic or
// advanced) record object-level read and write events of every bucket.
// Selectors limited to some buckets do not count: CIS asks for all.
func S3DataEvents(basic []cttypes.EventSelector, advanced []cttypes.AdvancedEventSelector) (read, write bool) {
	for _, s := range basic {
		for _, d := range s.DataResources {
			if sdk.ToString(d.Type) != "AWS::S3::Object" {
				continue
			}
			all := false
			for _, v := range d.Values {
				all = all || allBuckets(v)
			}
			if !all {
				continue
			}
			switch s.ReadWriteType {
			case cttypes.ReadWriteTypeReadOnly:
				read = true
			case cttypes.ReadWriteTypeWriteOnly:
				write = true
			default: // All, or unset (which means All)
				read, write = true, true
			}
		}
	}
	for _, s := range advanced {
		data, objects, limited := false, false, false
		r, w := true, true
		for _, f := range s.FieldSelectors {
			switch sdk.ToString(f.Field) {
			case "eventCategory":
				data = slices.Contains(f.Equals, "Data")
			case "resources.type":
				objects = slices.Contains(f.Equals, "AWS::S3::Object")
			case "resources.ARN":
				for _, v := range f.StartsWith {
					limited = limited || !allBuckets(v)
				}
				limited = limited || len(f.Equals) > 0 || len(f.NotStartsWith) > 0 || len(f.NotEquals) > 0 || len(f.EndsWith) > 0 || len(f.NotEndsWith) > 0
			case "readOnly":
				switch {
				case slices.Contains(f.Equals, "true"):
					w = false
				case slices.Contains(f.Equals, "false"):
					r = false
				}
			default:
				// Any other filter (event name, caller, ...) records only some events.
				if len(f.Equals)+len(f.StartsWith)+len(f.NotEquals)+len(f.NotStartsWith)+len(f.EndsWith)+len(f.NotEndsWith) > 0 {
					limited = true
				}
			}
		}
		if data && objects && !limited {
			read = read || r
			write = write || w
		}
	}
	return read, write
}

// allBuckets reports whether an S3 data resource value names every bucket
// ("arn:aws:s3" or "arn:aws:s3:::", in any partition).
func allBuckets(v string) bool {
	v = strings.TrimSuffix(v, ":::")
	return strings.HasPrefix(v, "arn:") && strings.HasSuffix(v, ":s3") && strings.Count(v, ":") == 2
}

// collectSecurityHub reads whether Security Hub is enabled in the region.
func collectSecurityHub(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := securityhub.NewFromConfig(cfg, func(o *securityhub.Options) {
		if u := a.endpoint("securityhub"); u != nil {
			o.BaseEndpoint = u
		}
	})
	enabled := true
	if _, err := cl.DescribeHub(ctx, &securityhub.DescribeHubInput{}); err != nil {
		// Not subscribed: InvalidAccessException (or ResourceNotFound).
		switch apiCode(err) {
		case "InvalidAccessException", "ResourceNotFoundException":
			enabled = false
		default:
			return fmt.Errorf("describe hub: %w", err)
		}
	}
	a.merge(nil, func(ev *Evidence) {
		if ev.SecurityHub == nil {
			ev.SecurityHub = map[string]bool{}
		}
		ev.SecurityHub[cfg.Region] = enabled
	})
	return nil
}

// collectGuardDuty reads the region's detectors.
func collectGuardDuty(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := guardduty.NewFromConfig(cfg, func(o *guardduty.Options) {
		if u := a.endpoint("guardduty"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	enabled := false
	pages := guardduty.NewListDetectorsPaginator(cl, &guardduty.ListDetectorsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list detectors: %w", err)
		}
		for _, id := range page.DetectorIds {
			d, err := cl.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: sdk.String(id)})
			if err != nil {
				return fmt.Errorf("detector %s: %w", id, err)
			}
			arn := fmt.Sprintf("arn:%s:guardduty:%s:%s:detector/%s", partition(cfg.Region), cfg.Region, a.account, id)
			on := d.Status == gdtypes.DetectorStatusEnabled
			enabled = enabled || on
			tags := cloud.Tags{}
			for k, v := range d.Tags {
				tags[k] = v
			}
			st.GuardDuty = append(st.GuardDuty, &cloud.GuardDutyDetector{Meta: meta("aws_guardduty_detector", arn, tags), Enabled: known(on, arn)})
		}
	}
	a.merge(st, func(ev *Evidence) {
		if ev.GuardDuty == nil {
			ev.GuardDuty = map[string]bool{}
		}
		ev.GuardDuty[cfg.Region] = enabled
	})
	return nil
}

// collectAccessAnalyzer reads the region's IAM Access Analyzers.
func collectAccessAnalyzer(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := accessanalyzer.NewFromConfig(cfg, func(o *accessanalyzer.Options) {
		if u := a.endpoint("accessanalyzer"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	var types []string
	pages := accessanalyzer.NewListAnalyzersPaginator(cl, &accessanalyzer.ListAnalyzersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list analyzers: %w", err)
		}
		for _, an := range page.Analyzers {
			arn := sdk.ToString(an.Arn)
			tags := cloud.Tags{}
			for k, v := range an.Tags {
				tags[k] = v
			}
			st.AccessAnalyzers = append(st.AccessAnalyzers, &cloud.AccessAnalyzer{Meta: meta("aws_accessanalyzer_analyzer", arn, tags), Type: known(string(an.Type), arn)})
			if an.Status == aatypes.AnalyzerStatusActive {
				types = append(types, string(an.Type))
			}
		}
	}
	a.merge(st, func(ev *Evidence) {
		if ev.AccessAnalyzers == nil {
			ev.AccessAnalyzers = map[string][]string{}
		}
		ev.AccessAnalyzers[cfg.Region] = types
	})
	return nil
}

// collectBackup reads the region's backup plans (with their copy actions)
// and vaults.
func collectBackup(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := backup.NewFromConfig(cfg, func(o *backup.Options) {
		if u := a.endpoint("backup"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	plans := backup.NewListBackupPlansPaginator(cl, &backup.ListBackupPlansInput{})
	for plans.HasMorePages() {
		page, err := plans.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list backup plans: %w", err)
		}
		for _, p := range page.BackupPlansList {
			arn := sdk.ToString(p.BackupPlanArn)
			full, err := cl.GetBackupPlan(ctx, &backup.GetBackupPlanInput{BackupPlanId: p.BackupPlanId})
			if err != nil {
				return fmt.Errorf("backup plan %s: %w", arn, err)
			}
			plan := &cloud.BackupPlan{Meta: meta("aws_backup_plan", arn, nil)}
			plan.TagsKnown = false
			if full.BackupPlan != nil {
				for _, r := range full.BackupPlan.Rules {
					rule := cloud.BackupRule{Src: arnSrc(arn)}
					if r.Lifecycle != nil && r.Lifecycle.DeleteAfterDays != nil {
						rule.DeleteAfterDays = known(*r.Lifecycle.DeleteAfterDays, arn)
					} else {
						rule.DeleteAfterDays = known(int64(0), arn)
					}
					elsewhere := false
					for _, c := range r.CopyActions {
						if dst := sdk.ToString(c.DestinationBackupVaultArn); dst != "" && !sameRegionAccount(dst, cfg.Region, a.account) {
							elsewhere = true
						}
					}
					rule.CopiesElsewhere = known(elsewhere, arn)
					plan.Rules = append(plan.Rules, rule)
				}
			}
			st.BackupPlans = append(st.BackupPlans, plan)
		}
	}
	vaults := backup.NewListBackupVaultsPaginator(cl, &backup.ListBackupVaultsInput{})
	for vaults.HasMorePages() {
		page, err := vaults.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list backup vaults: %w", err)
		}
		for _, v := range page.BackupVaultList {
			arn := sdk.ToString(v.BackupVaultArn)
			vault := &cloud.BackupVault{Meta: meta("aws_backup_vault", arn, nil), KMSKeyID: known(sdk.ToString(v.EncryptionKeyArn), arn), Locked: known(sdk.ToBool(v.Locked), arn)}
			vault.TagsKnown = false
			st.BackupVaults = append(st.BackupVaults, vault)
		}
	}
	a.merge(st, nil)
	return nil
}

// sameRegionAccount reports whether arn is in region and account.
func sameRegionAccount(arn, region, account string) bool {
	p := splitARN(arn)
	return p.region == region && p.account == account
}

type arnParts struct{ partition, service, region, account, resource string }

// splitARN splits arn:partition:service:region:account:resource.
func splitARN(arn string) arnParts {
	var p arnParts
	parts := make([]string, 0, 6)
	rest := arn
	for i := 0; i < 5; i++ {
		j := indexByte(rest, ':')
		if j < 0 {
			return p
		}
		parts = append(parts, rest[:j])
		rest = rest[j+1:]
	}
	return arnParts{partition: parts[1], service: parts[2], region: parts[3], account: parts[4], resource: rest}
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
