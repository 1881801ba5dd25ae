package aws

import (
	"context"
	"fmt"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/opensearch"
	ostypes "github.com/aws/aws-sdk-go-v2/service/opensearch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/palisade-sec/palisade/internal/cloud"
)

// tagMap turns a service's list of key/value pairs into model tags.
func tagMap[T any](items []T, kv func(T) (*string, *string)) cloud.Tags {
	out := cloud.Tags{}
	for _, it := range items {
		k, v := kv(it)
		out[sdk.ToString(k)] = sdk.ToString(v)
	}
	return out
}

// mapTags copies a service's tag map into model tags.
func mapTags(m map[string]string) cloud.Tags {
	out := cloud.Tags{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// collectRDS reads the region's database instances and clusters (RDS,
// Aurora, Neptune and DocumentDB share the API).
func collectRDS(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := rds.NewFromConfig(cfg, func(o *rds.Options) {
		if u := a.endpoint("rds"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	ins := rds.NewDescribeDBInstancesPaginator(cl, &rds.DescribeDBInstancesInput{})
	for ins.HasMorePages() {
		page, err := ins.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe DB instances: %w", err)
		}
		for _, d := range page.DBInstances {
			arn := sdk.ToString(d.DBInstanceArn)
			st.RDSInstances = append(st.RDSInstances, &cloud.RDSInstance{
				Meta:                    meta("aws_db_instance", arn, tagMap(d.TagList, func(t rdstypes.Tag) (*string, *string) { return t.Key, t.Value })),
				Engine:                  known(sdk.ToString(d.Engine), arn),
				StorageEncrypted:        known(sdk.ToBool(d.StorageEncrypted), arn),
				KMSKeyID:                known(sdk.ToString(d.KmsKeyId), arn),
				PubliclyAccessible:      known(sdk.ToBool(d.PubliclyAccessible), arn),
				BackupRetention:         known(int64(sdk.ToInt32(d.BackupRetentionPeriod)), arn),
				DeletionProtection:      known(sdk.ToBool(d.DeletionProtection), arn),
				IAMAuth:                 known(sdk.ToBool(d.IAMDatabaseAuthenticationEnabled), arn),
				MultiAZ:                 known(sdk.ToBool(d.MultiAZ), arn),
				AutoMinorVersionUpgrade: known(sdk.ToBool(d.AutoMinorVersionUpgrade), arn),
				PerformanceInsights:     known(sdk.ToBool(d.PerformanceInsightsEnabled), arn),
				PerformanceInsightsKMS:  known(sdk.ToString(d.PerformanceInsightsKMSKeyId), arn),
				CopyTagsToSnapshot:      known(sdk.ToBool(d.CopyTagsToSnapshot), arn),
				LogExports:              cloud.StringList{Vals: d.EnabledCloudwatchLogsExports, Set: true, Src: arnSrc(arn)},
				InCluster:               sdk.ToString(d.DBClusterIdentifier) != "",
			})
		}
	}
	cls := rds.NewDescribeDBClustersPaginator(cl, &rds.DescribeDBClustersInput{})
	for cls.HasMorePages() {
		page, err := cls.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe DB clusters: %w", err)
		}
		for _, c := range page.DBClusters {
			arn := sdk.ToString(c.DBClusterArn)
			engine := sdk.ToString(c.Engine)
			family := "rds"
			switch {
			case strings.HasPrefix(engine, "neptune"):
				family = "neptune"
			case strings.HasPrefix(engine, "docdb"):
				family = "docdb"
			}
			st.RDSClusters = append(st.RDSClusters, &cloud.RDSCluster{
				Meta:               meta("aws_rds_cluster", arn, tagMap(c.TagList, func(t rdstypes.Tag) (*string, *string) { return t.Key, t.Value })),
				Engine:             known(engine, arn),
				StorageEncrypted:   known(sdk.ToBool(c.StorageEncrypted), arn),
				KMSKeyID:           known(sdk.ToString(c.KmsKeyId), arn),
				BackupRetention:    known(int64(sdk.ToInt32(c.BackupRetentionPeriod)), arn),
				DeletionProtection: known(sdk.ToBool(c.DeletionProtection), arn),
				IAMAuth:            known(sdk.ToBool(c.IAMDatabaseAuthenticationEnabled), arn),
				LogExports:         cloud.StringList{Vals: c.EnabledCloudwatchLogsExports, Set: true, Src: arnSrc(arn)},
				Family:             family,
			})
		}
	}
	a.merge(st, nil)
	return nil
}

// collectDynamoDB reads the region's tables with point-in-time recovery
// and whether their key is customer managed.
func collectDynamoDB(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if u := a.endpoint("dynamodb"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := dynamodb.NewListTablesPaginator(cl, &dynamodb.ListTablesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list tables: %w", err)
		}
		for _, name := range page.TableNames {
			d, err := cl.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: sdk.String(name)})
			if err != nil {
				return fmt.Errorf("table %s: %w", name, err)
			}
			t := d.Table
			arn := sdk.ToString(t.TableArn)
			bk, err := cl.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: sdk.String(name)})
			if err != nil {
				return fmt.Errorf("table %s continuous backups: %w", name, err)
			}
			pitr := false
			if c := bk.ContinuousBackupsDescription; c != nil && c.PointInTimeRecoveryDescription != nil {
				pitr = c.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus == ddbtypes.PointInTimeRecoveryStatusEnabled
			}
			tags, err := cl.ListTagsOfResource(ctx, &dynamodb.ListTagsOfResourceInput{ResourceArn: t.TableArn})
			if err != nil {
				return fmt.Errorf("table %s tags: %w", name, err)
			}
			keyARN, customer := "", false
			if s := t.SSEDescription; s != nil && s.SSEType == ddbtypes.SSETypeKms {
				keyARN = sdk.ToString(s.KMSMasterKeyArn)
				// SSE-KMS may use the AWS managed aws/dynamodb key: ask KMS who manages it.
				customer, err = a.customerManagedKey(ctx, cfg, keyARN)
				if err != nil {
					return fmt.Errorf("table %s key: %w", name, err)
				}
			}
			st.DynamoDBTables = append(st.DynamoDBTables, &cloud.DynamoDBTable{
				Meta:                meta("aws_dynamodb_table", arn, tagMap(tags.Tags, func(t ddbtypes.Tag) (*string, *string) { return t.Key, t.Value })),
				PointInTimeRecovery: known(pitr, arn),
				CustomerKMS:         known(customer, arn),
				KMSKeyID:            known(keyARN, arn),
				DeletionProtection:  known(sdk.ToBool(t.DeletionProtectionEnabled), arn),
			})
		}
	}
	a.merge(st, nil)
	return nil
}

