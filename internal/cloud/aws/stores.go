package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/aws-sdk-go-v2/service/redshift"
	rstypes "github.com/aws/aws-sdk-go-v2/service/redshift/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// collectEFS reads the region's file systems with their encryption.
func collectEFS(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := efs.NewFromConfig(cfg, func(o *efs.Options) {
		if u := a.endpoint("efs"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := efs.NewDescribeFileSystemsPaginator(cl, &efs.DescribeFileSystemsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe file systems: %w", err)
		}
		for _, f := range page.FileSystems {
			arn := sdk.ToString(f.FileSystemArn)
			if arn == "" {
				arn = fmt.Sprintf("arn:%s:elasticfilesystem:%s:%s:file-system/%s", partition(cfg.Region), cfg.Region, a.account, sdk.ToString(f.FileSystemId))
			}
			st.EFSFileSystems = append(st.EFSFileSystems, &cloud.EFSFileSystem{
				Meta:      meta("aws_efs_file_system", arn, tagMap(f.Tags, func(t efstypes.Tag) (*string, *string) { return t.Key, t.Value })),
				Encrypted: known(sdk.ToBool(f.Encrypted), arn),
			})
		}
	}
	a.merge(st, nil)
	return nil
}

// collectElastiCache reads the region's replication groups (Redis, Valkey)
// and the clusters that belong to none (Memcached, single-node Redis),
// with their encryption and snapshot retention.
func collectElastiCache(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := elasticache.NewFromConfig(cfg, func(o *elasticache.Options) {
		if u := a.endpoint("elasticache"); u != nil {
			o.BaseEndpoint = u
		}
	})
	var groups []*cloud.ElastiCacheGroup
	rgs := elasticache.NewDescribeReplicationGroupsPaginator(cl, &elasticache.DescribeReplicationGroupsInput{})
	for rgs.HasMorePages() {
		page, err := rgs.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe replication groups: %w", err)
		}
		for _, g := range page.ReplicationGroups {
			arn := sdk.ToString(g.ARN)
			engine := sdk.ToString(g.Engine)
			if engine == "" {
				engine = "redis"
			}
			groups = append(groups, &cloud.ElastiCacheGroup{
				Meta:              meta("aws_elasticache_replication_group", arn, nil),
				AtRestEncryption:  known(sdk.ToBool(g.AtRestEncryptionEnabled), arn),
				TransitEncryption: known(sdk.ToBool(g.TransitEncryptionEnabled), arn),
				SnapshotRetention: known(int64(sdk.ToInt32(g.SnapshotRetentionLimit)), arn),
				Engine:            known(engine, arn),
			})
		}
	}
	ccs := elasticache.NewDescribeCacheClustersPaginator(cl, &elasticache.DescribeCacheClustersInput{ShowCacheClustersNotInReplicationGroups: sdk.Bool(true)})
	for ccs.HasMorePages() {
		page, err := ccs.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe cache clusters: %w", err)
		}
		for _, c := range page.CacheClusters {
			if sdk.ToString(c.ReplicationGroupId) != "" {
				continue // read with its group
			}
			arn := sdk.ToString(c.ARN)
			groups = append(groups, &cloud.ElastiCacheGroup{
				Meta:              meta("aws_elasticache_cluster", arn, nil),
				AtRestEncryption:  known(sdk.ToBool(c.AtRestEncryptionEnabled), arn),
				TransitEncryption: known(sdk.ToBool(c.TransitEncryptionEnabled), arn),
				SnapshotRetention: known(int64(sdk.ToInt32(c.SnapshotRetentionLimit)), arn),
				Engine:            known(sdk.ToString(c.Engine), arn),
			})
		}
	}
	for _, g := range groups {
		out, err := cl.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: sdk.String(g.Address)})
		if err != nil {
			return fmt.Errorf("cache %s tags: %w", g.Address, err)
		}
		g.Tags = tagMap(out.TagList, func(t ectypes.Tag) (*string, *string) { return t.Key, t.Value })
	}
	a.merge(&cloud.State{ElastiCache: groups}, nil)
	return nil
}

// collectRedshift reads the region's clusters: encryption, public access
// and whether they sit in a VPC.
func collectRedshift(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := redshift.NewFromConfig(cfg, func(o *redshift.Options) {
		if u := a.endpoint("redshift"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := redshift.NewDescribeClustersPaginator(cl, &redshift.DescribeClustersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe clusters: %w", err)
		}
		for _, c := range page.Clusters {
			arn := fmt.Sprintf("arn:%s:redshift:%s:%s:cluster:%s", partition(cfg.Region), cfg.Region, a.account, sdk.ToString(c.ClusterIdentifier))
			st.RedshiftClusters = append(st.RedshiftClusters, &cloud.RedshiftCluster{
				Meta:               meta("aws_redshift_cluster", arn, tagMap(c.Tags, func(t rstypes.Tag) (*string, *string) { return t.Key, t.Value })),
				Encrypted:          known(sdk.ToBool(c.Encrypted), arn),
				PubliclyAccessible: known(sdk.ToBool(c.PubliclyAccessible), arn),
				InVPC:              known(sdk.ToString(c.VpcId) != "", arn),
			})
		}
	}
	a.merge(st, nil)
	return nil
}
