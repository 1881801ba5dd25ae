package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// collectConfig reads the region's AWS Config recorders (what they record)
// and whether one of them is recording.
func collectConfig(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := configservice.NewFromConfig(cfg, func(o *configservice.Options) {
		if u := a.endpoint("config"); u != nil {
			o.BaseEndpoint = u
		}
	})
	out, err := cl.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
	if err != nil {
		return fmt.Errorf("describe configuration recorders: %w", err)
	}
	st := &cloud.State{}
	for _, r := range out.ConfigurationRecorders {
		arn := sdk.ToString(r.Arn)
		if arn == "" {
			arn = fmt.Sprintf("arn:%s:config:%s:%s:config-recorder/%s", partition(cfg.Region), cfg.Region, a.account, sdk.ToString(r.Name))
		}
		rec := &cloud.ConfigRecorder{Meta: meta("aws_config_configuration_recorder", arn, nil), AllSupported: known(false, arn), GlobalResources: known(false, arn)}
		rec.TagsKnown = false
		if g := r.RecordingGroup; g != nil {
			rec.AllSupported = known(g.AllSupported, arn)
			rec.GlobalResources = known(g.IncludeGlobalResourceTypes, arn)
		}
		st.ConfigRecorders = append(st.ConfigRecorders, rec)
	}
	recording := false
	if len(out.ConfigurationRecorders) > 0 {
		status, err := cl.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{})
		if err != nil {
			return fmt.Errorf("describe configuration recorder status: %w", err)
		}
		for _, s := range status.ConfigurationRecordersStatus {
			recording = recording || s.Recording
		}
	}
	a.merge(st, func(ev *Evidence) {
		if ev.ConfigRecording == nil {
			ev.ConfigRecording = map[string]bool{}
		}
		ev.ConfigRecording[cfg.Region] = recording
	})
	return nil
}

// collectIdentityCenter reads the IAM Identity Center (SSO) instances the
// account sees from the region: its own, or its Organization's.
func collectIdentityCenter(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := ssoadmin.NewFromConfig(cfg, func(o *ssoadmin.Options) {
		if u := a.endpoint("sso-admin"); u != nil {
			o.BaseEndpoint = u
		}
	})
	var arns []string
	pages := ssoadmin.NewListInstancesPaginator(cl, &ssoadmin.ListInstancesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list Identity Center instances: %w", err)
		}
		for _, in := range page.Instances {
			arns = append(arns, sdk.ToString(in.InstanceArn))
		}
	}
	a.merge(nil, func(ev *Evidence) { ev.IdentityCenter = append(ev.IdentityCenter, arns...) })
	return nil
}