func (a *accountCollector) kms(cfg sdk.Config) *kms.Client {
	return kms.NewFromConfig(cfg, func(o *kms.Options) {
		if u := a.endpoint("kms"); u != nil {
			o.BaseEndpoint = u
		}
	})
}

// customerManagedKey reports whether the KMS key is customer managed.
func (a *accountCollector) customerManagedKey(ctx context.Context, cfg sdk.Config, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	d, err := a.kms(cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: sdk.String(key)})
	if err != nil {
		return false, fmt.Errorf("describe key %s: %w", key, err)
	}
	return d.KeyMetadata != nil && d.KeyMetadata.KeyManager == kmstypes.KeyManagerTypeCustomer, nil
}

// collectKMS reads the region's customer managed keys with their rotation
// and key policy. AWS managed keys and keys pending deletion are skipped.
func collectKMS(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := a.kms(cfg)
	st := &cloud.State{}
	pages := kms.NewListKeysPaginator(cl, &kms.ListKeysInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list keys: %w", err)
		}
		for _, k := range page.Keys {
			d, err := cl.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
			if err != nil {
				return fmt.Errorf("describe key %s: %w", sdk.ToString(k.KeyArn), err)
			}
			m := d.KeyMetadata
			if m == nil || m.KeyManager != kmstypes.KeyManagerTypeCustomer || m.KeyState == kmstypes.KeyStatePendingDeletion {
				continue
			}
			arn := sdk.ToString(m.Arn)
			if m.KeyUsage == "" && m.KeySpec == kmstypes.KeySpecSymmetricDefault {
				m.KeyUsage = kmstypes.KeyUsageTypeEncryptDecrypt // the only usage of such keys; some emulators leave it out
			}
			key := &cloud.KMSKey{
				Usage: known(string(m.KeyUsage), arn),
				Spec:  known(string(m.KeySpec), arn),
			}
			// Rotation exists only for symmetric encryption keys with key material from KMS.
			if m.KeySpec == kmstypes.KeySpecSymmetricDefault && m.KeyUsage == kmstypes.KeyUsageTypeEncryptDecrypt && m.Origin == kmstypes.OriginTypeAwsKms {
				rot, err := cl.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: k.KeyId})
				if err != nil {
					return fmt.Errorf("key %s rotation: %w", arn, err)
				}
				key.Rotation = known(rot.KeyRotationEnabled, arn)
			}
			pol, err := cl.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: k.KeyId, PolicyName: sdk.String("default")})
			if err != nil {
				return fmt.Errorf("key %s policy: %w", arn, err)
			}
			key.Policy = parsePolicy(sdk.ToString(pol.Policy), arn)
			tags, err := cl.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: k.KeyId})
			if err != nil {
				return fmt.Errorf("key %s tags: %w", arn, err)
			}
			key.Meta = meta("aws_kms_key", arn, tagMap(tags.Tags, func(t kmstypes.Tag) (*string, *string) { return t.TagKey, t.TagValue }))
			st.KMSKeys = append(st.KMSKeys, key)
		}
	}
	a.merge(st, nil)
	return nil
}

