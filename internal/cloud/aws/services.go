package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

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
