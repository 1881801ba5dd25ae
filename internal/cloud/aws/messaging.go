package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// collectSQS reads the region's queues with their encryption and policy.
// A queue is encrypted with SSE-SQS or with a KMS key.
func collectSQS(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if u := a.endpoint("sqs"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := sqs.NewListQueuesPaginator(cl, &sqs.ListQueuesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list queues: %w", err)
		}
		for _, u := range page.QueueUrls {
			at, err := cl.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: sdk.String(u), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
			if err != nil {
				return fmt.Errorf("queue %s attributes: %w", u, err)
			}
			arn := at.Attributes["QueueArn"]
			tags, err := cl.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: sdk.String(u)})
			if err != nil {
				return fmt.Errorf("queue %s tags: %w", u, err)
			}
			key := at.Attributes["KmsMasterKeyId"]
			st.SQSQueues = append(st.SQSQueues, &cloud.SQSQueue{
				Meta:      meta("aws_sqs_queue", arn, mapTags(tags.Tags)),
				Encrypted: known(key != "" || at.Attributes["SqsManagedSseEnabled"] == "true", arn),
				KMSKeyID:  known(key, arn),
				Policy:    parsePolicy(at.Attributes["Policy"], arn),
			})
		}
	}
	a.merge(st, nil)
	return nil
}

// collectSNS reads the region's topics with their encryption and policy.
func collectSNS(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := sns.NewFromConfig(cfg, func(o *sns.Options) {
		if u := a.endpoint("sns"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := sns.NewListTopicsPaginator(cl, &sns.ListTopicsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list topics: %w", err)
		}
		for _, t := range page.Topics {
			arn := sdk.ToString(t.TopicArn)
			at, err := cl.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: t.TopicArn})
			if err != nil {
				return fmt.Errorf("topic %s attributes: %w", arn, err)
			}
			tags, err := cl.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: t.TopicArn})
			if err != nil {
				return fmt.Errorf("topic %s tags: %w", arn, err)
			}
			st.SNSTopics = append(st.SNSTopics, &cloud.SNSTopic{
				Meta:     meta("aws_sns_topic", arn, tagMap(tags.Tags, func(t snstypes.Tag) (*string, *string) { return t.Key, t.Value })),
				KMSKeyID: known(at.Attributes["KmsMasterKeyId"], arn),
				Policy:   parsePolicy(at.Attributes["Policy"], arn),
			})
		}
	}
	a.merge(st, nil)
	return nil
}

// collectLogGroups reads the region's CloudWatch log groups with their
// retention (0: never expire) and KMS key.
func collectLogGroups(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		if u := a.endpoint("logs"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := cloudwatchlogs.NewDescribeLogGroupsPaginator(cl, &cloudwatchlogs.DescribeLogGroupsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe log groups: %w", err)
		}
		for _, g := range page.LogGroups {
			name := sdk.ToString(g.LogGroupName)
			arn := sdk.ToString(g.LogGroupArn)
			if arn == "" {
				arn = fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", partition(cfg.Region), cfg.Region, a.account, name)
			}
			tags, err := cl.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: sdk.String(arn)})
			if err != nil {
				return fmt.Errorf("log group %s tags: %w", name, err)
			}
			st.LogGroups = append(st.LogGroups, &cloud.LogGroup{
				Meta:          meta("aws_cloudwatch_log_group", arn, mapTags(tags.Tags)),
				Name:          known(name, arn),
				RetentionDays: known(int64(sdk.ToInt32(g.RetentionInDays)), arn),
				KMSKeyID:      known(sdk.ToString(g.KmsKeyId), arn),
			})
		}
	}
	a.merge(st, nil)
	return nil
}