// collectSecrets reads the region's Secrets Manager secrets (metadata
// only: no secret value is ever read).
func collectSecrets(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if u := a.endpoint("secretsmanager"); u != nil {
			o.BaseEndpoint = u
		}
	})
	st := &cloud.State{}
	pages := secretsmanager.NewListSecretsPaginator(cl, &secretsmanager.ListSecretsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list secrets: %w", err)
		}
		for _, s := range page.SecretList {
			arn := sdk.ToString(s.ARN)
			st.Secrets = append(st.Secrets, &cloud.Secret{
				Meta:     meta("aws_secretsmanager_secret", arn, tagMap(s.Tags, func(t smtypes.Tag) (*string, *string) { return t.Key, t.Value })),
				KMSKeyID: known(sdk.ToString(s.KmsKeyId), arn),
				Rotation: known(sdk.ToBool(s.RotationEnabled), arn),
			})
		}
	}
	a.merge(st, nil)
	return nil
}

// collectOpenSearch reads the region's OpenSearch and Elasticsearch domains.
func collectOpenSearch(ctx context.Context, a *accountCollector, cfg sdk.Config) error {
	cl := opensearch.NewFromConfig(cfg, func(o *opensearch.Options) {
		if u := a.endpoint("opensearch"); u != nil {
			o.BaseEndpoint = u
		}
	})
	list, err := cl.ListDomainNames(ctx, &opensearch.ListDomainNamesInput{})
	if err != nil {
		return fmt.Errorf("list domain names: %w", err)
	}
	var names []string
	for _, d := range list.DomainNames {
		names = append(names, sdk.ToString(d.DomainName))
	}
	st := &cloud.State{}
	for i := 0; i < len(names); i += 5 { // DescribeDomains takes at most 5 names
		batch := names[i:min(i+5, len(names))]
		out, err := cl.DescribeDomains(ctx, &opensearch.DescribeDomainsInput{DomainNames: batch})
		if err != nil {
			return fmt.Errorf("describe domains %v: %w", batch, err)
		}
		for _, d := range out.DomainStatusList {
			arn := sdk.ToString(d.ARN)
			dom := &cloud.OpenSearchDomain{
				EncryptAtRest:      known(d.EncryptionAtRestOptions != nil && sdk.ToBool(d.EncryptionAtRestOptions.Enabled), arn),
				NodeToNode:         known(d.NodeToNodeEncryptionOptions != nil && sdk.ToBool(d.NodeToNodeEncryptionOptions.Enabled), arn),
				InVPC:              known(d.VPCOptions != nil && sdk.ToString(d.VPCOptions.VPCId) != "", arn),
				FineGrainedControl: known(d.AdvancedSecurityOptions != nil && sdk.ToBool(d.AdvancedSecurityOptions.Enabled), arn),
				AccessPolicy:       parsePolicy(sdk.ToString(d.AccessPolicies), arn),
			}
			if e := d.DomainEndpointOptions; e != nil {
				dom.EnforceHTTPS = known(sdk.ToBool(e.EnforceHTTPS), arn)
				dom.TLSPolicy = known(string(e.TLSSecurityPolicy), arn)
			} else {
				dom.EnforceHTTPS = known(false, arn)
			}
			audit := false
			if l, ok := d.LogPublishingOptions["AUDIT_LOGS"]; ok {
				audit = sdk.ToBool(l.Enabled)
			}
			dom.AuditLogs = known(audit, arn)
			tags, err := cl.ListTags(ctx, &opensearch.ListTagsInput{ARN: d.ARN})
			if err != nil {
				return fmt.Errorf("domain %s tags: %w", arn, err)
			}
			dom.Meta = meta("aws_opensearch_domain", arn, tagMap(tags.TagList, func(t ostypes.Tag) (*string, *string) { return t.Key, t.Value }))
			st.OpenSearchDomains = append(st.OpenSearchDomains, dom)
		}
	}
	a.merge(st, nil)
	return nil
}
